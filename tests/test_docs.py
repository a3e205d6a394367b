"""Every table and column of the schema is documented."""

from __future__ import annotations

import re

import pytest

from revarch.storage.schema import IMPORTED_TABLES, PROVENANCE

from .conftest import REPO

DATA_MODEL = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")


def documented_columns(table: str) -> set[str]:
    section = re.search(rf"## `{table}`\n(.*?)(\n## |\Z)", DATA_MODEL, re.S)
    assert section, f"docs/data-model.md has no section for table {table}"
    return set(re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M))


@pytest.mark.parametrize("table", sorted(IMPORTED_TABLES))
def test_table_columns_documented(table: str) -> None:
    columns = {name for name, _ in IMPORTED_TABLES[table].columns}
    assert columns - documented_columns(table) == set()


def test_provenance_columns_documented() -> None:
    section = DATA_MODEL.split("## Provenance columns", 1)[1].split("\n## ", 1)[0]
    for name, _ in PROVENANCE:
        assert f"| `{name}` |" in section
