#!/usr/bin/env python3
"""CSV ingest, SeamDB against DuckDB, on the same file and machine, in one run.

SeamDB: `seam ingest DB --component inference FILE` (parse, build segments, fsync, commit).
DuckDB: `CREATE TABLE inference AS SELECT * FROM read_csv(FILE)` then CHECKPOINT, in a fresh
database file. Each is run --runs times into a fresh directory; medians, min and max are
printed as JSON, with peak resident memory of the SeamDB process.

Usage (from the repository root; installs duckdb with pip if missing):
    cargo build --release -p seamdb-cli -p seamdb-bench
    target/release/seamdb-bench csv --n 10000000 --out /tmp/seam-data
    python3 bench/peers/csv_ingest.py --csv /tmp/seam-data/inference.csv --work /tmp/seam-csv
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"])
    import duckdb
    return duckdb

def seam_run(seam, csv, db):
    """Seconds and peak resident bytes of one `seam ingest` (wait4 reports that child alone)."""
    shutil.rmtree(db, ignore_errors=True)
    t = time.perf_counter()
    child = subprocess.Popen([seam, "ingest", db, "--component", "inference", csv], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    secs = time.perf_counter() - t
    if status != 0:
        sys.exit(f"seam ingest failed with status {status}")
    return secs, usage.ru_maxrss * 1024

def duck_run(duckdb, csv, path, threads):
    if os.path.exists(path):
        os.remove(path)
    con = duckdb.connect(path)
    con.execute(f"SET threads={threads}")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE inference AS SELECT * FROM read_csv('{csv}')")
    con.execute("CHECKPOINT")
    secs = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM inference").fetchone()[0]
    con.close()
    return secs, rows

def summary(xs):
    return {"median_s": statistics.median(xs), "min_s": min(xs), "max_s": max(xs), "runs": len(xs)}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seam", default="target/release/seam")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    duckdb = ensure_duckdb()
    os.makedirs(a.work, exist_ok=True)
    seam_times, duck = [], {1: [], 2: []}
    rss = 0
    rows = None
    for _ in range(a.runs):  # interleaved, so drift on a shared machine hits both alike
        secs, peak = seam_run(a.seam, a.csv, os.path.join(a.work, "seam-db"))
        seam_times.append(secs)
        rss = max(rss, peak)
        for threads in (1, 2):
            secs, rows = duck_run(duckdb, a.csv, os.path.join(a.work, "duck.db"), threads)
            duck[threads].append(secs)
    size = os.path.getsize(a.csv)
    result = {
        "file_bytes": size, "rows": rows, "duckdb_version": duckdb.__version__, "cpus": os.cpu_count(),
        "seamdb": summary(seam_times) | {"peak_rss_bytes": rss},
        "duckdb_1_thread": summary(duck[1]), "duckdb_2_threads": summary(duck[2]),
        "speedup_vs_duckdb_2_threads": statistics.median(duck[2]) / statistics.median(seam_times),
    }
    print(json.dumps(result, indent=2))
    shutil.rmtree(a.work, ignore_errors=True)

if __name__ == "__main__":
    main()
