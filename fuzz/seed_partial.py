"""Seeds for the `partial` fuzz target: the partial states of its query over tests/queries/data,
as the target reads them (first byte: where the rest goes). Needs `pip install ./python` and
a database of that data:

    for c in inference feedback; do seam ingest /tmp/seeddb -c $c --create tests/queries/data/$c.csv; done
    python3 fuzz/seed_partial.py /tmp/seeddb fuzz/corpus/partial
"""

import hashlib
import os
import re
import sys

import seamdb
from seamdb import _seamdb

db_path, out = sys.argv[1], sys.argv[2]
target = os.path.join(os.path.dirname(__file__), "fuzz_targets", "partial.rs")
q = re.sub(r"\\\n\s*", "", re.search(r'pub const QUERY: &str = "(.*?)";', open(target).read(), re.S).group(1))
with seamdb.open(db_path, read_only=True) as db:
    context = _seamdb._partial_merge(q, 0, [db._partial(q, 0, "schemas")])
    context = _seamdb._partial_merge(q, 0, [context, db._partial(q, 0, "references", context)])
    groups = db._partial(q, 0, "groups", context)
whole = _seamdb._partial_merge(q, 0, [context, groups])
assert _seamdb._partial_finish(q, 0, whole, whole).fetchall(), "the seed answers"
os.makedirs(out, exist_ok=True)
for seed in (b"\x00" + groups, b"\x00" + context, b"\x01" + whole, b"\x02" + context + groups):
    with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
        f.write(seed)
