"""Import a deals CSV exported from the HubSpot UI.

The export has one row per deal (`Record ID`, `Deal Name`, `Deal Stage`,
`Pipeline`, `Amount`, ...) and one `Date entered "<stage> (<pipeline>)"`
column per stage, which is the stage history. Owners are names. Times are
wall-clock times in the exporting user's timezone (``--timezone``, default
the workspace's) and are stored in UTC. Close dates are dates.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.config import Process
from revarch.errors import InputError
from revarch.importers import base, parsing
from revarch.importers.base import Columns, ImportOptions
from revarch.importers.hubspot_shared import (
    IMPORTER,
    Check,
    check_timezone,
    find,
    label_status,
    union_all,
    with_seq,
)
from revarch.storage import Finding, ImportResult, RawFile, Store, TableLoad
from revarch.storage.store import ROW_COLUMN
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

RECORD_ID = ("Record ID", "Deal ID", "hs_object_id")
ALIASES = {
    "name": ("Deal Name",),
    "stage": ("Deal Stage",),
    "pipeline": ("Pipeline",),
    "amount": ("Amount",),
    "currency": ("Deal currency code", "Currency"),
    "created": ("Create Date", "Created Date"),
    "close": ("Close Date",),
    "owner": ("Deal owner", "HubSpot Owner", "Owner"),
    "type": ("Deal Type",),
}
DATE_ENTERED = re.compile(r'^date entered\s+"?(?P<inner>.+?)"?\s*$', re.IGNORECASE)
BRACKETED = re.compile(r"^(?P<stage>.+) \((?P<pipeline>[^()]+)\)$")
STEPS = 4


@dataclass(frozen=True)
class StageColumn:
    """A `Date entered` column: the stage and pipeline its header names."""

    header: str
    stage: str
    pipeline: str | None
    sort_order: int


def import_ui_deals(
    workspace: Workspace, path: Path, options: ImportOptions
) -> ImportResult:
    """Import a HubSpot UI deals export in one transaction."""
    store = workspace.database
    source = base.default_source(IMPORTER, path, options.source)
    timezone = check_timezone(base.workspace_timezone(workspace, options))
    options.progress("reading the file", 0, STEPS)
    raw = store.read_csv(path)
    columns = Columns(raw, path.name)
    headers = _headers(columns, raw)
    _check_ids(store, raw, headers["id"])
    stages = _stage_columns(store, raw, headers.get("pipeline"))

    options.progress("deals", 1, STEPS)
    formats = parsing.detect_date_formats(
        store,
        raw.table,
        [h for h in (headers.get("created"), headers.get("close")) if h]
        + [s.header for s in stages],
        file=path.name,
        order=options.order,
    )
    deals = _deals(store, raw, headers, formats, timezone)

    options.progress("stage history", 2, STEPS)
    events = _events(store, raw, headers, stages, formats, timezone)

    options.progress("status", 3, STEPS)
    process = workspace.settings.process
    currency = workspace.settings.company.currency
    opportunities = _opportunities(
        store, deals, events, process=process, currency=currency, file=path.name
    )
    findings = _findings(store, opportunities)

    options.progress("writing", 4, STEPS)
    loads = [
        TableLoad("sellers", _sellers(deals, path.name), path.name),
        TableLoad("opportunities", opportunities, path.name),
        TableLoad("stage_events", events, path.name),
    ]
    if stages:
        labels = _stage_labels(stages, process, path.name)
        loads.append(TableLoad("stage_labels", labels, path.name))
    return base.apply(
        store,
        importer=IMPORTER,
        source=source,
        files=[raw],
        loads=loads,
        options=options,
        findings=findings,
        notes=[f"times read as wall-clock times in {timezone}, stored in UTC"],
    )


def _headers(columns: Columns, raw: RawFile) -> dict[str, str]:
    """Return the header of each field the file has, requiring Record ID."""
    file = raw.path.name
    fivetran = columns.find("property_dealname", "deal_pipeline_stage_id")
    if columns.find("Record ID", "hs_object_id") is None and fivetran is not None:
        raise InputError(
            f"{file}: this is a Fivetran deal table, not a UI export; import "
            "the folder that contains it"
        )
    headers = {"id": columns.require("Record ID", *RECORD_ID)}
    for name, aliases in ALIASES.items():
        header = columns.find(*aliases)
        if header is not None:
            headers[name] = header
    if raw.rows == 0:
        raise InputError(
            f"{file}: the file has a header but no deals; export the deals "
            "view again with its rows"
        )
    return headers


def _check_ids(store: Store, raw: RawFile, header: str) -> None:
    """Raise for an empty or repeated Record ID, naming its rows."""
    table = raw.table
    file = raw.path.name
    ids = parsing.ref(table[header])
    parsing.first_invalid(
        store, table, ids.isnull(), header, file=file, expected="a Record ID"
    )
    repeated = (
        table.group_by(id=ids)
        .aggregate(n=table.count(), rows=table[ROW_COLUMN].collect())
        .filter(lambda t: t.n > 1)
        .order_by("id")
    )
    found = store.rows(repeated, limit=1)
    if found:
        first = found[0]
        rows = ", ".join(str(r) for r in sorted(first["rows"])[:5])
        raise InputError(
            f"{file}, column {header!r}: the Record ID {first['id']!r} appears "
            f"{first['n']} times (rows {rows}); each deal must appear once, so "
            "remove the repeated rows and import again"
        )


def _stage_columns(
    store: Store, raw: RawFile, pipeline_header: str | None
) -> list[StageColumn]:
    """Read the stage and pipeline from each `Date entered "..."` header."""
    pipelines: list[str] = []
    if pipeline_header is not None:
        values = raw.table.select(p=parsing.text(raw.table[pipeline_header]))
        found = store.rows(values.filter(values.p.notnull()).distinct())
        # Longest first, so "Sales (EU)" wins over "EU".
        pipelines = sorted((str(r["p"]) for r in found), key=len, reverse=True)
    columns: list[StageColumn] = []
    counters: dict[str | None, int] = {}
    for header in raw.headers:
        match = DATE_ENTERED.match(header)
        if match is None:
            continue
        stage, pipeline = _split_stage(match.group("inner").strip(), pipelines)
        order = counters.get(pipeline, 0)
        counters[pipeline] = order + 1
        columns.append(StageColumn(header, stage, pipeline, order))
    return columns


def _split_stage(inner: str, pipelines: list[str]) -> tuple[str, str | None]:
    """Split 'Demo (New Business)' into the stage and the pipeline in brackets."""
    for pipeline in pipelines:
        suffix = f" ({pipeline})"
        if inner.endswith(suffix) and len(inner) > len(suffix):
            return inner[: -len(suffix)], pipeline
    match = BRACKETED.match(inner)
    if match is None:
        return inner, None
    return match.group("stage"), match.group("pipeline")


def _field(table: ir.Table, headers: dict[str, str], name: str) -> ir.StringValue:
    header = headers.get(name)
    if header is None:
        return ibis.null(dt.string)
    return parsing.text(table[header])


def _deals(
    store: Store,
    raw: RawFile,
    headers: dict[str, str],
    formats: dict[str, parsing.DateFormat],
    timezone: str,
) -> ir.Table:
    """Stage the deal rows with typed values, raising for unreadable ones."""
    table = raw.table
    file = raw.path.name
    created = headers.get("created")
    close = headers.get("close")
    created_at = ibis.null(dt.timestamp)
    close_date = ibis.null(dt.date)

    if created is not None:
        created_at = parsing.timestamp(
            table[created], formats[created], timezone=timezone
        )
        parsing.check_parsed(store, table, created, created_at, file=file)
    if close is not None:
        close_date = parsing.date(table[close], formats[close])
        parsing.check_parsed(store, table, close, close_date, file=file)

    amount = ibis.null(dt.float64)
    if "amount" in headers:
        amount = parsing.number(table[headers["amount"]])
        invalid = parsing.is_invalid_number(table[headers["amount"]])
        parsing.first_invalid(
            store, table, invalid, headers["amount"], file=file, expected="an amount"
        )

    deals = table.select(
        table[ROW_COLUMN],
        id=parsing.ref(table[headers["id"]]),
        name=_field(table, headers, "name"),
        stage=_field(table, headers, "stage"),
        pipeline=_field(table, headers, "pipeline"),
        amount=amount,
        currency=_field(table, headers, "currency").upper(),
        created_at=created_at,
        close_date=close_date,
        owner=_field(table, headers, "owner"),
        type=_field(table, headers, "type"),
    )
    return store.stage(deals)


def _events(
    store: Store,
    raw: RawFile,
    headers: dict[str, str],
    stages: list[StageColumn],
    formats: dict[str, parsing.DateFormat],
    timezone: str,
) -> ir.Table:
    """Stage one stage event per non-empty `Date entered` cell."""
    t = raw.table
    file = raw.path.name
    ids = parsing.ref(t[headers["id"]])
    row_pipeline = _field(t, headers, "pipeline").fill_null("")
    parts = []
    for column in stages:
        value = t[column.header]
        entered = parsing.timestamp(value, formats[column.header], timezone=timezone)
        parsing.check_parsed(store, t, column.header, entered, file=file)
        pipeline = (
            row_pipeline if column.pipeline is None else ibis.literal(column.pipeline)
        )
        present = t.filter(parsing.text(value).notnull())
        parts.append(
            present.select(
                opportunity_id=ids,
                stage_label=ibis.literal(column.stage),
                entered_at=entered,
                sort_order=ibis.literal(column.sort_order).cast(dt.int32),
                source_id=ids.concat("|", pipeline, "|", column.stage),
                import_file=ibis.literal(file),
            )
        )
    if not parts:
        schema = {
            "opportunity_id": "string",
            "stage_label": "string",
            "entered_at": "timestamp",
            "sort_order": "int32",
            "source_id": "string",
            "import_file": "string",
        }
        return store.stage(with_seq(ibis.memtable({"source_id": []}, schema=schema)))
    events = union_all(parts)
    return store.stage(with_seq(events))


def _opportunities(
    store: Store,
    deals: ir.Table,
    events: ir.Table,
    *,
    process: Process,
    currency: str,
    file: str,
) -> ir.Table:
    """Stage opportunities, whose status the record's stage label sets."""
    latest = ibis.window(
        group_by=events.opportunity_id,
        order_by=[ibis.desc(events.entered_at), ibis.desc(events.seq)],
    )
    ranked = events.mutate(_rank=ibis.row_number().over(latest))
    last = ranked.filter(ranked._rank == 0).select(
        history_key=ranked.opportunity_id, last_label=ranked.stage_label
    )

    joined = deals.left_join(last, deals.id == last.history_key)
    history_status = label_status(joined.last_label, process).fill_null("open")
    record_status = label_status(joined.stage, process).fill_null("open")
    status = ibis.cases(
        (joined.stage.notnull(), record_status),
        (joined.last_label.notnull(), history_status),
        else_=ibis.literal("open"),
    )
    corrected = joined.stage.notnull() & joined.last_label.notnull()
    corrected &= record_status != history_status

    rows = joined.select(
        joined[ROW_COLUMN],
        id=joined.id,
        name=joined.name,
        seller_id=joined.owner,
        created_at=joined.created_at,
        close_date=joined.close_date,
        amount=joined.amount,
        currency=joined.currency.fill_null(currency),
        type=joined.type,
        pipeline=joined.pipeline,
        stage_label=joined.stage.fill_null(joined.last_label),
        status=status,
        status_corrected=corrected,
        source_id=joined.id,
        import_file=ibis.literal(file),
    )
    return store.stage(rows)


def _findings(store: Store, opportunities: ir.Table) -> list[Finding]:
    o = opportunities
    checks = [
        Check(
            o.status_corrected,
            "status_corrected",
            "deals whose Deal Stage and latest Date entered stage disagree on "
            "won, lost or open, where the Deal Stage wins",
        ),
        Check(
            o.stage_label.isnull(),
            "deals_no_stage",
            "deals without a Deal Stage or stage history, counted as open",
        ),
        Check(o.amount.isnull(), "deals_no_amount", "deals without an Amount"),
        Check(
            o.close_date.isnull(), "deals_no_close_date", "deals without a Close Date"
        ),
        Check(o.seller_id.isnull(), "deals_no_owner", "deals without a Deal owner"),
    ]
    return find(store, o, checks)


def _sellers(deals: ir.Table, file: str) -> ir.Table:
    """Return one seller per owner name: the UI export has no owner ids."""
    owners = deals.filter(deals.owner.notnull()).select(id=deals.owner).distinct()
    return owners.mutate(
        name=owners.id, source_id=owners.id, import_file=ibis.literal(file)
    )


def _stage_labels(stages: list[StageColumn], process: Process, file: str) -> ir.Table:
    """Return stage_labels in `Date entered` column order within each pipeline.

    Only won, lost and process-stage labels get closed and won flags. The
    others stay NULL because the export has no such flags.
    """
    table = ibis.memtable(
        {
            "label": [s.stage for s in stages],
            "pipeline": [s.pipeline or "" for s in stages],
            "sort_order": [s.sort_order for s in stages],
        },
        schema={"label": "string", "pipeline": "string", "sort_order": "int32"},
    )
    status = label_status(table.label, process)
    once = ibis.window(
        group_by=[table.pipeline, table.label], order_by=table.sort_order
    )
    ranked = table.mutate(
        is_closed=status != "open",
        is_won=status == "won",
        source_id=table.pipeline.concat("|", table.label),
        import_file=ibis.literal(file),
        _rank=ibis.row_number().over(once),
    )
    return ranked.filter(ranked._rank == 0).drop("_rank")
