#!/usr/bin/env python3
"""SeamDB's Python package on the standard workload (issue 16), run by `seamdb-bench python`.

`queries`: Q1-Q5 (SPEC section 7) through the embedded package: `db.query(q)` alone (the
engine's answer held as a Result), `.arrow()` and `.df()`, before DuckDB is loaded; then
DuckDB's Python API (`con.sql(sql).df()` and `.arrow()`) on the same data in this same process
with the same threads, alternating with ours. Every form runs once cold, then `--runs` rounds
that each run every form of every query once, so the machine's drift falls on all of them
alike. SeamDB's answers must equal the harness's (ANSWERS/q1.csv ...), and DuckDB's must too,
before a time is printed.

`append`: the workload read from DATA's CSV files (untimed), cut into the harness's batches
(65,536 predictions, then the labels of as many rows), and appended to a fresh database from
a dict of numpy arrays, a pandas DataFrame and a pyarrow Table: rows/s to the last
acknowledgement (each append is durable when it returns), `--runs` times each.

    python3 bench/peers/python_api.py queries --db DB --data DATA --answers ANSWERS --runs 5
    python3 bench/peers/python_api.py append --data DATA --work WORK --runs 3

Prints one JSON line per measurement.
"""
import argparse, csv, datetime, gc, json, os, shutil, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (the DuckDB SQL of Q1-Q5 and its answer check)
import seamdb  # noqa: E402

QUERIES = ["Q1", "Q2", "Q3", "Q4", "Q5"]
BATCH_ROWS = 65_536


def emit(**kw):
    print(json.dumps(kw), flush=True)


def spread(xs):
    return {"median": statistics.median_high(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}


def ms(f):
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e3


def check_seamdb(name, result, answers):
    """`result` (a seamdb.Result) against the harness's CSV answer: same columns, same rows,
    window starts as the CSV prints them, numbers within 1e-9 relative."""
    with open(os.path.join(answers, name.lower() + ".csv")) as f:
        header, *theirs = list(csv.reader(f))
    if result.columns != header:
        sys.exit(f"{name}: columns {result.columns} vs the harness's {header}")
    mine = result.fetchall()
    if len(mine) != len(theirs):
        sys.exit(f"{name}: {len(mine)} rows vs the harness's {len(theirs)}")
    for a, b in zip(theirs, mine):
        for x, y in zip(a, b):
            if isinstance(y, datetime.datetime):
                y = y.strftime("%Y-%m-%dT%H:%M:%SZ")
            if isinstance(y, float) and x != "":
                if not abs(float(x) - y) <= 1e-9 * max(1.0, abs(y)):
                    sys.exit(f"{name}: {a} vs {b}")
            elif str(x if x != "" else None) != str(y):
                sys.exit(f"{name}: {a} vs {b}")


def rounds(forms, runs):
    """Each form of each query once cold, then `runs` rounds of every form of every query:
    {(query, form): [ms, ...]} and the cold times."""
    cold = {(n, f): ms(lambda: run(n)) for n in QUERIES for f, run in forms.items()}
    times = {key: [] for key in cold}
    for _ in range(runs):
        for name in QUERIES:
            for form, run in forms.items():
                gc.collect()
                times[(name, form)].append(ms(lambda: run(name)))
    return times, cold


def queries(a):
    db = seamdb.open(a.db, read_only=True)
    texts = {q["name"]: q["text"] for q in json.load(open(a.queries))}
    for name in QUERIES:
        check_seamdb(name, db.query(texts[name]), a.answers)
    ours = {
        "seamdb query": lambda n: db.query(texts[n]),
        "seamdb .arrow()": lambda n: db.query(texts[n]).arrow(),
        "seamdb .df()": lambda n: db.query(texts[n]).df(),
    }
    # First SeamDB alone, before DuckDB is loaded: the Python API's own overhead, nothing of
    # DuckDB's (its memory, its threads) in the process.
    times, cold = rounds(ours, a.runs)

    # Then DuckDB's Python API on the same data, in this process, alternating with ours.
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    files = [os.path.join(a.data, f) for f in ("inference.csv", "feedback.csv")]
    con.execute(f"""CREATE TABLE inference AS SELECT * FROM read_csv('{files[0]}', header=true, columns={{
        'trace_id':'UBIGINT','time':'TIMESTAMPTZ','score':'DOUBLE','model_version':'VARCHAR','country':'VARCHAR',
        'device':'VARCHAR','feature_age':'DOUBLE','feature_income':'DOUBLE'}})""")
    con.execute(f"""CREATE TABLE feedback AS SELECT * FROM read_csv('{files[1]}', header=true, columns={{
        'trace_id':'UBIGINT','time':'TIMESTAMPTZ','label':'BIGINT'}})""")
    for name in QUERIES:
        peers.compare(name, con.sql(peers.DUCK[name]).fetchall(), a.answers)
    beside = {
        "seamdb .df() beside duckdb": ours["seamdb .df()"],
        "duckdb .df()": lambda n: con.sql(peers.DUCK[n]).df(),
        "seamdb .arrow() beside duckdb": ours["seamdb .arrow()"],
        "duckdb .arrow()": lambda n: con.sql(peers.DUCK[n]).arrow(),
    }
    more, more_cold = rounds(beside, a.runs)
    times.update(more)
    cold.update(more_cold)

    rows = {name: len(db.query(texts[name])) for name in QUERIES}
    for (name, form), xs in times.items():
        emit(kind="query", query=name, form=form, threads=a.threads, ms=spread(xs), cold_ms=cold[(name, form)], rows=rows[name])
    # Each round's ratio, the two measured back to back.
    for name in QUERIES:
        for num, den in [("seamdb .arrow()", "seamdb query"), ("seamdb .df()", "seamdb query"),
                         ("duckdb .df()", "seamdb .df() beside duckdb"), ("duckdb .arrow()", "seamdb .arrow() beside duckdb")]:
            ratios = [x / y for x, y in zip(times[(name, num)], times[(name, den)])]
            emit(kind="ratio", query=name, what=f"{num} / {den}", paired=spread(ratios))


def append(a):
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    utc = pa.timestamp("us", tz="UTC")
    types = {"trace_id": pa.uint64(), "time": utc, "score": pa.float64(), "feature_age": pa.float64(),
             "feature_income": pa.float64(), "label": pa.int64()}
    read = lambda f: pacsv.read_csv(os.path.join(a.data, f), convert_options=pacsv.ConvertOptions(column_types=types))
    inference, feedback = read("inference.csv"), read("feedback.csv")
    chunks = -(-inference.num_rows // BATCH_ROWS)
    cut = lambda t, k: t.slice(k * t.num_rows // chunks, (k + 1) * t.num_rows // chunks - k * t.num_rows // chunks)
    arrow = [b for k in range(chunks) for b in (("inference", cut(inference, k)), ("feedback", cut(feedback, k)))]
    rows = inference.num_rows + feedback.num_rows

    def numpy_columns(t):
        # What a numpy user holds: integers, datetime64[us], floats, fixed-width text, and a
        # masked array where a float column has nulls.
        out = {}
        for name, col in zip(t.column_names, t.columns):
            col = col.combine_chunks()
            if pa.types.is_string(col.type):
                out[name] = np.array(col.to_pylist())
            elif col.null_count:
                out[name] = np.ma.masked_array(col.fill_null(0).to_numpy(), mask=col.is_null().to_numpy(zero_copy_only=False))
            else:
                out[name] = col.to_numpy()
        return out

    inputs = {
        "pyarrow Table": lambda: arrow,
        "pandas DataFrame": lambda: [(c, t.to_pandas()) for c, t in arrow],
        "dict of numpy arrays": lambda: [(c, numpy_columns(t)) for c, t in arrow],
    }
    for form, make in inputs.items():
        batches = make()
        rates = []
        for _ in range(a.runs):
            path = os.path.join(a.work, "python-append")
            shutil.rmtree(path, ignore_errors=True)
            gc.collect()
            with seamdb.open(path) as db:
                t = time.perf_counter()
                n = sum(db.append(c, b) for c, b in batches)
                seconds = time.perf_counter() - t
                stored = db.query("SELECT count() AS n FROM inference").fetchall()[0][0] + \
                    db.query("SELECT count() AS n FROM feedback").fetchall()[0][0]
            if n != rows or stored != rows:
                sys.exit(f"{form}: appended {n} and stored {stored} of {rows} rows")
            rates.append(rows / seconds)
            shutil.rmtree(path)
        emit(kind="append", form=form, rows=rows, batches=len(batches), rows_per_s=spread(rates))
        del batches


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["queries", "append"])
    ap.add_argument("--data", required=True, help="directory with inference.csv and feedback.csv")
    ap.add_argument("--db", help="the workload's SeamDB database (queries)")
    ap.add_argument("--answers", help="the harness's answers, q1.csv ... (queries)")
    ap.add_argument("--queries", help="JSON list of {name, text}: Q1-Q5's SeamQL (queries)")
    ap.add_argument("--work", help="scratch directory for the appended databases (append)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB's threads")
    a = ap.parse_args()
    queries(a) if a.part == "queries" else append(a)


if __name__ == "__main__":
    main()
