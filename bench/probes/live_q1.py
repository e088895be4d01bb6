"""Live shape, by hand: 8 clients append 100-row batches of predictions and their labels through
a running `seam serve` (Python client, durable acknowledgements) while one client asks Q1 once a
second. Usage: PYTHONPATH=python python3 bench/probes/live_q1.py PORT SECONDS
(the database preloaded with `seamdb-bench ingest --n 1000000 --feedback --dir DB`, then `seam serve
DB --listen 127.0.0.1:PORT`). Prints acknowledged rows/s and Q1 latency p50 / p90 / max."""
import sys, time, threading, random, statistics
import seamdb
port = int(sys.argv[1]); dur = float(sys.argv[2])
Q1 = "SELECT count(feedback.label) AS n, accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback WHERE inference.country = 'US' GROUP BY window(1h)"
stop = time.time() + dur
acked = [0]; lock = threading.Lock()
def writer(k):
    db = seamdb.connect("127.0.0.1", port)
    base = 10**12 + k * 10**9; i = 0
    t0 = 1767571200_000_000 + 6 * 86400_000_000
    while time.time() < stop:
        ids = list(range(base + i, base + i + 100)); i += 100
        ts = [t0 + j for j in range(100)]
        db.append("inference", {"trace_id": ids, "time": ts, "score": [random.random() for _ in ids], "country": ["US"] * 100})
        db.append("feedback", {"trace_id": ids, "time": [t + 3600_000_000 for t in ts], "label": [random.randint(0, 1) for _ in ids]})
        with lock: acked[0] += 200
ts_ = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
for t in ts_: t.start()
q = seamdb.connect("127.0.0.1", port); lat = []
while time.time() < stop:
    s = time.time(); q.query(Q1); lat.append((time.time() - s) * 1e3); time.sleep(max(0, 1 - (time.time() - s)))
for t in ts_: t.join()
lat.sort()
print(f"rows/s {acked[0]/dur:.0f} q1 n={len(lat)} p50 {statistics.median(lat):.0f} ms p90 {lat[int(0.9*(len(lat)-1))]:.0f} ms max {lat[-1]:.0f} ms")
