"""Arrow columns built from numpy arrays, typed the way the CSV files need."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Return seconds since 1970 as a zone-less UTC timestamp column.

    Arrow writes it as ``YYYY-MM-DD HH:MM:SS``, the Data Export format.
    """
    return pa.array(seconds.astype(np.int64), pa.timestamp("s"))


def dates(days: np.ndarray) -> pa.Array:
    """Return day numbers as an Arrow date column (written as YYYY-MM-DD)."""
    return pa.array(days.astype(np.int32), pa.date32())


def pick(values: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    """Return ``values[code]`` for every code, as an Arrow string column."""
    return pa.array(values, pa.string()).take(pa.array(codes.astype(np.int64)))


def constant(text: str, count: int) -> pa.StringArray:
    """Return a string column holding ``text`` ``count`` times."""
    data = text.encode("utf-8")
    offsets = np.arange(count + 1, dtype=np.int32) * len(data)
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(data * count)
    )
