"""Import CSV files in revarch's own table layout: one file per workspace table.

A folder may hold any of ``sellers.csv``, ``opportunities.csv``,
``stage_events.csv``, ``activities.csv``, ``fx_rates.csv`` and
``quotas.csv``, with the columns of ``storage/schema.py`` (the provenance
columns excluded). Every value is type-checked with row-numbered errors
before anything is written, and the import is one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.base import (
    Columns,
    ImportOptions,
    apply,
    default_source,
    workspace_timezone,
)
from revarch.importers.pipeline import CURRENCY_PATTERN, status_of
from revarch.storage import ImportResult, RawFile, Store, TableLoad
from revarch.storage.schema import IMPORTED_TABLES, TableSpec
from revarch.storage.store import ROW_COLUMN
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

IMPORTER = "csv"
TABLES = (
    "sellers",
    "opportunities",
    "stage_events",
    "activities",
    "fx_rates",
    "quotas",
)
# Columns each file must have; every row must fill them too.
REQUIRED = {
    "sellers": ("id",),
    "opportunities": ("id",),
    "stage_events": ("opportunity_id", "stage_label", "entered_at"),
    "activities": ("id", "type"),
    "fx_rates": ("currency", "date", "rate"),
    "quotas": ("seller_id", "period", "amount"),
}
STATUSES = ("open", "won", "lost")
ACTIVITY_TYPES = ("call", "email", "social", "meeting", "other")
PERIOD_PATTERN = (
    r"^(\d{4}-Q[1-4]|\d{4}-CQ[1-4]|FY\d{4}|\d{4}-(0[1-9]|1[0-2])"
    r"|\d{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$"
)
CURRENCY_COLUMNS = {
    "opportunities": "currency",
    "fx_rates": "currency",
    "quotas": "currency",
}


@dataclass
class TableFile:
    """One table's CSV file, staged, with its columns matched to the schema."""

    spec: TableSpec
    raw: RawFile
    columns: dict[str, str]

    @property
    def file(self) -> str:
        return self.raw.path.name

    @property
    def table(self) -> ir.Table:
        return self.raw.table

    def column(self, name: str) -> ir.StringValue:
        return self.raw.table[self.columns[name]]


@dataclass
class Context:
    """The inputs and settings that every table of one csv import shares."""

    store: Store
    timezone: str
    currency: str
    order: parsing.Order | None
    won_labels: list[str]
    lost_labels: list[str]
    notes: list[str] = field(default_factory=list)


def import_tables(
    workspace: Workspace, folder: Path, options: ImportOptions
) -> ImportResult:
    """Import the revarch-layout CSV files of a folder in one transaction."""
    found = find_table_files(folder)
    process = workspace.settings.process
    context = Context(
        store=workspace.database,
        timezone=workspace_timezone(workspace, options),
        currency=workspace.settings.company.currency,
        order=options.order,
        won_labels=list(process.won_labels),
        lost_labels=list(process.lost_labels),
    )
    ignored = sorted(set(_entries(folder)) - {path.name for path in found.values()})
    if ignored:
        context.notes.append(
            f"ignored {', '.join(ignored)} in {folder}: not a revarch table file "
            f"(expected {', '.join(f'{t}.csv' for t in TABLES)})"
        )

    total = len(found) + 1
    raws: list[RawFile] = []
    loads: list[TableLoad] = []
    for done, (name, path) in enumerate(found.items()):
        options.progress(f"checking {path.name}", done, total)
        table_file = _stage_file(context, IMPORTED_TABLES[name], path)
        raws.append(table_file.raw)
        loads.append(TableLoad(name, _load_rows(context, table_file), path.name))

    _note_unknown_sellers(context, loads)
    options.progress("writing", total - 1, total)
    result = apply(
        context.store,
        importer=IMPORTER,
        source=default_source(IMPORTER, folder, options.source),
        files=raws,
        loads=loads,
        options=options,
        notes=context.notes,
    )
    options.progress("done", total, total)
    return result


def _note_unknown_sellers(context: Context, loads: list[TableLoad]) -> None:
    """Note the seller ids found in neither sellers.csv nor the workspace.

    Such an id is kept (a later sellers.csv may add it), but analyses show
    the bare id where a name belongs.
    """
    references = [
        (load.file, load.expr.select(seller=load.expr.seller_id))
        for load in loads
        if load.table != "sellers" and "seller_id" in load.expr.columns
    ]
    if not references:
        return
    stored = context.store.table("sellers")
    known = stored.filter(~stored.is_deleted).select(seller=stored.id.cast("string"))
    for load in loads:
        if load.table == "sellers":
            listed = load.expr.select(seller=load.expr.id.cast("string"))
            known = known.union(listed)
    for file, referenced in references:
        unknown = referenced.filter(referenced.seller.notnull()).distinct()
        unknown = unknown.anti_join(known, "seller")
        found = context.store.rows(unknown.order_by("seller"), limit=5)
        if not found:
            continue
        count = int(context.store.fetch(unknown.count()))
        examples = ", ".join(repr(row["seller"]) for row in found)
        context.notes.append(
            f"{file}: {count} seller_id values match no seller in sellers.csv "
            f"or the workspace ({examples}{', ...' if count > 5 else ''}); "
            "analyses show the id instead of a name until a sellers.csv adds them"
        )


def _entries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if not p.name.startswith(".")]


def find_table_files(folder: Path) -> dict[str, Path]:
    """Return the table files of a folder by table name (file names ignore case).

    Raises ``InputError`` when the folder is missing or contains none of them.
    """
    expected = ", ".join(f"{name}.csv" for name in TABLES)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: folder not found; pass a folder that contains any of {expected}"
        )
    by_name = {name.lower(): folder / name for name in _entries(folder)}
    found = {
        table: by_name[f"{table}.csv"] for table in TABLES if f"{table}.csv" in by_name
    }
    if not found:
        raise InputError(
            f"{folder} contains none of the table files revarch reads; expected "
            f"any of {expected}, with the columns described in the data model"
        )
    return found


# -- staging and checking one file ------------------------------------------------


def _stage_file(context: Context, spec: TableSpec, path: Path) -> TableFile:
    raw = context.store.read_csv(path)
    lookup = Columns(raw, path.name)
    allowed = [name for name, _kind in spec.columns]
    if spec.name == "stage_events":
        allowed.append("source_id")
    columns = {}
    for name in allowed:
        header = lookup.find(name)
        if header is not None:
            columns[name] = header
    table_file = TableFile(spec, raw, columns)
    _check_required(context, table_file, allowed)
    unknown = [h for h in raw.headers if h not in columns.values()]
    if unknown:
        context.notes.append(
            f"{path.name}: ignored columns {', '.join(unknown)} (not columns of "
            f"the {spec.name} table)"
        )
    return table_file


def _check_required(
    context: Context, table_file: TableFile, allowed: list[str]
) -> None:
    spec = table_file.spec
    required = list(REQUIRED[spec.name])
    missing = [name for name in required if name not in table_file.columns]
    if spec.name == "opportunities" and not (
        {"status", "stage_label"} & set(table_file.columns)
    ):
        missing.append("status or stage_label")
    if missing:
        raise InputError(
            f"{table_file.file}: missing required column "
            f"{', '.join(repr(m) for m in missing)} for table {spec.name}; the "
            f"file has: {', '.join(table_file.raw.headers)}; the columns of "
            f"{spec.name} are: {', '.join(allowed)}"
        )
    for name in required:
        parsing.first_invalid(
            context.store,
            table_file.table,
            parsing.text(table_file.column(name)).isnull(),
            table_file.columns[name],
            file=table_file.file,
            expected=f"a value (every row of {spec.name} needs {name})",
        )


def _invalid(
    context: Context,
    table_file: TableFile,
    name: str,
    invalid: ir.BooleanValue,
    expected: str,
) -> None:
    """Raise ``InputError`` for the first row of column ``name`` where ``invalid``."""
    parsing.first_invalid(
        context.store,
        table_file.table,
        invalid,
        table_file.columns[name],
        file=table_file.file,
        expected=expected,
    )


def _load_rows(context: Context, table_file: TableFile) -> ir.Table:
    """Parse and check every column of a table file into the table's rows."""
    values: dict[str, ir.Value] = {
        ROW_COLUMN: table_file.table[ROW_COLUMN],
        "import_file": ibis.literal(table_file.file),
    }
    values.update(_dates(context, table_file))
    for name, kind in table_file.spec.columns:
        if name not in table_file.columns or name in values:
            continue
        values[name] = _typed(context, table_file, name, kind.split()[0])
    rules = TABLE_RULES.get(table_file.spec.name)
    if rules is not None:
        rules(context, table_file, values)
    return table_file.table.select(**values)


def _typed(context: Context, table_file: TableFile, name: str, kind: str) -> ir.Value:
    """Parse a number, integer, boolean or text column, checking every value."""
    column = table_file.column(name)
    if kind == "DOUBLE":
        invalid = parsing.is_invalid_number(column)
        _invalid(context, table_file, name, invalid, "a number such as 1250.50")
        return parsing.number(column)
    if kind == "INTEGER":
        whole = parsing.text(column).try_cast(dt.int64)
        invalid = parsing.text(column).notnull() & whole.isnull()
        _invalid(context, table_file, name, invalid, "a whole number such as 3")
        return whole
    if kind == "BOOLEAN":
        invalid = parsing.is_invalid_boolean(column)
        _invalid(context, table_file, name, invalid, "true or false (or 1 or 0)")
        return parsing.boolean(column)
    return parsing.text(column)


def _dates(context: Context, table_file: TableFile) -> dict[str, ir.Value]:
    """Detect the format of each date and time column and parse it."""
    kinds = {
        name: kind.split()[0]
        for name, kind in table_file.spec.columns
        if kind.startswith(("DATE", "TIMESTAMP")) and name in table_file.columns
    }
    headers = [table_file.columns[name] for name in kinds]
    formats = parsing.detect_date_formats(
        context.store,
        table_file.table,
        headers,
        file=table_file.file,
        order=context.order,
    )
    parsed: dict[str, ir.Value] = {}
    for name, kind in kinds.items():
        header = table_file.columns[name]
        column = table_file.table[header]
        if kind == "DATE":
            value = parsing.date(column, formats[header])
        else:
            value = parsing.timestamp(
                column, formats[header], timezone=context.timezone
            )
        parsing.check_parsed(
            context.store, table_file.table, header, value, file=table_file.file
        )
        parsed[name] = value
    return parsed


# -- rules of single tables --------------------------------------------------------


def _currency(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    """Check the currency codes; fill the base currency where a row has none."""
    name = CURRENCY_COLUMNS[table_file.spec.name]
    if name not in table_file.columns:
        values[name] = ibis.literal(context.currency)
        return
    code = parsing.text(table_file.column(name))
    invalid = code.notnull() & ~code.re_search(CURRENCY_PATTERN)
    _invalid(
        context,
        table_file,
        name,
        invalid,
        "a three-letter upper-case ISO 4217 currency code such as USD",
    )
    values[name] = code.fill_null(context.currency)


def _sellers(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    values["is_seller"] = values.get("is_seller", ibis.literal(True))
    values["is_seller"] = values["is_seller"].fill_null(True)


def _note_status_from_labels(
    context: Context,
    table_file: TableFile,
    status: ir.StringValue,
    label: ir.StringValue,
) -> None:
    """Note how rows without a status get one when the process names no labels."""
    table = table_file.table
    derived = int(
        context.store.fetch(table.filter(status.isnull(), label.notnull()).count())
    )
    if derived:
        context.notes.append(
            f"{table_file.file}: {derived} rows have no status and the process "
            "defines no won or lost labels, so their status comes from the stage "
            "label: labels containing 'won' are won, those containing 'lost' "
            "lost, the rest open"
        )


def _opportunities(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    _currency(context, table_file, values)
    for flag in ("status_corrected", "is_merged"):
        values[flag] = values.get(flag, ibis.literal(False)).fill_null(False)
    derived = ibis.null(dt.string)
    if "stage_label" in values:
        label = values["stage_label"]
        status_from_label = status_of(label, context.won_labels, context.lost_labels)
        derived = label.isnull().ifelse(ibis.null(dt.string), status_from_label)
    if "status" in table_file.columns:
        status = parsing.text(table_file.column("status")).lower()
        _invalid(
            context,
            table_file,
            "status",
            status.notnull() & ~status.isin(STATUSES),
            "open, won or lost",
        )
    else:
        status = ibis.null(dt.string)
    if "stage_label" in values and not (context.won_labels or context.lost_labels):
        _note_status_from_labels(context, table_file, status, values["stage_label"])
    missing = status.isnull() & derived.isnull()
    name = "status" if "status" in table_file.columns else "stage_label"
    _invalid(
        context,
        table_file,
        name,
        missing,
        "a status (open, won or lost) or a stage_label in every row",
    )
    values["status"] = status.coalesce(derived)


def _stage_events(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    """Fill seq (file order) and source_id (from the row content) when absent."""
    table = table_file.table
    if "seq" not in values:
        values["seq"] = table[ROW_COLUMN]
    if "source_id" in table_file.columns:
        values["source_id"] = parsing.text(table_file.column("source_id"))
        return
    content = ibis.literal("\x1f").join(
        [
            values["opportunity_id"].fill_null(""),
            values["stage_label"].fill_null(""),
            parsing.text(table_file.column("entered_at")).fill_null(""),
        ]
    )
    digest = content.hexdigest("md5").left(16)
    repeat = ibis.row_number().over(group_by=content, order_by=table[ROW_COLUMN])
    suffix = (repeat == 0).ifelse("", ibis.literal("-").concat(repeat.cast(dt.string)))
    values["source_id"] = digest.concat(suffix)


def _activities(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    kind = parsing.text(table_file.column("type")).lower()
    _invalid(
        context,
        table_file,
        "type",
        ~kind.isin(ACTIVITY_TYPES),
        ", ".join(ACTIVITY_TYPES[:-1]) + " or " + ACTIVITY_TYPES[-1],
    )
    values["type"] = kind


def _fx_rates(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    _currency(context, table_file, values)
    _invalid(
        context,
        table_file,
        "rate",
        values["rate"] <= 0,
        "a positive rate: base-currency units per one unit of the currency",
    )


def _quotas(
    context: Context, table_file: TableFile, values: dict[str, ir.Value]
) -> None:
    _currency(context, table_file, values)
    period = parsing.text(table_file.column("period"))
    week_53 = period.re_search(r"-W53$")
    year = period.left(4).try_cast(dt.int32)
    no_week_53 = ibis.date(year, 12, 28).week_of_year() != 53
    _invalid(
        context,
        table_file,
        "period",
        ~period.re_search(PERIOD_PATTERN) | (week_53 & no_week_53),
        "a period such as 2025-Q2, 2025-CQ2, FY2025, 2025-03 or 2025-W14 "
        "(an ISO week that exists in that year)",
    )
    values["period"] = period
    _invalid(
        context,
        table_file,
        "amount",
        values["amount"] < 0,
        "an amount of zero or more",
    )


TABLE_RULES = {
    "sellers": _sellers,
    "opportunities": _opportunities,
    "stage_events": _stage_events,
    "activities": _activities,
    "fx_rates": _fx_rates,
    "quotas": _quotas,
}
