"""Salesforce-style 18-character record ids, built for whole arrays at once."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BASE62 = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
# Salesforce's case-safe suffix: one character per block of five id characters,
# chosen by which of the five are uppercase letters.
SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)

# The part of an id between the 3-character key prefix and the counter: a
# 2-character instance code and a reserved character, as in "006Hp0...".
INSTANCE = b"Nw0"
COUNTER_DIGITS = 9
# Counters of opportunities, history rows and activities start here, so the
# ids look like those of an org that has been in use for years.
ID_COUNTER_START = 4_000_000
ID_LENGTH = 18

# Key prefixes of the objects the demo exports.
PREFIXES = {
    "account": "001",
    "user": "005",
    "role": "00E",
    "opportunity": "006",
    "history": "008",
    "task": "00T",
    "event": "00U",
    "stage": "01J",
    "currency": "01L",
    "dated_rate": "04w",
}


def salesforce_ids(kind: str, first: int, count: int) -> pa.StringArray:
    """Return ``count`` ids of one object kind for counters ``first`` onward."""
    prefix = PREFIXES[kind].encode("ascii")
    chars = np.empty((count, ID_LENGTH), dtype=np.uint8)
    chars[:, 0:3] = np.frombuffer(prefix, dtype=np.uint8)
    chars[:, 3:6] = np.frombuffer(INSTANCE, dtype=np.uint8)

    counter = np.arange(first, first + count, dtype=np.int64)
    for position in range(6 + COUNTER_DIGITS - 1, 5, -1):
        chars[:, position] = BASE62[counter % 62]
        counter //= 62

    uppercase = (chars[:, :15] >= ord("A")) & (chars[:, :15] <= ord("Z"))
    weights = 1 << np.arange(5)
    for block in range(3):
        bits = uppercase[:, block * 5 : block * 5 + 5] @ weights
        chars[:, 15 + block] = SUFFIX[bits]

    offsets = np.arange(0, (count + 1) * ID_LENGTH, ID_LENGTH, dtype=np.int32)
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))
    )
