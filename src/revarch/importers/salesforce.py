"""Import a Salesforce export folder: Data Export, Data Loader or report exports.

The importer reads Opportunity (required), OpportunityHistory,
OpportunityStage, User, UserRole, Task, Event, a call log (Telephony),
DatedConversionRate and CurrencyType, whatever their prefix or case. It
writes sellers, opportunities, stage events, stage labels, activities and
exchange rates in one transaction, so a failure anywhere writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir

from revarch.importers.base import (
    Columns,
    ImportOptions,
    Progress,
    apply,
    default_source,
    workspace_timezone,
)
from revarch.importers.salesforce_activities import (
    parse_activities,
    resolve_activities,
)
from revarch.importers.salesforce_context import ImportContext, SourceFile
from revarch.importers.salesforce_files import ExportFiles, find_export_files
from revarch.importers.salesforce_fx import (
    earliest_date,
    parse_currency_types,
    parse_dated_rates,
)
from revarch.importers.salesforce_history import opportunity_lookup, parse_history
from revarch.importers.salesforce_opportunities import (
    Opportunities,
    parse_opportunities,
)
from revarch.importers.salesforce_sellers import (
    People,
    build_people,
    build_sellers,
    parse_users,
    resolve_sellers,
)
from revarch.importers.salesforce_stages import (
    parse_stage_file,
    resolve_status,
    stage_labels,
    stage_meaning,
)
from revarch.storage import ImportResult, TableLoad
from revarch.storage.store import ROW_COLUMN, emptied_import_error
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

IMPORTER = "salesforce"
ACTIVITY_KINDS = ("task", "event", "call")


@dataclass
class _Steps:
    """Counts finished steps and reports them to the progress callback."""

    report: Progress
    total: int
    done: int = 0

    def start(self, step: str) -> None:
        self.report(step, self.done, self.total)
        self.done += 1


def import_salesforce(
    workspace: Workspace, folder: Path, options: ImportOptions
) -> ImportResult:
    """Import a Salesforce export folder into the workspace in one transaction.

    Raises ``InputError`` naming the file, row, column and value for bad
    input; nothing is written then.
    """
    export = find_export_files(folder)
    ctx = ImportContext(
        workspace=workspace,
        store=workspace.database,
        options=options,
        source=default_source(IMPORTER, folder, options.source),
        timezone=workspace_timezone(workspace, options),
    )
    if export.ignored:
        ctx.notes.append(
            "files the Salesforce importer does not read were ignored: "
            + ", ".join(export.ignored)
        )
    steps = _Steps(options.progress, total=len(export.files) + _build_steps(export))
    files: list[SourceFile] = []
    try:
        _read_files(ctx, export, steps, files)
        loads = _build_loads(ctx, {f.kind: f for f in files}, steps)
        steps.start("writing")
        result = apply(
            ctx.store,
            importer=IMPORTER,
            source=ctx.source,
            files=[f.raw for f in files],
            loads=loads,
            options=options,
            rejected=ctx.rejected,
            findings=ctx.findings,
            notes=ctx.notes,
        )
    finally:
        ctx.drop_staged(files)
    options.progress("done", steps.total, steps.total)
    return result


def _build_steps(export: ExportFiles) -> int:
    """Count the table-building steps after reading: see ``_build_loads``."""
    optional = ("history" in export.files) + any(
        kind in export.files for kind in ACTIVITY_KINDS
    )
    rates = "dated_rate" in export.files or "currency" in export.files
    return 4 + optional + rates


def _read_files(
    ctx: ImportContext, export: ExportFiles, steps: _Steps, files: list[SourceFile]
) -> None:
    """Stage every recognised file, appending to ``files`` as each one is read."""
    for kind, path in export.files.items():
        steps.start(f"reading {path.name}")
        raw = ctx.store.read_csv(path)
        files.append(SourceFile(kind, raw, Columns(raw, path.name)))
        log.debug("staged %s (%s, %d rows)", path.name, kind, raw.rows)


def _build_loads(
    ctx: ImportContext, files: dict[str, SourceFile], steps: _Steps
) -> list[TableLoad]:
    """Parse the staged files into one load per workspace table."""
    steps.start("opportunities")
    opportunity_file = files["opportunity"].name
    opportunities = parse_opportunities(ctx, files["opportunity"])
    ctx.release_file(files["opportunity"])
    lookup = opportunity_lookup(ctx, opportunities)
    history = None
    if "history" in files:
        steps.start("stage history")
        history = parse_history(ctx, files["history"], lookup)

    steps.start("stage labels")
    with_status, labels = _stages(ctx, files, opportunities, history)
    people = _people(ctx, files, opportunities)
    owned = resolve_sellers(
        ctx, people, with_status, "owner_key", record_kind="opportunity"
    )
    owner_ids = owned.select(id=owned.seller_id)
    activities = _activities(ctx, files, lookup, people, steps)
    if activities is not None:
        owner_ids = owner_ids.union(activities.expr.select(id="seller_id"))

    steps.start("sellers")
    sellers = build_sellers(ctx, people, owner_ids, people.file_name)
    if ctx.options.partial:
        # Without their own file, sellers and stage labels are known only by
        # id and label: an incremental import adds the new ones and leaves
        # the names, managers and stage flags stored before as they are.
        if "user" not in files:
            sellers = _not_stored(ctx, sellers, "sellers", ("id",))
        if "stage" not in files:
            expr = _not_stored(ctx, labels.expr, "stage_labels", ("pipeline", "label"))
            labels = TableLoad(labels.table, expr, labels.file)
    loads = [
        TableLoad("sellers", sellers, people.file_name),
        TableLoad("opportunities", _opportunity_rows(owned), opportunity_file),
        labels,
    ]
    if history is not None:
        loads.append(TableLoad("stage_events", history, files["history"].name))
    if activities is not None:
        loads.append(activities)
    return loads + _rate_loads(ctx, files, opportunities, history, steps)


def _not_stored(
    ctx: ImportContext, rows: ir.Table, table: str, key: tuple[str, ...]
) -> ir.Table:
    """Keep the rows whose key this source has not stored yet."""
    stored = ctx.store.table(table)
    stored = stored.filter(stored.import_source == ctx.source)
    same = [
        rows[column].cast("string").fill_null("")
        == stored[column].cast("string").fill_null("")
        for column in key
    ]
    return rows.anti_join(stored, same)


def _stages(
    ctx: ImportContext,
    files: dict[str, SourceFile],
    opportunities: Opportunities,
    history: ir.Table | None,
) -> tuple[ir.Table, TableLoad]:
    """Return the opportunities with their status, and the stage_labels load."""
    stages = parse_stage_file(ctx, files["stage"]) if "stage" in files else None
    table = opportunities.table
    labels = table.select(label=table.stage_label)
    if history is not None:
        labels = labels.union(history.select(label=history.stage_label))
    meaning = stage_meaning(ctx, labels, stages)
    with_status = resolve_status(ctx, table, history, meaning)
    label_file = files["stage"].name if stages is not None else opportunities.file.name
    rows = stage_labels(ctx, table, history, stages, file_name=label_file)
    return with_status, TableLoad("stage_labels", rows, label_file)


def _people(
    ctx: ImportContext, files: dict[str, SourceFile], opportunities: Opportunities
) -> People:
    users_file = files.get("user")
    if users_file is None:
        return build_people(ctx, opportunities, None, None)
    users = parse_users(ctx, users_file, files.get("role"))
    return build_people(ctx, opportunities, users, users_file.name)


def _activities(
    ctx: ImportContext,
    files: dict[str, SourceFile],
    lookup: ir.Table,
    people: People,
    steps: _Steps,
) -> TableLoad | None:
    """Return the activities load from Task, Event and call-log files, if any."""
    activity_files = [files[k] for k in ACTIVITY_KINDS if k in files]
    if not activity_files:
        return None
    steps.start("activities")
    mark = ctx.mark()
    parsed = []
    for file in activity_files:
        _check_not_emptied(ctx, file)
        parsed.append(parse_activities(ctx, file))
        ctx.release_file(file)
    activities = resolve_activities(ctx, parsed, lookup, people)
    ctx.release_since(mark, keep=activities)
    names = ", ".join(f.name for f in activity_files)
    # The staged rows also carry the raw references, which the store ignores.
    return TableLoad("activities", activities, names)


def _check_not_emptied(ctx: ImportContext, file: SourceFile) -> None:
    """Reject a full import of an empty activity file that had rows before.

    The store rejects a full import that empties a whole table. The
    activities of one file (Task.csv) would otherwise vanish without a
    warning, because another file (Event.csv) still fills the table.
    """
    if ctx.options.partial or file.raw.rows:
        return
    stored = ctx.store.table("activities")
    stored = stored.filter(
        (stored.import_source == ctx.source)
        & (stored.import_file == file.name)
        & ~stored.is_deleted
    )
    live = ctx.count(stored)
    if live:
        records = f"activities from {file.name}"
        raise emptied_import_error(file.name, live, records, ctx.source)


def _rate_loads(
    ctx: ImportContext,
    files: dict[str, SourceFile],
    opportunities: Opportunities,
    history: ir.Table | None,
    steps: _Steps,
) -> list[TableLoad]:
    """Return the fx_rates load from DatedConversionRate and CurrencyType, if any."""
    dated_file = files.get("dated_rate")
    currency_file = files.get("currency")
    if dated_file is None and currency_file is None:
        return []
    steps.start("exchange rates")
    parts: list[ir.Table] = []
    dated = parse_dated_rates(ctx, dated_file) if dated_file else None
    if dated is not None:
        parts.append(dated)
    if currency_file is not None:
        earliest = earliest_date(ctx, opportunities.table, history)
        parts.append(parse_currency_types(ctx, currency_file, dated, earliest))
    rates = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    names = ", ".join(f.name for f in (dated_file, currency_file) if f is not None)
    return [TableLoad("fx_rates", rates, names)]


def _opportunity_rows(owned: ir.Table) -> ir.Table:
    """Select the opportunities table's columns (plus the file row)."""
    return owned.select(
        "id",
        "name",
        "account",
        "seller_id",
        "created_at",
        "close_date",
        "amount",
        "currency",
        "margin",
        "type",
        "lead_source",
        "pipeline",
        "stage_label",
        "probability",
        "status",
        "status_corrected",
        "is_deleted",
        "import_file",
        "source_id",
        ROW_COLUMN,
        is_merged=ibis.literal(False),
    )
