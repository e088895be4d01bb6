"""Frames and messages of SeamDB's wire protocol, version 2 (docs/PROTOCOL.md)."""

import datetime
import json
import struct
import sys

VERSION = 2

# Field types of APPEND_COLUMNS (and column types of TABLE, which the native module decodes):
# one numbering (docs/FORMAT.md §Types).
FLOAT, INT, BOOL, TAG, TIME = 1, 2, 3, 4, 5

HELLO, AUTH, PING, QUERY, TRACE, APPEND_JSON, FLUSH, APPEND_COLUMNS = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
READY, OK, PONG, TABLE, APPENDED, ERROR = 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF

ERROR_NAMES = {1: "Malformed", 2: "UnknownKind", 3: "UnsupportedVersion", 4: "AuthRequired", 5: "AuthFailed",
               6: "Query", 7: "Append", 8: "Storage", 9: "TooLarge", 10: "Busy", 11: "Timeout", 12: "Sequence",
               13: "AlreadyIngested", 14: "UnknownComponent"}

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def frame(kind, payload=b""):
    """The bytes of one frame: u32 LE length (1 + payload), kind, payload."""
    return struct.pack("<IB", len(payload) + 1, kind) + payload


def text(s):
    return s.encode("utf-8")


def short_string(s):
    b = text(s)
    if len(b) > 0xFFFF:
        raise ValueError("a name is longer than 65,535 bytes")
    return struct.pack("<H", len(b)) + b


def _tag_value(s):
    """A tag dictionary value: u32 length and the UTF-8 bytes."""
    b = text(s)
    return struct.pack("<I", len(b)) + b


def _code_width_format(dict_len):
    """Tag codes take 1, 2 or 4 bytes by dictionary size (docs/FORMAT.md §Types)."""
    return "B" if dict_len <= 1 << 8 else "H" if dict_len <= 1 << 16 else "I"


def append_json(component, rows):
    """APPEND_JSON: rows are dicts with trace_id, time and fields."""
    lines = "".join(json.dumps(row, default=_json_default) + "\n" for row in rows)
    return frame(APPEND_JSON, short_string(component) + text(lines))


def _json_default(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a value SeamDB stores")


def micros(t):
    """A time as microseconds since the epoch: an int (already µs), a datetime or an RFC 3339 string."""
    if isinstance(t, bool):
        raise TypeError("a bool is not a time")
    if isinstance(t, int):
        return t
    if isinstance(t, str):
        t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        delta = t - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if hasattr(t, "item"):
        return micros(t.item())
    raise TypeError(f"{type(t).__name__} is not a time")


def append_columns(component, columns):
    """APPEND_COLUMNS from a mapping of column name to a sequence (list or numpy array);
    `trace_id` and `time` are required, every other column is a field. None is null."""
    if "trace_id" not in columns or "time" not in columns:
        raise ValueError("columns need trace_id and time")
    ids = columns["trace_id"]
    rows = len(ids)
    fields = [(name, values) for name, values in columns.items() if name not in ("trace_id", "time")]
    # The layout of a WAL batch record from `component` on (docs/FORMAT.md §WAL).
    out = [short_string(component), struct.pack("<QI", rows, len(fields))]
    np = _numpy()
    if np is not None and isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" and ids.dtype.itemsize <= 8:
        if ids.dtype.kind == "i" and bool((ids < 0).any()):
            raise ValueError("trace IDs are non-negative")
        out.append(bytes([8]) + ids.astype("<u8").tobytes())
    else:
        id_list = [int(i) for i in ids]
        wide = any(i >> 64 for i in id_list)
        if any(i < 0 for i in id_list):
            raise ValueError("trace IDs are non-negative")
        out.append(bytes([16 if wide else 8]))
        if wide:
            out.extend(i.to_bytes(16, "little") for i in id_list)
        else:
            out.append(struct.pack(f"<{rows}Q", *id_list))
    times = columns["time"]
    if np is not None and isinstance(times, np.ndarray) and times.dtype.kind == "M":
        out.append(times.astype("datetime64[us]").astype("<i8").tobytes())
    elif np is not None and isinstance(times, np.ndarray) and times.dtype.kind in "iu":
        out.append(times.astype("<i8").tobytes())
    else:
        out.append(struct.pack(f"<{rows}q", *(micros(t) for t in times)))
    for name, values in fields:
        if len(values) != rows:
            raise ValueError(f"column {name!r} has {len(values)} rows, not {rows}")
        out.append(short_string(name))
        out.append(_field(values, rows, np))
    return frame(APPEND_COLUMNS, b"".join(out))


def _numpy():
    try:
        import numpy
        return numpy
    except ImportError:
        return None


def _field(values, rows, np):
    """One field's type, validity and values."""
    if np is not None and isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        kind = values.dtype.kind
        if kind == "f":
            # NaN is a float value, not a null (docs/QUERY.md): a numpy float array has no nulls.
            valid, data, code = None, values.astype("<f8").tobytes(), FLOAT
        elif kind == "b":
            valid, data, code = None, values.astype("u1").tobytes(), BOOL
        else:
            valid, data, code = None, values.astype("<i8").tobytes(), INT
        return bytes([code]) + _validity(None, rows) + data
    if np is not None and isinstance(values, np.ndarray) and values.dtype.kind == "U":
        # Strings: dictionary and codes in one numpy pass.
        dictionary, codes = np.unique(values, return_inverse=True)
        packed = b"".join(_tag_value(str(v)) for v in dictionary)
        width = "<" + {"B": "u1", "H": "u2", "I": "u4"}[_code_width_format(len(dictionary))]
        return bytes([TAG]) + _validity(None, rows) + struct.pack("<I", len(dictionary)) + packed + codes.astype(width).tobytes()
    # None (and pandas' NA) is null; a float NaN is a value, as the server stores it.
    na = _pandas_na()
    present = [v is not None and v is not na for v in values]
    kinds = {type(v).__name__ if not hasattr(v, "item") else type(v.item()).__name__ for v, p in zip(values, present) if p}
    validity = None if all(present) else present
    if kinds <= {"bool"}:
        return bytes([BOOL]) + _validity(validity, rows) + bytes(1 if (p and v) else 0 for v, p in zip(values, present))
    if kinds <= {"int"}:
        return bytes([INT]) + _validity(validity, rows) + struct.pack(f"<{rows}q", *(int(v) if p else 0 for v, p in zip(values, present)))
    if kinds <= {"int", "float"}:
        return bytes([FLOAT]) + _validity(validity, rows) + struct.pack(f"<{rows}d", *(float(v) if p else 0.0 for v, p in zip(values, present)))
    if kinds <= {"str"}:
        index = {}
        codes = []
        for v, p in zip(values, present):
            codes.append(index.setdefault(v, len(index)) if p else 0)
        dictionary = b"".join(_tag_value(v) for v in index)
        width = _code_width_format(len(index))
        return bytes([TAG]) + _validity(validity, rows) + struct.pack("<I", len(index)) + dictionary + struct.pack(f"<{rows}{width}", *codes)
    raise TypeError(f"a column mixes {sorted(kinds)}; a field holds floats, ints, bools or strings")


def _pandas_na():
    """pandas.NA (nullable pandas columns give it for a missing value) if pandas is loaded, else
    None: one identity test a value, without importing pandas."""
    pandas = sys.modules.get("pandas")
    return getattr(pandas, "NA", None) if pandas is not None else None


def _validity(present, rows):
    if present is None:
        return b"\x00"
    words = [0] * ((rows + 63) // 64)
    for r, p in enumerate(present):
        if p:
            words[r // 64] |= 1 << (r % 64)
    return b"\x01" + struct.pack(f"<{len(words)}Q", *words)
