//! Null masks: one bit per row, set when the value is present (docs/FORMAT.md §Validity).

/// A growable null mask, stored as little-endian `u64` words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validity {
    words: Vec<u64>,
    len: usize,
}

impl Validity {
    pub fn all_valid(len: usize) -> Validity {
        let mut words = vec![u64::MAX; len.div_ceil(64)];
        if !len.is_multiple_of(64) {
            if let Some(last) = words.last_mut() {
                *last = (1u64 << (len % 64)) - 1;
            }
        }
        Validity { words, len }
    }

    pub fn from_words(words: Vec<u64>, len: usize) -> Validity {
        debug_assert_eq!(words.len(), len.div_ceil(64));
        Validity { words, len }
    }

    pub fn push(&mut self, valid: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if valid {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    /// Removes the last row's bit.
    pub fn pop(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        if let Some(w) = self.words.get_mut(self.len / 64) {
            *w &= !(1 << (self.len % 64));
        }
        if self.len.is_multiple_of(64) {
            self.words.pop();
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn is_valid(&self, row: usize) -> bool {
        is_valid(&self.words, row)
    }

    pub fn null_count(&self) -> usize {
        self.len - self.words.iter().map(|w| w.count_ones() as usize).sum::<usize>()
    }
}

/// Bit `row` of a validity word slice.
#[inline]
pub fn is_valid(words: &[u64], row: usize) -> bool {
    words[row / 64] >> (row % 64) & 1 == 1
}
