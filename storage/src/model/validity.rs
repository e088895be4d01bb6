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

    /// Appends `n` bits copied from `words` (bit `i` of the source is row `i`), or `n` set bits
    /// when `words` is `None`. Works a word at a time.
    pub fn extend_from(&mut self, words: Option<&[u64]>, n: usize) {
        let shift = self.len % 64;
        let src_word = |i: usize| -> u64 {
            let w = words.map_or(u64::MAX, |w| w.get(i).copied().unwrap_or(0));
            let valid_bits = n.saturating_sub(i * 64).min(64);
            if valid_bits == 64 {
                w
            } else {
                w & ((1u64 << valid_bits) - 1)
            }
        };
        for i in 0..n.div_ceil(64) {
            let w = src_word(i);
            if shift == 0 {
                self.words.push(w);
            } else {
                if let Some(last) = self.words.last_mut() {
                    *last |= w << shift;
                }
                let bits_in_this = n.saturating_sub(i * 64).min(64);
                if bits_in_this > 64 - shift {
                    self.words.push(w >> (64 - shift));
                }
            }
        }
        self.len += n;
        debug_assert_eq!(self.words.len(), self.len.div_ceil(64));
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn extend_from_matches_pushing_bit_by_bit(parts in proptest::collection::vec((proptest::collection::vec(any::<bool>(), 0..200), any::<bool>()), 0..8)) {
            let mut fast = Validity::default();
            let mut slow = Validity::default();
            for (bits, all_valid) in &parts {
                let mut source = Validity::default();
                bits.iter().for_each(|&b| source.push(b));
                if *all_valid {
                    fast.extend_from(None, bits.len());
                    bits.iter().for_each(|_| slow.push(true));
                } else {
                    fast.extend_from(Some(source.words()), bits.len());
                    bits.iter().for_each(|&b| slow.push(b));
                }
            }
            prop_assert_eq!(fast, slow);
        }
    }
}
