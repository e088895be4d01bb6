//! Point lookups of traces in a segment (docs/FORMAT.md §Segment, sections `TraceBloom` and
//! `TraceFence`): a blocked Bloom filter of the segment's trace IDs (one 512-bit block per
//! lookup, about 10 bits and 6 probes a key, ~1% false positives) — most segments hold none of
//! a trace's events — and every [`FENCE`]-th ID in trace order, so that the binary search
//! touches the mapped trace order and IDs only within one block. Written at seal (format
//! version 2) and read from the map; a version 1 segment builds it at its first lookup.

use std::borrow::Cow;

/// Sorted positions between two fence entries.
pub(crate) const FENCE: usize = 128;

/// Bloom blocks for `rows` IDs: about one 512-bit block per 51 keys, a power of two.
pub(crate) fn bloom_blocks(rows: usize) -> usize {
    (rows / 51 + 1).next_power_of_two()
}

/// Fence entries for `rows` IDs.
pub(crate) fn fence_len(rows: usize) -> usize {
    rows.div_ceil(FENCE)
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TraceLookup<'a> {
    blocks: Cow<'a, [[u64; 8]]>,
    fence: Cow<'a, [u128]>,
}

impl TraceLookup<'static> {
    /// From a segment's trace IDs and trace order.
    pub fn build(ids: &[u128], order: &[u32]) -> TraceLookup<'static> {
        let mut blocks = vec![[0u64; 8]; bloom_blocks(ids.len())];
        for &id in ids {
            let (block, bits) = probe(blocks.len(), id);
            for b in bits {
                blocks[block][b / 64] |= 1 << (b % 64);
            }
        }
        let fence = order.iter().step_by(FENCE).map(|&r| ids[r as usize]).collect();
        TraceLookup { blocks: Cow::Owned(blocks), fence: Cow::Owned(fence) }
    }
}

impl<'a> TraceLookup<'a> {
    /// Over stored sections. `blocks` must be a power of two long (the reader checks the
    /// sizes at open; any contents are safe to read, wrong ones only miss).
    pub fn stored(blocks: &'a [[u64; 8]], fence: &'a [u128]) -> TraceLookup<'a> {
        TraceLookup { blocks: Cow::Borrowed(blocks), fence: Cow::Borrowed(fence) }
    }

    pub fn blocks(&self) -> &[[u64; 8]] {
        &self.blocks
    }

    pub fn fence(&self) -> &[u128] {
        &self.fence
    }

    /// The rows holding `id`, given the IDs and trace order the lookup was built from.
    pub fn rows(&self, ids: &[u128], order: &[u32], id: u128) -> Vec<u32> {
        if !self.may_contain(id) {
            return Vec::new();
        }
        let (lo, hi) = self.block(id, order.len());
        let start = lo + order[lo..hi].partition_point(|&r| ids.get(r as usize).is_some_and(|&x| x < id));
        order[start..].iter().take_while(|&&r| ids.get(r as usize) == Some(&id)).copied().collect()
    }

    pub fn may_contain(&self, id: u128) -> bool {
        if self.blocks.is_empty() {
            return true;
        }
        let (block, bits) = probe(self.blocks.len(), id);
        bits.iter().all(|&b| self.blocks[block][b / 64] & (1 << (b % 64)) != 0)
    }

    /// The range of sorted positions where `id`'s first row must be.
    fn block(&self, id: u128, rows: usize) -> (usize, usize) {
        let b = self.fence.partition_point(|&f| f < id);
        let lo = if b == 0 { 0 } else { (b - 1) * FENCE + 1 };
        (lo.min(rows), (b * FENCE + 1).min(rows))
    }
}

/// The block (of `blocks`, a power of two) and the six bits of `id`.
#[inline]
fn probe(blocks: usize, id: u128) -> (usize, [usize; 6]) {
    let folded = (id as u64) ^ ((id >> 64) as u64).rotate_left(31);
    let h = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let g = (folded ^ (folded >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let block = (h >> 32) as usize & (blocks - 1);
    (block, std::array::from_fn(|i| ((g >> (i * 9)) & 511) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn trace_lookup_finds_what_a_scan_finds(
            ids in proptest::collection::vec(prop_oneof![0u128..300, any::<u128>()], 0..5000),
            probes in proptest::collection::vec(prop_oneof![0u128..400, any::<u128>()], 1..50),
        ) {
            let mut order: Vec<u32> = (0..ids.len() as u32).collect();
            order.sort_by_key(|&r| (ids[r as usize], r));
            let built = TraceLookup::build(&ids, &order);
            prop_assert_eq!((built.blocks().len(), built.fence().len()), (bloom_blocks(ids.len()), fence_len(ids.len())));
            // As stored and read back from the map: the same answers.
            let stored = TraceLookup::stored(built.blocks(), built.fence());
            for id in probes.iter().chain(ids.iter().step_by(97)) {
                let want: Vec<u32> = order.iter().copied().filter(|&r| ids[r as usize] == *id).collect();
                prop_assert_eq!(built.rows(&ids, &order, *id), want.clone());
                prop_assert_eq!(stored.rows(&ids, &order, *id), want);
            }
        }
    }
}
