"""Helpers for metric tests: write rows straight into a workspace's tables."""

from __future__ import annotations

from typing import Any

import ibis

from revarch.storage import TableLoad
from revarch.storage.schema import IMPORTED_TABLES
from revarch.workspace import Workspace

_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "DOUBLE": "float64",
    "BOOLEAN": "boolean",
    "INTEGER": "int32",
}


def load(
    workspace: Workspace, table: str, rows: list[dict[str, Any]], source: str = "test"
) -> None:
    """Upsert ``rows`` into ``table`` through the store's import path."""
    kinds = dict(IMPORTED_TABLES[table].all_columns)
    names = list(dict.fromkeys(name for row in rows for name in row))
    schema = {name: _TYPES[kinds[name].split()[0]] for name in names}
    data = {name: [row.get(name) for row in rows] for name in names}
    expr = ibis.memtable(data, schema=schema)
    workspace.store.apply_import(
        importer="test",
        source=source,
        files=[f"{table}.csv"],
        loads=[TableLoad(table, expr, f"{table}.csv")],
        full_export=False,
        rows_read=len(rows),
    )


def opportunity(id: str, **fields: Any) -> dict[str, Any]:
    """Return an opportunity row; unnamed columns are None, status is open."""
    row: dict[str, Any] = {
        "id": id,
        "seller_id": None,
        "created_at": None,
        "close_date": None,
        "amount": None,
        "currency": None,
        "status": "open",
        "status_corrected": False,
        "is_merged": False,
        "is_deleted": False,
    }
    row.update(fields)
    return row
