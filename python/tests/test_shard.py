"""`seamdb.shard_of` against an independent pure-Python version of the documented hash
(docs/DISTRIBUTED.md §Sharding): the same shard for every ID form and count, and the values
pinned in storage/src/model/shard.rs, which this version computed."""

import random
import uuid

import pytest

import seamdb

M = 2**64 - 1


def mix(z):
    """splitmix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def jump(key, buckets):
    """Jump consistent hash (Lamping and Veach, 2014)."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & M
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def reference(trace_id, shards):
    return jump(mix((trace_id & M) ^ mix(trace_id >> 64)), shards)


def test_equals_the_documented_hash_for_every_form():
    r = random.Random(16)
    ids = [0, 1, 2**64 - 1, 2**64, 2**128 - 1] + [r.getrandbits(r.choice([16, 64, 128])) for _ in range(2000)]
    for i in ids:
        for n in (1, 2, 3, 7, 64, 1000):
            want = reference(i, n)
            assert seamdb.shard_of(i, n) == want
        # Text forms of the same ID: decimal, 32 hex digits, UUID.
        n = 1 + i % 97
        assert seamdb.shard_of(str(i), n) == seamdb.shard_of(f"{i:032x}", n) == seamdb.shard_of(str(uuid.UUID(int=i)), n) == reference(i, n)


def test_pinned_values():
    ids = [0, 1, 2, 3, 4, 5, 42, 2**64 - 1, 0x0123456789ABCDEFFEDCBA9876543210, 2**128 - 1]
    pinned = [[0, 0, 0, 0], [0, 0, 9, 120], [0, 2, 7, 141], [0, 0, 9, 31], [1, 1, 5, 619], [0, 0, 8, 329], [0, 0, 9, 82], [0, 0, 3, 222], [0, 0, 7, 836], [0, 0, 0, 44]]
    assert [[reference(i, n) for n in (2, 3, 10, 1000)] for i in ids] == pinned
    assert [[seamdb.shard_of(i, n) for n in (2, 3, 10, 1000)] for i in ids] == pinned


def test_bad_arguments():
    with pytest.raises(seamdb.InputError, match="at least 1"):
        seamdb.shard_of(1, 0)
    with pytest.raises(seamdb.InputError, match="trace_id"):
        seamdb.shard_of("not an id", 2)
    with pytest.raises(seamdb.InputError, match="trace_id"):
        seamdb.shard_of(-1, 2)
