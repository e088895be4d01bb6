"""What `Database.append` accepts, turned into Arrow for the Rust side, without a loop over
rows: numeric numpy arrays and pandas columns pass their buffers to pyarrow (no copy), and
anything that speaks Arrow's PyCapsule stream protocol (polars, pyarrow) is passed as it is.

Null and NaN stay apart (SPEC §2): None, pandas.NA and NaT are null; a float NaN is a value,
also in pandas float columns (pyarrow's own pandas conversion would make it null)."""

import pyarrow as pa

from ._errors import InputError


def to_arrow(data):
    """`data` as an object with `__arrow_c_stream__` (a pyarrow Table, usually)."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, dict):
        return pa.table({str(name): _column(name, values, _array) for name, values in data.items()})
    if _is_pandas(data):
        return pa.table({str(name): _column(name, data[name], _pandas_column) for name in data.columns})
    if hasattr(data, "__arrow_c_stream__"):  # polars, and other Arrow producers
        return data
    raise TypeError(
        f"cannot append a {type(data).__name__}: give a dict of columns (lists or numpy arrays), "
        "a pyarrow Table or RecordBatch, or a pandas or polars DataFrame"
    )


def _column(name, values, convert):
    try:
        return convert(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        if name == "trace_id" and isinstance(values, (list, tuple)):
            # Python ints past 64 bits (128-bit trace IDs) travel as their decimal text.
            return pa.array([None if v is None else str(v) for v in values])
        raise InputError(f"column {name!r}: {e}") from None


def _array(values):
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if _is_pandas_series(values):
        return _pandas_column(values)
    return pa.array(values)


def _pandas_column(series):
    # from_pandas=True makes NaN null: keep it only where NaN can only mean missing (object
    # and datetime columns); float columns keep NaN as a value.
    return pa.array(series, from_pandas=series.dtype.kind not in "fc")


def _is_pandas(data):
    return type(data).__module__.startswith("pandas") and hasattr(data, "columns") and hasattr(data, "dtypes")


def _is_pandas_series(data):
    return type(data).__module__.startswith("pandas") and hasattr(data, "dtype") and hasattr(data, "index")
