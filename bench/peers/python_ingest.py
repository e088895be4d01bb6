#!/usr/bin/env python3
"""TCP ingest from the Python client with numpy columns: starts `seam serve` on a fresh
directory, appends N rows of the standard workload's shape (u64 trace IDs, datetime64 times,
float score, three tag columns, two float features) in batches, each acknowledged durable,
and prints rows/s.

    cargo build --release -p seamdb-cli && pip install numpy ./python
    python3 bench/peers/python_ingest.py --seam target/release/seam --n 10000000
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time

import numpy as np
import seamdb


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seam", required=True)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--batch-rows", type=int, default=65_536)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    batches = []
    for start in range(0, args.n, args.batch_rows):
        k = min(args.batch_rows, args.n - start)
        batches.append({
            "trace_id": rng.integers(0, 2**63, k, dtype=np.uint64),
            "time": np.datetime64("2026-01-05T00:00:00", "us") + np.sort(rng.integers(0, 7 * 86_400_000_000, k)).astype("timedelta64[us]"),
            "score": rng.random(k),
            "model_version": np.array(["v1", "v2", "v3"])[rng.integers(0, 3, k)],
            "country": np.array(["US", "IN", "BR", "DE", "FR"])[rng.integers(0, 5, k)],
            "device": np.array(["android", "ios", "web"])[rng.integers(0, 3, k)],
            "feature_age": rng.normal(40, 10, k),
            "feature_income": np.where(rng.random(k) < 0.02, np.nan, rng.normal(50_000, 15_000, k)),
        })
    with tempfile.TemporaryDirectory() as d, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = subprocess.Popen([args.seam, "serve", os.path.join(d, "db"), "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
        try:
            for _ in range(400):
                try:
                    db = seamdb.connect("127.0.0.1", port)
                    break
                except OSError:
                    time.sleep(0.025)
            start = time.perf_counter()
            rows = sum(db.append("inference", b) for b in batches)
            seconds = time.perf_counter() - start
            db.close()
        finally:
            server.terminate()
            server.wait()
    print(json.dumps({"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "batch_rows": args.batch_rows}))


if __name__ == "__main__":
    main()
