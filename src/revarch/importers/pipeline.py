"""Import any flat opportunity CSV through a mapping (a YAML file or a preset).

One row is one opportunity. The mapping names the column of each field, the
columns that date entries into stages, the won and lost labels and an
optional sellers file. Everything is parsed by the engine as Ibis
expressions; the import is written in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from revarch.importers.mapping import Mapping, locate_mapping, read_mapping
from revarch.storage import Finding, ImportResult, RawFile, Store, TableLoad
from revarch.storage.store import ROW_COLUMN
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

IMPORTER = "pipeline"
STEPS = 5
TEXT_FIELDS = ("name", "account", "type", "lead_source", "product", "region")
SELLER_TEXT_FIELDS = ("email", "team", "region")
CURRENCY_PATTERN = r"^[A-Z]{3}$"


@dataclass
class Resolved:
    """The mapping's column names matched to the headers of the files."""

    opportunity: dict[str, str]
    stage_dates: dict[str, str]
    outcome: str | None
    seller: dict[str, str] = field(default_factory=dict)

    def date_headers(self) -> list[str]:
        """Return the opportunity file's date columns, each once."""
        headers = [
            self.opportunity.get("created_at"),
            self.opportunity.get("close_date"),
            *self.stage_dates.values(),
            self.outcome,
        ]
        return list(dict.fromkeys(h for h in headers if h is not None))


@dataclass
class Context:
    """The inputs and settings that every step of one pipeline import shares."""

    store: Store
    mapping: Mapping
    mapping_path: Path
    raw: RawFile
    resolved: Resolved
    timezone: str
    currency: str
    won_labels: list[str]
    lost_labels: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.raw.path.name


def import_pipeline(
    workspace: Workspace, file: Path, mapping: str, options: ImportOptions
) -> ImportResult:
    """Import a flat opportunity CSV through a mapping file or preset name."""
    store = workspace.database
    mapping_path = locate_mapping(mapping)
    spec = read_mapping(mapping_path)
    options.progress("reading files", 0, STEPS)
    raw = store.read_csv(file)
    sellers_raw = _read_sellers_file(store, spec, mapping_path, file)
    resolved = resolve_columns(spec, mapping_path, raw, sellers_raw)
    context = _context(workspace, options, spec, mapping_path, raw, resolved)

    options.progress("checking opportunities", 1, STEPS)
    prepared = _prepare_opportunities(context, options)

    options.progress("building stage events", 2, STEPS)
    from_file = ibis.literal(context.file)
    loads = [
        TableLoad(name, rows.mutate(import_file=from_file), context.file)
        for name, rows in (
            ("opportunities", _opportunity_rows(prepared)),
            ("stage_events", _stage_event_rows(context, prepared)),
            ("stage_labels", _stage_label_rows(context, prepared)),
        )
    ]

    options.progress("building sellers", 3, STEPS)
    sellers, findings = _seller_rows(context, prepared, sellers_raw, options)
    loads.append(sellers)

    options.progress("writing", 4, STEPS)
    result = apply(
        store,
        importer=IMPORTER,
        source=default_source(IMPORTER, file, options.source),
        files=[raw] if sellers_raw is None else [raw, sellers_raw],
        loads=loads,
        options=options,
        findings=findings,
        notes=context.notes,
    )
    options.progress("done", STEPS, STEPS)
    return result


def _read_sellers_file(
    store: Store, spec: Mapping, mapping_path: Path, file: Path
) -> RawFile | None:
    """Stage the mapping's sellers file, found relative to the opportunity CSV."""
    if spec.sellers is None:
        return None
    path = file.parent / spec.sellers.file
    if not path.is_file():
        raise InputError(
            f"mapping {mapping_path}: key sellers.file names "
            f"{spec.sellers.file!r}, which is not a file beside {file} "
            f"(looked for {path}); put the sellers file there or fix the mapping"
        )
    return store.read_csv(path)


def _context(
    workspace: Workspace,
    options: ImportOptions,
    spec: Mapping,
    mapping_path: Path,
    raw: RawFile,
    resolved: Resolved,
) -> Context:
    context = Context(
        store=workspace.database,
        mapping=spec,
        mapping_path=mapping_path,
        raw=raw,
        resolved=resolved,
        timezone=options.timezone
        or spec.timezone
        or workspace_timezone(workspace, options),
        currency=workspace.settings.company.currency,
        won_labels=list(spec.won_labels),
        lost_labels=list(spec.lost_labels),
    )
    if not context.won_labels and not context.lost_labels:
        process = workspace.settings.process
        context.won_labels = list(process.won_labels)
        context.lost_labels = list(process.lost_labels)
        if not context.won_labels and not context.lost_labels:
            context.notes.append(
                f"{mapping_path.name} names no won_labels or lost_labels and the "
                "process defines none: stage labels containing 'won' count as "
                "won and those containing 'lost' as lost"
            )
    return context


# -- matching the mapping to the files ----------------------------------------------


def resolve_columns(
    spec: Mapping, mapping_path: Path, raw: RawFile, sellers_raw: RawFile | None
) -> Resolved:
    """Match every column the mapping names to a header of its file.

    Raises ``InputError`` naming the mapping file, each key whose column is
    missing, and the file's headers.
    """
    columns = Columns(raw, raw.path.name)
    missing: list[str] = []

    def find(key: str, column: str, found: Columns, raw_file: RawFile) -> str:
        header = found.find(column)
        if header is None:
            missing.append(
                f"key {key} names column {column!r}, which {raw_file.path} does "
                f"not have (its headers: {', '.join(raw_file.headers)})"
            )
            return column
        return header

    opportunity = {
        name: find(f"columns.{name}", column, columns, raw)
        for name, column in spec.columns.model_dump(exclude_none=True).items()
    }
    stage_dates = {
        label: find(f"stage_dates.{label}", column, columns, raw)
        for label, column in spec.stage_dates.items()
    }
    outcome = None
    if spec.outcome_date is not None:
        outcome = find("outcome_date", spec.outcome_date, columns, raw)
    resolved = Resolved(opportunity, stage_dates, outcome)
    if spec.sellers is not None and sellers_raw is not None:
        seller_columns = Columns(sellers_raw, sellers_raw.path.name)
        resolved.seller = {
            name: find(f"sellers.columns.{name}", column, seller_columns, sellers_raw)
            for name, column in spec.sellers.columns.model_dump(
                exclude_none=True
            ).items()
        }
    if missing:
        raise InputError(
            f"mapping {mapping_path}: "
            + "; ".join(missing)
            + ". Fix the column names in the mapping or import the right file"
        )
    return resolved


# -- opportunities --------------------------------------------------------------


def status_of(
    label: ir.StringValue, won_labels: list[str], lost_labels: list[str]
) -> ir.StringValue:
    """Classify a stage label as 'won', 'lost' or 'open' (case-insensitive)."""
    lowered = label.lower()
    if not won_labels and not lost_labels:
        return ibis.cases(
            (lowered.contains("won"), "won"),
            (lowered.contains("lost"), "lost"),
            else_="open",
        )
    won = [w.strip().lower() for w in won_labels] or [""]
    lost = [w.strip().lower() for w in lost_labels] or [""]
    return ibis.cases(
        (lowered.isin(won), "won"),
        (lowered.isin(lost), "lost"),
        else_="open",
    )


def _prepare_opportunities(context: Context, options: ImportOptions) -> ir.Table:
    """Check and parse every mapped column; stage one parsed row per opportunity."""
    table = context.raw.table
    columns = context.resolved.opportunity
    parsed: dict[str, ir.Value] = {ROW_COLUMN: table[ROW_COLUMN]}
    parsed["id"] = _opportunity_id(context)
    for name in TEXT_FIELDS:
        if name in columns:
            parsed[name] = parsing.text(table[columns[name]])
    parsed["seller_id"] = _optional(table, columns.get("seller"), parsing.ref)
    parsed["pipeline"] = _optional(table, columns.get("pipeline"), parsing.text)
    parsed["stage_label"] = _stage_label(context)
    parsed["status"] = status_of(
        parsed["stage_label"], context.won_labels, context.lost_labels
    )
    parsed["currency"] = _currency(context)
    for name in ("amount", "margin"):
        if name in columns:
            parsed[name] = _number(context, columns[name])
    parsed.update(_dates(context, options))
    return context.store.stage(table.select(**parsed))


def _optional(
    table: ir.Table,
    header: str | None,
    clean: Callable[[ir.StringValue], ir.StringValue],
) -> ir.StringValue:
    if header is None:
        return ibis.null(dt.string)
    return clean(table[header])


def _opportunity_id(context: Context) -> ir.StringValue:
    """Return the id cell, or by ``missing_id: generate`` one from the row content."""
    table = context.raw.table
    header = context.resolved.opportunity.get("id")
    cell = ibis.null(dt.string) if header is None else parsing.ref(table[header])
    if context.mapping.missing_id == "reject":
        parsing.first_invalid(
            context.store,
            table,
            cell.isnull(),
            header or "",
            file=context.file,
            expected=(
                "an opportunity id (or set missing_id: generate in the mapping "
                "to generate ids from the row content)"
            ),
        )
        return cell
    generated = _content_id(context)
    missing = _count(context.store, table.filter(cell.isnull()))
    if missing:
        column = f"column {header!r}" if header else "an id column"
        context.notes.append(
            f"{missing} opportunities in {context.file} have no id in {column}; "
            "ids starting 'gen-' were generated from their row content, so a "
            "row whose content changes becomes a new opportunity"
        )
    return cell.coalesce(generated)


def _count(store: Store, table: ir.Table) -> int:
    """Return the number of rows of a table expression."""
    return int(store.fetch(table.count()))


def _content_id(context: Context) -> ir.StringValue:
    """Generate a deterministic id from the mapped cells of a row.

    Identical rows get a suffix counting earlier identical rows in file order.
    """
    table = context.raw.table
    headers = sorted(set(context.resolved.opportunity.values()))
    content = ibis.literal("\x1f").join(
        [table[h].fill_null("") for h in headers] or [ibis.literal("")]
    )
    digest = content.hexdigest("md5").left(16)
    repeat = ibis.row_number().over(group_by=content, order_by=table[ROW_COLUMN])
    suffix = (repeat == 0).ifelse("", ibis.literal("-").concat(repeat.cast(dt.string)))
    return ibis.literal("gen-").concat(digest, suffix)


def _stage_label(context: Context) -> ir.StringValue:
    table = context.raw.table
    header = context.resolved.opportunity["stage"]
    label = parsing.text(table[header])
    parsing.first_invalid(
        context.store,
        table,
        label.isnull(),
        header,
        file=context.file,
        expected="a stage label (mapping key columns.stage)",
    )
    return label


def _currency(context: Context) -> ir.StringValue:
    header = context.resolved.opportunity.get("currency")
    if header is None:
        return ibis.literal(context.currency)
    table = context.raw.table
    code = parsing.text(table[header]).upper()
    parsing.first_invalid(
        context.store,
        table,
        code.notnull() & ~code.re_search(CURRENCY_PATTERN),
        header,
        file=context.file,
        expected="a three-letter ISO 4217 currency code such as USD",
    )
    return code.fill_null(context.currency)


def _number(context: Context, header: str) -> ir.FloatingValue:
    table = context.raw.table
    parsing.first_invalid(
        context.store,
        table,
        parsing.is_invalid_number(table[header]),
        header,
        file=context.file,
        expected="a number such as 1250.50",
    )
    return parsing.number(table[header])


def _dates(context: Context, options: ImportOptions) -> dict[str, ir.Value]:
    """Parse created_at, close_date, the stage dates and the outcome date."""
    table = context.raw.table
    resolved = context.resolved
    formats = parsing.detect_date_formats(
        context.store,
        table,
        resolved.date_headers(),
        file=context.file,
        order=options.order or context.mapping.order,
    )

    def instant(header: str) -> ir.TimestampValue:
        value = parsing.timestamp(
            table[header], formats[header], timezone=context.timezone
        )
        parsing.check_parsed(context.store, table, header, value, file=context.file)
        return value

    parsed: dict[str, ir.Value] = {}
    if "created_at" in resolved.opportunity:
        parsed["created_at"] = instant(resolved.opportunity["created_at"])
    if "close_date" in resolved.opportunity:
        header = resolved.opportunity["close_date"]
        value = parsing.date(table[header], formats[header])
        parsing.check_parsed(context.store, table, header, value, file=context.file)
        parsed["close_date"] = value
    for index, header in enumerate(resolved.stage_dates.values()):
        parsed[f"stage_date_{index}"] = instant(header)
    if resolved.outcome is not None:
        parsed["outcome_at"] = instant(resolved.outcome)
    return parsed


def _opportunity_rows(prepared: ir.Table) -> ir.Table:
    columns = (
        ROW_COLUMN,
        "id",
        "seller_id",
        "pipeline",
        "stage_label",
        "status",
        "currency",
        "created_at",
        "close_date",
        "amount",
        "margin",
        *TEXT_FIELDS,
    )
    present = [name for name in columns if name in prepared.columns]
    return prepared.select(
        *present,
        source_id=prepared.id,
        status_corrected=ibis.literal(False),
        is_merged=ibis.literal(False),
    )


# -- stage history ----------------------------------------------------------------


def _stage_event_rows(context: Context, prepared: ir.Table) -> ir.Table:
    """Turn each stage date cell, and each closed row's outcome date, into an event."""
    parts = []
    for index, label in enumerate(context.resolved.stage_dates):
        at = prepared[f"stage_date_{index}"]
        parts.append(
            _events(
                prepared,
                at.notnull(),
                label=ibis.literal(label),
                at=at,
                seq=index + 1,
                key=f"stage_dates:{label}",
            )
        )
    if context.resolved.outcome is not None:
        at = prepared["outcome_at"]
        closed = prepared.status.isin(("won", "lost"))
        parts.append(
            _events(
                prepared,
                closed & at.notnull(),
                label=prepared.stage_label,
                at=at,
                seq=len(parts) + 1,
                key="outcome_date",
            )
        )
    if not parts:
        empty = ibis.null(dt.timestamp)
        parts.append(
            _events(prepared, ibis.literal(False), label=ibis.literal(""), at=empty)
        )
    return ibis.union(*parts, distinct=False)


def _events(
    prepared: ir.Table,
    condition: ir.BooleanValue,
    *,
    label: ir.StringValue,
    at: ir.TimestampValue,
    seq: int = 1,
    key: str = "",
) -> ir.Table:
    """Select one stage event per row where ``condition`` holds."""
    rows = prepared.filter(condition)
    return rows.select(
        rows[ROW_COLUMN],
        opportunity_id=rows.id,
        stage_label=label,
        entered_at=at.cast(dt.timestamp),
        seq=ibis.literal(seq, dt.int32),
        source_id=rows.id.concat("|", key),
    )


def _stage_label_rows(context: Context, prepared: ir.Table) -> ir.Table:
    """List every stage label per pipeline, with its order and won/lost flags."""
    pipeline = prepared.pipeline.fill_null("")
    observed = prepared.select(pipeline=pipeline, label=prepared.stage_label)
    declared = list(
        dict.fromkeys([*context.mapping.stage_order, *context.resolved.stage_dates])
    )
    parts = [observed]
    if declared:
        pipelines = prepared.select(pipeline=pipeline).distinct()
        labels = ibis.memtable({"label": declared})
        parts.append(pipelines.cross_join(labels))
    labels_table = ibis.union(*parts).distinct()
    status = status_of(labels_table.label, context.won_labels, context.lost_labels)
    order = [
        (labels_table.label == name, i + 1)
        for i, name in enumerate(context.mapping.stage_order)
    ]
    sort_order = (
        ibis.cases(*order, else_=ibis.null(dt.int32)) if order else ibis.null(dt.int32)
    )
    return labels_table.select(
        "pipeline",
        "label",
        sort_order=sort_order,
        is_closed=status != "open",
        is_won=status == "won",
    )


# -- sellers ---------------------------------------------------------------------


def _seller_rows(
    context: Context,
    prepared: ir.Table,
    sellers_raw: RawFile | None,
    options: ImportOptions,
) -> tuple[TableLoad, list[Finding]]:
    """Build the sellers: the sellers file, its managers and every opportunity owner.

    A person is a seller (``is_seller``) when they own an opportunity of
    this file; managers and listed people who own none are kept as
    non-sellers.
    """
    owners = (
        prepared.filter(prepared.seller_id.notnull())
        .select(id=prepared.seller_id)
        .distinct()
    )
    by_name = context.mapping.seller_key == "name"
    findings: list[Finding] = []
    if sellers_raw is None:
        people = _named(owners, by_name)
        file = context.file
        managers = owners.filter(ibis.literal(False))
    else:
        listed = _listed_sellers(context, sellers_raw, options)
        managers = (
            listed.filter(listed.manager_id.notnull())
            .select(id=listed.manager_id)
            .distinct()
        )
        extra_managers = managers.filter(~managers.id.isin(listed.id))
        unlisted = owners.filter(
            ~owners.id.isin(listed.id) & ~owners.id.isin(managers.id)
        )
        people = ibis.union(
            listed,
            _named(extra_managers, by_name),
            _named(unlisted, by_name),
            distinct=False,
        )
        file = sellers_raw.path.name
        findings.append(_unlisted_finding(context, unlisted, file))
    # Only rows read from the sellers file carry a row number.
    listed_in = ibis.literal(file)
    rows = people.mutate(
        import_file=people[ROW_COLUMN].isnull().ifelse(context.file, listed_in),
        is_seller=people.id.isin(owners.id),
        role=ibis.cases(
            (people.id.isin(managers.id), "manager"), else_=ibis.null(dt.string)
        ),
    )
    return TableLoad("sellers", rows, file), findings


def _named(ids: ir.Table, by_name: bool) -> ir.Table:
    """Return seller rows that carry only an id (and the name when ids are names)."""
    return ids.select(
        ibis.null(dt.int64).name(ROW_COLUMN),
        id=ids.id,
        name=ids.id if by_name else ibis.null(dt.string),
        email=ibis.null(dt.string),
        manager_id=ibis.null(dt.string),
        team=ibis.null(dt.string),
        region=ibis.null(dt.string),
        hire_date=ibis.null(dt.date),
    )


def _listed_sellers(
    context: Context, sellers_raw: RawFile, options: ImportOptions
) -> ir.Table:
    """Check and parse the sellers file into seller rows."""
    table = sellers_raw.table
    columns = context.resolved.seller
    file = sellers_raw.path.name
    key_field = context.mapping.seller_key
    key = parsing.ref(table[columns[key_field]])
    parsing.first_invalid(
        context.store,
        table,
        key.isnull(),
        columns[key_field],
        file=file,
        expected=f"the seller's {key_field} (mapping key sellers.columns.{key_field})",
    )
    if key_field == "name":
        name = key
    else:
        name = _optional(table, columns.get("name"), parsing.text)
    text = {
        field_name: _optional(table, columns.get(field_name), parsing.text)
        for field_name in SELLER_TEXT_FIELDS
    }
    # The column order matches _named, so the two union.
    return table.select(
        table[ROW_COLUMN],
        id=key,
        name=name,
        email=text["email"],
        manager_id=_optional(table, columns.get("manager"), parsing.ref),
        team=text["team"],
        region=text["region"],
        hire_date=_hire_date(context, sellers_raw, options),
    )


def _hire_date(
    context: Context, sellers_raw: RawFile, options: ImportOptions
) -> ir.DateValue:
    header = context.resolved.seller.get("hire_date")
    if header is None:
        return ibis.null(dt.date)
    table = sellers_raw.table
    file = sellers_raw.path.name
    formats = parsing.detect_date_formats(
        context.store,
        table,
        [header],
        file=file,
        order=options.order or context.mapping.order,
    )
    value = parsing.date(table[header], formats[header])
    parsing.check_parsed(context.store, table, header, value, file=file)
    return value


def _unlisted_finding(context: Context, unlisted: ir.Table, file: str) -> Finding:
    count = _count(context.store, unlisted)
    examples = context.store.rows(unlisted.order_by("id"), limit=5) if count else []
    return Finding(
        kind="sellers_not_listed",
        count=count,
        message=(
            f"opportunity owners missing from {file}, added as sellers with "
            "their id only"
        ),
        examples=[str(row["id"]) for row in examples],
    )
