//! Which of `n` shards a trace belongs to (SPEC §6c): the one hash every writer, reader and
//! language uses, so that all events of a trace land in one shard and a join on `trace_id`
//! never crosses shards. docs/DISTRIBUTED.md §Sharding documents it for other languages, with
//! the values `tests` below pin.
//!
//! The 128-bit ID is folded into a 64-bit key with splitmix64's finalizer —
//! `key = mix(low ^ mix(high))`, `low` and `high` its two 64-bit halves, so a 64-bit ID's key
//! is `mix(id)` (`mix(0) = 0`) — and the key picks a shard by jump consistent hash (Lamping
//! and Veach, 2014). Growing from `n` to `n + 1` shards moves only the traces the new shard
//! takes, about 1 in `n + 1`, each from wherever it was.

/// The shard, in `0..shards`, of the trace `id`. `shards` must be at least 1.
pub fn shard_of(id: u128, shards: u32) -> u32 {
    assert!(shards >= 1, "a database is split into at least one shard");
    let key = mix(id as u64 ^ mix((id >> 64) as u64));
    jump(key, shards)
}

/// splitmix64's output function (Steele, Lea and Flood, 2014): a bijection of u64 whose
/// output bits each depend on every input bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Jump consistent hash: the bucket in `0..buckets` of `key`. The float arithmetic is exact
/// IEEE 754 double, the same in every language.
fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j) = (-1i64, 0i64);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

#[cfg(test)]
mod tests {
    use super::shard_of;

    /// The values docs/DISTRIBUTED.md gives, computed by the independent Python version in
    /// python/tests/test_shard.py; any other implementation must match them.
    #[test]
    fn pinned_values() {
        let ids: [u128; 10] = [0, 1, 2, 3, 4, 5, 42, u64::MAX as u128, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210, u128::MAX];
        let got: Vec<[u32; 4]> = ids.iter().map(|&id| [2, 3, 10, 1000].map(|n| shard_of(id, n))).collect();
        assert_eq!(got, PINNED);
        assert!(ids.iter().all(|&id| shard_of(id, 1) == 0));
    }

    const PINNED: [[u32; 4]; 10] = [
        [0, 0, 0, 0],
        [0, 0, 9, 120],
        [0, 2, 7, 141],
        [0, 0, 9, 31],
        [1, 1, 5, 619],
        [0, 0, 8, 329],
        [0, 0, 9, 82],
        [0, 0, 3, 222],
        [0, 0, 7, 836],
        [0, 0, 0, 44],
    ];

    /// Balanced, and consistent: from n to n + 1 shards a trace stays or moves to shard n.
    #[test]
    fn balanced_and_consistent() {
        let ids: Vec<u128> = (0..200_000u128).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)).collect();
        for n in 1..=12u32 {
            let mut counts = vec![0u32; n as usize];
            for &id in &ids {
                let (here, next) = (shard_of(id, n), shard_of(id, n + 1));
                counts[here as usize] += 1;
                assert!(next == here || next == n, "id {id}: {here} of {n}, then {next}");
            }
            let mean = ids.len() as f64 / n as f64;
            assert!(counts.iter().all(|&c| (c as f64 - mean).abs() < 0.03 * mean), "{n} shards: {counts:?}");
        }
    }
}
