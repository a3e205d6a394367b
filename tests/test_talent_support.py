"""Helpers for the talent tests: sellers, won opportunities and assessment files."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis

from revarch.importers.base import ImportOptions
from revarch.storage import ImportResult, TableLoad
from revarch.storage.schema import IMPORTED_TABLES
from revarch.talent.assessments import import_assessments
from revarch.workspace import Workspace

AS_OF = dt.date(2025, 12, 31)
ASSESSED_ON = "2025-12-01"
LONG_HEADER = ("person_id", "kind", "skill", "assessed_on", "score", "rater")

_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "DOUBLE": "float64",
    "BOOLEAN": "boolean",
}


def load(
    workspace: Workspace, table: str, rows: list[dict[str, Any]], source: str = "test"
) -> None:
    """Write ``rows`` into ``table`` through the store's import path."""
    kinds = dict(IMPORTED_TABLES[table].all_columns)
    names = list(dict.fromkeys(name for row in rows for name in row))
    schema = {name: _TYPES[kinds[name].split()[0]] for name in names}
    data = {name: [row.get(name) for row in rows] for name in names}
    workspace.store.apply_import(
        importer="test",
        source=f"test:{source}",
        files=[f"{table}.csv"],
        loads=[TableLoad(table, ibis.memtable(data, schema=schema), table)],
        full_export=False,
        rows_read=len(rows),
    )


def add_sellers(
    workspace: Workspace,
    bookings: dict[str, float],
    *,
    hire_dates: dict[str, dt.date | None] | None = None,
    close_date: dt.date = dt.date(2025, 6, 30),
) -> None:
    """Add sellers, each with one won opportunity of the given amount (none for 0)."""
    hires = hire_dates or {}
    sellers = [
        {
            "id": seller,
            "name": f"Name {seller}",
            "hire_date": hires.get(seller),
            "is_seller": True,
            "active": True,
        }
        for seller in bookings
    ]
    load(workspace, "sellers", sellers, source="sellers")
    won = [
        {
            "id": f"opp-{seller}",
            "seller_id": seller,
            "status": "won",
            "close_date": close_date,
            "created_at": dt.datetime(2025, 1, 2),
            "amount": float(amount),
            "currency": "USD",
        }
        for seller, amount in bookings.items()
        if amount
    ]
    if won:
        load(workspace, "opportunities", won, source="opportunities")


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """Write a CSV file with the csv module and return its path."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def long_rows(
    scores: dict[str, dict[str, float]],
    *,
    kind: str = "seller",
    day: str = ASSESSED_ON,
    rater: str = "",
) -> list[list[Any]]:
    """Return long-layout rows for {person: {skill: score}}."""
    return [
        [person, kind, skill, day, score, rater]
        for person, skills in scores.items()
        for skill, score in skills.items()
    ]


def import_rows(
    workspace: Workspace,
    folder: Path,
    rows: Sequence[Sequence[Any]],
    *,
    name: str = "assessments.csv",
    header: Sequence[str] = LONG_HEADER,
) -> ImportResult:
    """Write rows to a CSV in ``folder`` and import it as assessments."""
    path = write_csv(folder / name, header, rows)
    return import_assessments(workspace, path, ImportOptions())


def by_group(
    sellers: Sequence[str], top: Sequence[float], middle: float, bottom: Sequence[float]
) -> dict[str, float]:
    """Return scores: ``top`` for the first sellers, ``bottom`` for the last."""
    scores = {seller: float(middle) for seller in sellers}
    for seller, score in zip(sellers, top, strict=False):
        scores[seller] = float(score)
    for seller, score in zip(reversed(sellers), reversed(bottom), strict=False):
        scores[seller] = float(score)
    return scores


# Twelve sellers: ceil(10% of 12) = 2 per group. s02 and s03 tie on 1,100,
# so s03 joins the top group (3 sellers); the bottom group is s11 and s12.
BOOKINGS = {
    "s01": 1200,
    "s02": 1100,
    "s03": 1100,
    "s04": 900,
    "s05": 800,
    "s06": 700,
    "s07": 600,
    "s08": 500,
    "s09": 400,
    "s10": 300,
    "s11": 200,
    "s12": 100,
}
SELLERS = list(BOOKINGS)


def twelve_sellers(
    workspace: Workspace, tmp_path: Path, skills: dict[str, dict[str, float]]
) -> None:
    add_sellers(workspace, BOOKINGS)
    scores: dict[str, dict[str, float]] = {seller: {} for seller in SELLERS}
    for skill, per_seller in skills.items():
        for seller, score in per_seller.items():
            scores[seller][skill] = score
    import_rows(workspace, tmp_path, long_rows(scores))
