"""Read HubSpot tables as Fivetran lands them: typed, one version per id.

A table synced in history mode keeps one row per version of a record, with
``_fivetran_start``, ``_fivetran_end`` (both UTC, per Fivetran's "System
Columns and Tables" documentation) and ``_fivetran_active``. The importer
keeps the active version of each id, or the latest ``_fivetran_start`` where
none is active. A record with no active version was deleted in the source,
as Fivetran's history-mode sample queries also define it. Every other
timestamp in these tables is read as UTC too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.base import Columns
from revarch.storage import RawFile, Store
from revarch.storage.store import ROW_COLUMN

log = logging.getLogger(__name__)

Kind = Literal["ref", "text", "number", "boolean", "timestamp", "date"]

# The tables the importer reads, by their name without the `_data` suffix
# that some exports add.
TABLE_NAMES = (
    "deal",
    "deal_pipeline",
    "deal_pipeline_stage",
    "deal_stage",
    "owner",
    "engagement",
    "engagement_call",
    "engagement_email",
    "engagement_meeting",
    "engagement_note",
    "engagement_task",
    "engagement_deal",
    "merged_deal",
    "deal_property_history",
)

TYPES: dict[Kind, dt.DataType] = {
    "ref": dt.string,
    "text": dt.string,
    "number": dt.float64,
    "boolean": dt.boolean,
    "timestamp": dt.timestamp,
    "date": dt.date,
}


@dataclass(frozen=True)
class Field:
    """A column to read: its kind and the headers it may have."""

    kind: Kind
    aliases: tuple[str, ...]
    required: bool = False


# History-mode and soft-delete columns, read from every table that has them.
HISTORY_FIELDS = {
    "_start": Field("timestamp", ("_fivetran_start",)),
    "_active": Field("boolean", ("_fivetran_active",)),
    "_deleted": Field("boolean", ("_fivetran_deleted",)),
}


@dataclass(frozen=True)
class FivetranTable:
    """One table read from the folder: typed columns, one row per id where keyed."""

    name: str
    raw: RawFile
    table: ir.Table
    versions_dropped: int = 0
    inactive: int = 0


def find_tables(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map table names to files (`deal.csv` or `deal_data.csv`) and list the rest."""
    found: dict[str, Path] = {}
    unused: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stem = path.stem.lower()
        name = stem.removesuffix("_data")
        if path.suffix.lower() != ".csv" or name not in TABLE_NAMES:
            unused.append(path.name)
            continue
        if name in found:
            raise InputError(
                f"{folder}: both {found[name].name} and {path.name} contain the "
                f"{name} table; keep one of them"
            )
        found[name] = path
    return found, unused


def _strip_utc(value: ir.StringValue) -> ir.StringValue:
    """Drop the ' UTC' suffix that warehouse exports add to Fivetran timestamps."""
    return value.re_replace(r"\s*UTC$", "")


def _convert(
    value: ir.StringValue, field: Field, fmt: parsing.DateFormat | None
) -> ir.Value:
    if field.kind == "ref":
        return parsing.ref(value)
    if field.kind == "text":
        return parsing.text(value)
    if field.kind == "number":
        return parsing.number(value)
    if field.kind == "boolean":
        return parsing.boolean(value)
    assert fmt is not None
    if field.kind == "timestamp":
        return parsing.timestamp(value, fmt, timezone="UTC")
    return parsing.date(value, fmt)


def read_table(
    store: Store,
    path: Path,
    fields: dict[str, Field],
    *,
    key: str | None,
) -> FivetranTable:
    """Stage one table with typed columns named as in ``fields``.

    Columns a file lacks come out NULL. With a ``key`` field, history-mode
    versions are resolved to one row per key, and an empty key, or a key
    repeated in a table without history columns, is an error.
    """
    raw = store.read_csv(path)
    columns = Columns(raw, path.name)
    all_fields = {**fields, **HISTORY_FIELDS}
    headers: dict[str, str] = {}
    for out, field in all_fields.items():
        header = (
            columns.require(out, *field.aliases)
            if field.required
            else columns.find(*field.aliases)
        )
        if header is not None:
            headers[out] = header
    history = "_start" in headers or "_active" in headers
    table = _typed(store, raw, headers, all_fields, key=key, history=history)
    if key is None or not history:
        return FivetranTable(path.stem, raw, table)
    return _resolve_versions(store, raw, table, key, has_active="_active" in headers)


def _typed(
    store: Store,
    raw: RawFile,
    headers: dict[str, str],
    fields: dict[str, Field],
    *,
    key: str | None,
    history: bool,
) -> ir.Table:
    """Stage the typed columns, then raise for the first value that did not read.

    One aggregate query counts every kind of bad value, so a clean file costs
    one query more than the staging itself.
    """
    file = raw.path.name
    source = raw.table
    dated = [h for o, h in headers.items() if fields[o].kind in ("timestamp", "date")]
    if dated:
        source = source.mutate(**{h: _strip_utc(source[h]) for h in dated})
    formats = parsing.detect_date_formats(store, source, dated, file=file)
    values: dict[str, ir.Value] = {}
    checks: dict[str, ir.BooleanValue] = {}
    for out, field in fields.items():
        header = headers.get(out)
        if header is None:
            values[out] = ibis.null(TYPES[field.kind])
            continue
        values[out] = _convert(source[header], field, formats.get(header))
        if field.kind not in ("ref", "text"):
            present = parsing.text(source[header]).notnull()
            checks[out] = present & values[out].isnull()
    if key is not None:
        checks[key] = values[key].isnull()
    staged = store.stage(
        source.select(
            source[ROW_COLUMN],
            **values,
            **{f"_bad_{out}": check for out, check in checks.items()},
        )
    )
    stats = _bad_counts(store, staged, list(checks), key if not history else None)
    for out, bad in stats.items():
        if bad and out != "_repeated":
            _raise_first_bad(
                store, source, headers[out], checks[out], fields[out], file
            )
    if stats.get("_repeated"):
        _raise_repeated(store, staged, key or "", headers[key or ""], file)
    return staged.drop(*(f"_bad_{out}" for out in checks))


def _bad_counts(
    store: Store, staged: ir.Table, checks: list[str], unique_key: str | None
) -> dict[str, int]:
    """Count the bad values of each check, and repeated keys if they must be unique."""
    aggregates: dict[str, ir.Scalar] = {
        out: staged[f"_bad_{out}"].sum() for out in checks
    }
    if unique_key is not None:
        keys = staged[unique_key]
        aggregates["_repeated"] = keys.count() - keys.nunique()
    if not aggregates:
        return {}
    found = store.rows(staged.aggregate(**aggregates))[0]
    return {name: int(value or 0) for name, value in found.items()}


def _raise_first_bad(
    store: Store,
    source: ir.Table,
    header: str,
    invalid: ir.BooleanValue,
    field: Field,
    file: str,
) -> None:
    expected = {
        "number": "a number such as 12500.50",
        "boolean": "true or false",
        "ref": "an id (the column is the table's key)",
    }.get(field.kind, "a real calendar date and time")
    parsing.first_invalid(store, source, invalid, header, file=file, expected=expected)


def _resolve_versions(
    store: Store,
    raw: RawFile,
    table: ir.Table,
    key: str,
    *,
    has_active: bool,
) -> FivetranTable:
    active = table._active.fill_null(False)
    by_key = ibis.window(group_by=table[key])
    newest_first = ibis.window(
        group_by=table[key],
        order_by=[
            ibis.desc(active),
            ibis.desc(table._start),
            ibis.desc(table[ROW_COLUMN]),
        ],
    )
    ranked = table.mutate(
        _rank=ibis.row_number().over(newest_first),
        _any_active=active.any().over(by_key),
    )

    # Without an active version the record no longer exists in HubSpot.
    no_active = ~ranked._any_active if has_active else ibis.literal(False)
    resolved = ranked.filter(ranked._rank == 0).mutate(
        _deleted=ranked._deleted.fill_null(False) | no_active,
        _inactive=no_active,
    )

    staged = store.stage(resolved.drop("_rank", "_any_active"))
    stats = store.rows(
        staged.aggregate(ids=staged.count(), inactive=staged._inactive.sum())
    )[0]
    ids = int(stats["ids"])
    log.debug("%s: %d versions resolved to %d rows", raw.path.name, raw.rows, ids)
    return FivetranTable(
        raw.path.stem,
        raw,
        staged.drop("_inactive"),
        versions_dropped=raw.rows - ids,
        inactive=int(stats["inactive"] or 0),
    )


def _raise_repeated(
    store: Store, table: ir.Table, key: str, header: str, file: str
) -> None:
    """Raise naming the rows of the first id that appears twice."""
    repeated = (
        table.group_by(table[key])
        .aggregate(n=table.count(), rows=table[ROW_COLUMN].collect())
        .filter(lambda t: t.n > 1)
        .order_by(key)
    )
    first = store.rows(repeated, limit=1)[0]
    rows = ", ".join(str(r) for r in sorted(first["rows"])[:5])
    raise InputError(
        f"{file}, column {header!r}: the id {first[key]!r} appears "
        f"{first['n']} times (rows {rows}); each id must appear once, or the "
        "table needs its _fivetran_start and _fivetran_active history columns"
    )
