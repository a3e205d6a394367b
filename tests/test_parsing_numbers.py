"""Amounts: thousands commas are read, decimal commas are rejected."""

from __future__ import annotations

import ibis
import pytest

from revarch.importers import parsing
from revarch.storage import Store

CASES = [
    ("1,234,567.50", 1234567.5),
    ("$1,200", 1200.0),
    ("12500.50", 12500.5),
    ("-3", -3.0),
    (".5", 0.5),
    ("454160,50", None),
    ("454.160,50", None),
    ("1,23", None),
    ("abc", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_number_reads_or_rejects(text: str, expected: float | None) -> None:
    store = Store.in_memory()
    table = ibis.memtable({"x": [text]})
    row = store.rows(
        table.select(n=parsing.number(table.x), bad=parsing.is_invalid_number(table.x))
    )[0]
    store.close()
    assert row["n"] == expected
    assert row["bad"] is (expected is None)
