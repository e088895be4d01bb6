"""A connection to `seam serve`: one request at a time, each answered in order. Queries and
traces return the embedded database's `seamdb.Result`: the TABLE reply is decoded by the
native module, with the server's own protocol code."""

import socket
import struct

from . import protocol as p
from ._errors import Error, InputError, QueryError, StorageError


class SeamDBError(Error):
    """An error frame from the server (`code` names it, as in docs/PROTOCOL.md), or a broken
    connection (`code` is None). Errors of a query, of appended data and of the database's
    storage are also `QueryError`, `InputError` and `StorageError`, as the embedded database
    raises them, so one `except` clause serves both."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class ServerQueryError(SeamDBError, QueryError):
    pass


class ServerInputError(SeamDBError, InputError):
    pass


class ServerStorageError(SeamDBError, StorageError):
    pass


# The error codes of docs/PROTOCOL.md whose cause is the statement, the data or the database.
_BY_CODE = {
    "Query": ServerQueryError,
    "Append": ServerInputError,
    "AlreadyIngested": ServerInputError,
    "UnknownComponent": ServerInputError,
    "TooLarge": ServerInputError,
    "Storage": ServerStorageError,
}


def connect(host="127.0.0.1", port=7878, token=None, timeout=60.0):
    """Connects, says HELLO, and presents `token` (str or bytes) if given.

        with seamdb.connect("127.0.0.1", 7878) as remote:   # seam serve DB
            remote.query("SELECT count() AS n FROM inference").fetchall()
    """
    return Connection(host, port, token, timeout)


def _result(payload, seamql=None):
    from ._seamdb import Result

    return Result._from_table_frame(payload, seamql)


class Connection:
    def __init__(self, host, port, token=None, timeout=60.0):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb")
        try:
            kind, _ = self._call(p.frame(p.HELLO, struct.pack("<H", p.VERSION)))
            if kind != p.READY:
                raise SeamDBError(f"unexpected reply 0x{kind:02x} to HELLO")
            if token is not None:
                token = token.encode("utf-8") if isinstance(token, str) else bytes(token)
                self._expect(p.OK, self._call(p.frame(p.AUTH, token)))
        except BaseException:
            self.close()
            raise

    def _call(self, data):
        self._sock.sendall(data)
        header = self._file.read(4)
        if len(header) < 4:
            raise SeamDBError("the server closed the connection")
        (length,) = struct.unpack("<I", header)
        body = self._file.read(length)
        if length == 0 or len(body) < length:
            raise SeamDBError("the server closed the connection inside a reply")
        kind, payload = body[0], body[1:]
        if kind == p.ERROR:
            (code,) = struct.unpack("<H", payload[:2])
            name = p.ERROR_NAMES.get(code, str(code))
            raise _BY_CODE.get(name, SeamDBError)(payload[2:].decode("utf-8", "replace"), name)
        return kind, payload

    @staticmethod
    def _expect(kind, reply):
        if reply[0] != kind:
            raise SeamDBError(f"unexpected reply 0x{reply[0]:02x}")
        return reply[1]

    def ping(self):
        self._expect(p.PONG, self._call(p.frame(p.PING)))

    def query(self, seamql):
        """Runs one SeamQL statement; a `seamdb.Result`, as `Database.query` returns.

            remote.query("SELECT count() AS n FROM inference GROUP BY window(1h)").df()
        """
        return _result(self._expect(p.TABLE, self._call(p.frame(p.QUERY, p.text(seamql)))), seamql)

    def trace(self, trace_id):
        """Every event of one trace in every component, ordered by time: a `seamdb.Result`.

            remote.trace(42).fetchall()
        """
        return _result(self._expect(p.TABLE, self._call(p.frame(p.TRACE, p.text(str(trace_id))))))

    def append(self, component, rows):
        """Appends events to `component` and returns how many, once they are durable.

        `rows` is what `Database.append` takes (a pyarrow Table or RecordBatch, a pandas or
        polars DataFrame: encoded by the native module exactly as the embedded database reads
        them), a mapping of column name to a list or numpy array (binary columns), or a list
        of dicts (trace_id, time, fields; sent as JSON lines).

            remote.append("feedback", {"trace_id": [7], "time": ["2026-01-05T01:00:00Z"], "label": [1]})
        """
        if hasattr(rows, "__arrow_c_stream__") or hasattr(rows, "columns"):
            # Arrow, pandas and polars data: encoded natively, as the embedded database reads it.
            from ._convert import to_arrow
            from ._seamdb import _append_columns_frame

            data, _ = _append_columns_frame(component, to_arrow(rows))
        elif isinstance(rows, dict):
            data = p.append_columns(component, rows)
        else:
            data = p.append_json(component, list(rows))
        payload = self._expect(p.APPENDED, self._call(data))
        return struct.unpack("<Q", payload)[0]

    def flush(self):
        """Seals everything appended so far (appends are durable without it).

            remote.flush()
        """
        self._expect(p.OK, self._call(p.frame(p.FLUSH)))

    def close(self):
        self._file.close()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
