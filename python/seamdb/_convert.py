"""What `Database.append` accepts, turned into Arrow for the Rust side, without a loop over
rows: numeric numpy arrays and pandas columns pass their buffers to pyarrow (no copy), and
anything that speaks Arrow's PyCapsule stream protocol (polars, pyarrow) is passed as it is.
numpy's fixed-width text (dtype `U` or `S`) passes its buffer too, as fixed-size binary
marked with `seamdb.numpy_text` (python/src/append.rs decodes it); a numpy masked array's
mask is its nulls.

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
        columns = [(str(name), values, _column(name, values, _array)) for name, values in data.items()]
        fields = [pa.field(name, array.type, metadata=_text_mark(values, array)) for name, values, array in columns]
        return pa.Table.from_arrays([array for _, _, array in columns], schema=pa.schema(fields))
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
    if _is_numpy_text(values):
        return _numpy_text(values)
    return pa.array(values)


def _is_numpy_text(values):
    """A plain numpy array of fixed-width text (dtype `U` or `S`)."""
    return type(values).__module__ == "numpy" and getattr(values, "dtype", None) is not None and values.dtype.kind in "US"


def _numpy_text(values):
    """A 1-D numpy `U`/`S` array as fixed-size binary over its buffer (UTF-32 little-endian,
    or bytes): no string per row. Other shapes and byte orders go through pyarrow."""
    import numpy as np

    if values.ndim != 1 or values.dtype.itemsize == 0 or values.dtype.byteorder == ">":
        return pa.array(values)
    values = np.ascontiguousarray(values)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(values.dtype.itemsize), len(values), [None, pa.py_buffer(values)])


def _text_mark(values, array):
    """The field metadata that tells the engine a fixed-size binary column is numpy text."""
    if pa.types.is_fixed_size_binary(array.type) and _is_numpy_text(values):
        return {"seamdb.numpy_text": values.dtype.kind}
    return None


def _pandas_column(series):
    # from_pandas=True makes NaN null: keep it only where NaN can only mean missing (object
    # and datetime columns); float columns keep NaN as a value.
    return pa.array(series, from_pandas=series.dtype.kind not in "fc")


def _is_pandas(data):
    return type(data).__module__.startswith("pandas") and hasattr(data, "columns") and hasattr(data, "dtypes")


def _is_pandas_series(data):
    return type(data).__module__.startswith("pandas") and hasattr(data, "dtype") and hasattr(data, "index")
