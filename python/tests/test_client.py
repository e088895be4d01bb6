"""The Python client against a real `seam serve` (started here from $SEAM_BIN on a free
port): every call, errors, authentication, and the columnar paths."""

import datetime
import os
import socket
import subprocess
import tempfile
import time
import unittest

import pyarrow

import seamdb
from support import seam_bin

try:
    import numpy
except ImportError:
    numpy = None
try:
    import pandas
except ImportError:
    pandas = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, token=None):
        self.dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        args = [seam_bin(), "serve", os.path.join(self.dir.name, "db"), "--listen", f"127.0.0.1:{self.port}"]
        if token:
            path = os.path.join(self.dir.name, "token")
            with open(path, "w") as f:
                f.write(token + "\n")
            args += ["--token-file", path]
        self.proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("seam serve did not come up")

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(timeout=30)
        self.dir.cleanup()
        return code


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Served()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def connect(self):
        return seamdb.connect("127.0.0.1", self.server.port)

    def test_rows_queries_traces(self):
        with self.connect() as db:
            db.ping()
            rows = [{"trace_id": 1000 + i, "time": f"2026-01-05T00:00:{i:02d}Z", "score": i / 10, "country": "US" if i % 2 else "DE"} for i in range(10)]
            self.assertEqual(db.append("rows", rows), 10)
            self.assertEqual(db.append("rows_fb", [{"trace_id": 1003, "time": "2026-01-05T01:00:00Z", "label": 1}]), 1)
            result = db.query("SELECT count() AS n, max(score) AS hi FROM rows GROUP BY rows.country")
            # The embedded database's Result, typed as it types it.
            self.assertIsInstance(result, seamdb.Result)
            self.assertEqual(result.columns, ["rows.country", "n", "hi"])
            self.assertEqual(result.fetchall(), [("DE", 5, 0.8), ("US", 5, 0.9)])
            t = result.arrow()
            self.assertTrue(pyarrow.types.is_dictionary(t.schema.field("rows.country").type))
            self.assertEqual((t.schema.field("n").type, t.schema.field("hi").type), (pyarrow.int64(), pyarrow.float64()))
            windows = db.query("SELECT count() AS n FROM rows GROUP BY window(1h)")
            self.assertEqual(windows.fetchall()[0][0], datetime.datetime(2026, 1, 5, tzinfo=datetime.timezone.utc))
            self.assertEqual(windows.arrow().schema.field("window").type, pyarrow.timestamp("us", tz="UTC"))
            # The client passes the statement along, so zoned windows come out in their zone.
            zoned = db.query("SELECT count() AS n FROM rows GROUP BY window(1d, 'Asia/Tokyo')")
            self.assertEqual(zoned.arrow().schema.field("window").type, pyarrow.timestamp("us", tz="Asia/Tokyo"))
            self.assertEqual(str(zoned.fetchall()[0][0]), "2026-01-05 00:00:00+09:00")
            events = db.trace(1003)
            self.assertEqual(events.columns[:2], ["time", "component"])
            self.assertEqual([e[1] for e in events.fetchall()], ["rows", "rows_fb"])
            self.assertEqual(events.arrow().column("rows_fb.label").to_pylist(), [None, 1])
            db.flush()

    def test_errors_name_their_cause_and_keep_the_connection(self):
        with self.connect() as db:
            with self.assertRaises(seamdb.SeamDBError) as e:
                db.query("SELEC 1")
            self.assertEqual(e.exception.code, "Query")
            self.assertIn("line 1", str(e.exception))
            # The same classes as the embedded database's.
            self.assertIsInstance(e.exception, seamdb.QueryError)
            with self.assertRaises(seamdb.SeamDBError) as e:
                db.append("bad", [{"trace_id": 1, "time": "not a time"}])
            self.assertEqual(e.exception.code, "Append")
            self.assertIsInstance(e.exception, seamdb.InputError)
            self.assertNotIsInstance(e.exception, seamdb.QueryError)
            db.ping()

    def test_columns_without_numpy(self):
        with self.connect() as db:
            cols = {
                "trace_id": [1, 2, 3, 2**70],
                "time": ["2026-01-05T00:00:00Z", datetime.datetime(2026, 1, 5, 0, 1), 1767571320000000, "2026-01-05T00:03:00Z"],
                "score": [0.5, None, 0.25, 1],
                "n": [1, 2, None, 4],
                "ok": [True, False, True, None],
                "device": ["ios", "web", None, "ios"],
            }
            self.assertEqual(db.append("cols", cols), 4)
            r = db.query("SELECT count() AS n, count(score) AS s, sum(n) AS t, count(ok) AS o, count(device) AS d FROM cols")
            self.assertEqual(r.fetchall(), [(4, 3, 7, 3, 3)])
            self.assertEqual(len(db.trace(str(2**70))), 1)

    def test_wide_dictionaries_and_type_conflicts(self):
        with self.connect() as db:
            # 300 distinct tags: codes two bytes wide.
            cols = {"trace_id": list(range(300)), "time": [0] * 300, "user": [f"u{i}" for i in range(300)], "x": [1.5] * 300}
            self.assertEqual(db.append("wide", cols), 300)
            self.assertEqual(db.query("SELECT count() AS n FROM wide WHERE user = 'u299'").fetchall(), [(1,)])
            # A tag sent to a float field is the request's fault (Append), and stores nothing.
            with self.assertRaises(seamdb.SeamDBError) as e:
                db.append("wide", {"trace_id": [1], "time": [0], "x": ["high"]})
            self.assertEqual(e.exception.code, "Append")
            self.assertEqual(db.query("SELECT count() AS n FROM wide").fetchall(), [(300,)])

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy_columns(self):
        n = 10_000
        cols = {
            "trace_id": numpy.arange(n, dtype="u8") + 100_000,
            "time": numpy.datetime64("2026-01-05T00:00:00", "us") + numpy.arange(n).astype("timedelta64[s]"),
            "score": numpy.where(numpy.arange(n) % 10 == 0, numpy.nan, numpy.linspace(0, 1, n)),
            "label": (numpy.arange(n) % 2).astype("i8"),
        }
        with self.connect() as db:
            self.assertEqual(db.append("np", cols), n)
            # NaN is a value (count sees it, nan_rate counts it), not a null.
            r = db.query("SELECT count() AS n, count(score) AS s, nan_rate(score) AS nan, null_rate(score) AS nul, sum(label) AS l FROM np")
            self.assertEqual(r.fetchall(), [(n, n, 0.1, 0.0, n // 2)])
            # In lists, None is null and NaN a value.
            self.assertEqual(db.append("np", {"trace_id": [1, 2], "time": [0, 0], "score": [None, float("nan")], "label": [0, 0]}), 2)
            r = db.query("SELECT count(score) AS s, nan_rate(score) AS nan FROM np WHERE time < '1970-01-02'")
            self.assertEqual(r.fetchall(), [(1, 0.5)])


    @unittest.skipIf(pandas is None, "pandas is not installed")
    def test_pandas_frames_in_and_out(self):
        frame = pandas.DataFrame({
            "trace_id": numpy.arange(200_000, 200_006, dtype="u8"),
            "time": pandas.to_datetime(["2026-01-05T00:00:00Z"] * 3 + ["2026-01-05T01:00:00Z"] * 3).tz_localize(None),
            "score": [0.1, 0.6, numpy.nan, 0.9, 0.4, 0.7],
            "device": ["ios", "web", "ios", "web", "ios", "web"],
        })
        with self.connect() as db:
            self.assertEqual(db.append("pd", frame), 6)
            out = db.query("SELECT count() AS n, count(pd.score) AS s FROM pd GROUP BY window(1h), pd.device").df()
            self.assertEqual(list(out.columns), ["window", "pd.device", "n", "s"])
            self.assertEqual(out["n"].tolist(), [2, 1, 1, 2])
            self.assertEqual(out["s"].tolist(), [2, 1, 1, 2], "a NaN score is a value, counted")


class DocExampleTest(unittest.TestCase):
    """The encoder gives the bytes docs/PROTOCOL.md shows, and the TABLE it shows decodes to
    its one int (as the Rust code's tests check too)."""

    def test_doc_examples(self):
        doc_path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "PROTOCOL.md")
        with open(doc_path) as f:
            doc = f.read()
        frame = seamdb.protocol.append_columns("fb", {"trace_id": [1], "time": [0], "label": [1]})
        self.assertIn(" ".join(f"{b:02x}" for b in frame), doc)
        table = bytes.fromhex("01000000 01000000 0100 6e 02 01 0200000000000000".replace(" ", ""))
        result = seamdb.Result._from_table_frame(table)
        self.assertEqual((result.columns, result.fetchall()), (["n"], [(2,)]))
        with self.assertRaises(seamdb.Error) as e:
            seamdb.Result._from_table_frame(table[:-1])
        self.assertIn("TABLE", str(e.exception))


class AuthTest(unittest.TestCase):
    def test_token(self):
        server = Served(token="s3cret")
        try:
            with self.assertRaises(seamdb.SeamDBError) as e:
                seamdb.connect("127.0.0.1", server.port, token="guess")
            self.assertEqual(e.exception.code, "AuthFailed")
            with seamdb.connect("127.0.0.1", server.port, token="s3cret") as db:
                db.ping()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
