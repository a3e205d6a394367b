"""Import a folder of HubSpot tables synced by Fivetran (`deal.csv` or `deal_data.csv`).

Reads deal, deal_pipeline, deal_pipeline_stage, deal_stage (the stage
history), owner, the engagement tables, engagement_deal, merged_deal and
deal_property_history. Only the deal table is required. Every timestamp is
UTC, and close dates are dates.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.config import Process
from revarch.errors import InputError
from revarch.importers import base, parsing
from revarch.importers.base import ImportOptions
from revarch.importers.hubspot_engagements import (
    ENGAGEMENT_DEAL_FIELDS,
    OWNER_FIELDS,
    activities_load,
    read_engagements,
    sellers_load,
)
from revarch.importers.hubspot_shared import (
    IMPORTER,
    Check,
    find,
    label_status,
    union_all,
)
from revarch.importers.hubspot_stages import (
    DEAL_STAGE_FIELDS,
    PIPELINE_FIELDS,
    PROPERTY_HISTORY_FIELDS,
    STAGE_FIELDS,
    history_source,
    pipeline_labels,
    stage_events_load,
    stage_findings,
    stage_info,
    stage_labels_load,
)
from revarch.importers.hubspot_tables import (
    Field,
    FivetranTable,
    find_tables,
    read_table,
)
from revarch.storage import Finding, ImportResult, Store, TableLoad
from revarch.storage.schema import OPPORTUNITIES
from revarch.storage.store import ROW_COLUMN
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

DEAL_FIELDS = {
    "id": Field("ref", ("deal_id", "id"), required=True),
    "name": Field("text", ("property_dealname",)),
    "seller_id": Field("ref", ("owner_id", "property_hubspot_owner_id")),
    "pipeline_id": Field("ref", ("deal_pipeline_id", "property_pipeline")),
    "stage_id": Field("ref", ("deal_pipeline_stage_id", "property_dealstage")),
    "created_at": Field("timestamp", ("property_createdate",)),
    "close_date": Field("date", ("property_closedate",)),
    "amount": Field("number", ("property_amount",)),
    "currency": Field("text", ("property_deal_currency_code",)),
    "type": Field("text", ("property_dealtype",)),
    "hubspot_deleted": Field("boolean", ("is_deleted",)),
}

MERGED_FIELDS = {
    "deal_id": Field("ref", ("deal_id",), required=True),
    "merged_id": Field("ref", ("merged_deal_id",), required=True),
}

# Tables read with one row per id, and the fields each is read with.
KEYED_TABLES = {
    "deal": DEAL_FIELDS,
    "deal_pipeline": PIPELINE_FIELDS,
    "deal_pipeline_stage": STAGE_FIELDS,
    "owner": OWNER_FIELDS,
}

# Tables whose every row counts: histories and links.
ROW_TABLES = {
    "deal_stage": DEAL_STAGE_FIELDS,
    "engagement_deal": ENGAGEMENT_DEAL_FIELDS,
    "merged_deal": MERGED_FIELDS,
    "deal_property_history": PROPERTY_HISTORY_FIELDS,
}

STEPS = 6


def import_fivetran(
    workspace: Workspace, folder: Path, options: ImportOptions
) -> ImportResult:
    """Import a folder of Fivetran HubSpot tables in one transaction."""
    store = workspace.database
    source = base.default_source(IMPORTER, folder, options.source)
    files, unused = find_tables(folder)
    if "deal" not in files:
        raise InputError(
            f"{folder}: no deal table (deal.csv or deal_data.csv) in this folder; "
            "expected a folder of HubSpot tables synced by Fivetran, or a deals "
            "CSV exported from the HubSpot UI"
        )
    options.progress("reading tables", 0, STEPS)
    tables = _read_tables(store, files)
    engagements = read_engagements(store, files)
    read = [*tables.values(), *(table for table, _ in engagements)]

    options.progress("stages", 1, STEPS)
    process = workspace.settings.process
    pipelines = store.stage(pipeline_labels(tables.get("deal_pipeline")))
    info = stage_info(store, tables.get("deal_pipeline_stage"), pipelines, process)
    findings = stage_findings(store, info)

    options.progress("deals", 2, STEPS)
    deals = tables["deal"]
    opportunities, found = opportunities_load(
        store,
        deals,
        info=info,
        pipelines=pipelines,
        merged=tables.get("merged_deal"),
        history=tables.get("deal_property_history"),
        process=process,
        currency=workspace.settings.company.currency,
        source=source,
    )
    findings += found
    known = _known_deals(store, opportunities, source, options.partial)

    options.progress("stage history", 3, STEPS)
    loads = [TableLoad("opportunities", opportunities, deals.raw.path.name)]
    rejected = 0
    history = history_source(
        tables.get("deal_stage"), tables.get("deal_property_history")
    )
    if history is not None:
        rows, file = history
        events, found, rejected = stage_events_load(store, rows, file, info, known)
        findings += found
        loads.append(TableLoad("stage_events", events, file))
    if "deal_pipeline_stage" in tables:
        file = tables["deal_pipeline_stage"].raw.path.name
        loads.append(TableLoad("stage_labels", stage_labels_load(info, file), file))

    people, found = _people_loads(
        store, tables, engagements, opportunities, known, options
    )
    findings += found

    options.progress("writing", 6, STEPS)
    return base.apply(
        store,
        importer=IMPORTER,
        source=source,
        files=[table.raw for table in read],
        loads=people + loads,
        options=options,
        rejected=rejected,
        findings=findings,
        notes=_notes(store, read, unused, opportunities),
    )


def _people_loads(
    store: Store,
    tables: dict[str, FivetranTable],
    engagements: list[tuple[FivetranTable, int]],
    opportunities: ir.Table,
    known: ir.Table,
    options: ImportOptions,
) -> tuple[list[TableLoad], list[Finding]]:
    """Build the sellers and activities loads: engagements and their owners."""
    options.progress("activities", 4, STEPS)
    activities, findings = activities_load(
        store, engagements, tables.get("engagement_deal"), known
    )
    owners = [opportunities.select(id=opportunities.seller_id)]
    loads = []
    if activities is not None:
        loads.append(TableLoad("activities", activities, "engagement tables"))
        owners.append(activities.select(id=activities.seller_id))

    options.progress("sellers", 5, STEPS)
    owner_table = tables.get("owner")
    sellers, found = sellers_load(store, owner_table, union_all(owners))
    owner_file = owner_table.raw.path.name if owner_table else "deal table"
    loads.insert(0, TableLoad("sellers", sellers, owner_file))
    return loads, findings + found


def _read_tables(store: Store, files: dict[str, Path]) -> dict[str, FivetranTable]:
    tables: dict[str, FivetranTable] = {}
    for name, fields in KEYED_TABLES.items():
        if name in files:
            tables[name] = read_table(store, files[name], fields, key="id")
    for name, fields in ROW_TABLES.items():
        if name in files:
            tables[name] = read_table(store, files[name], fields, key=None)
    return tables


def _merged_into(merged: FivetranTable | None) -> ir.Table:
    """Return merged_key (the merged-away deal) -> merged_into (the deal kept)."""
    if merged is None:
        schema = {"merged_key": "string", "merged_into": "string"}
        return ibis.memtable({"merged_key": []}, schema=schema)
    table = merged.table
    table = table.filter(table.merged_id.notnull() & (table.merged_id != table.deal_id))
    return table.group_by(merged_key=table.merged_id).aggregate(
        merged_into=table.deal_id.min()
    )


def _history_amounts(history: FivetranTable | None) -> ir.Table:
    """Return amount_key -> history_amount: each deal's latest amount on record."""
    if history is None:
        schema = {"amount_key": "string", "history_amount": "float64"}
        return ibis.memtable({"amount_key": []}, schema=schema)
    table = history.table
    amounts = table.filter(
        (table.property.lower() == "amount") & parsing.number(table.value).notnull()
    )
    latest = ibis.window(
        group_by=amounts.deal_id,
        order_by=[ibis.desc(amounts.changed_at), ibis.desc(amounts[ROW_COLUMN])],
    )
    ranked = amounts.mutate(_rank=ibis.row_number().over(latest))
    ranked = ranked.filter(ranked._rank == 0)
    return ranked.select(
        amount_key=ranked.deal_id, history_amount=parsing.number(ranked.value)
    )


def opportunities_load(
    store: Store,
    deals: FivetranTable,
    *,
    info: ir.Table,
    pipelines: ir.Table,
    merged: FivetranTable | None,
    history: FivetranTable | None,
    process: Process,
    currency: str,
    source: str,
) -> tuple[ir.Table, list[Finding]]:
    """Build the opportunities rows and the findings about missing deal fields."""
    table = deals.table
    merged_into = store.stage(_merged_into(merged))
    amounts = store.stage(_history_amounts(history))

    joined = (
        table.left_join(info, table.stage_id == info.stage_key)
        .left_join(pipelines, table.pipeline_id == pipelines.pipeline_key)
        .left_join(merged_into, table.id == merged_into.merged_key)
        .left_join(amounts, table.id == amounts.amount_key)
    )
    rows = joined.select(
        joined[ROW_COLUMN],
        id=joined.id,
        name=joined.name,
        seller_id=joined.seller_id,
        created_at=joined.created_at,
        close_date=joined.close_date,
        amount=joined.amount.fill_null(joined.history_amount),
        currency=joined.currency.upper().fill_null(currency),
        type=joined.type,
        pipeline=ibis.coalesce(
            joined.pipeline_label, joined.pipeline_id, joined.stage_pipeline
        ),
        stage_label=joined.stage_name.fill_null(joined.stage_id),
        probability=joined.stage_probability,
        status=ibis.coalesce(
            joined.stage_status,
            label_status(joined.stage_id, process),
            ibis.literal("open"),
        ),
        status_corrected=joined.stage_corrected.fill_null(False),
        is_merged=joined.merged_into.notnull(),
        merged_into=joined.merged_into,
        is_deleted=joined._deleted.fill_null(False)
        | joined.hubspot_deleted.fill_null(False),
        source_id=joined.id,
        import_file=ibis.literal(deals.raw.path.name),
        _stage_known=joined.stage_key.notnull(),
        _pipeline_known=joined.pipeline_key.notnull(),
        _amount_from_history=joined.amount.isnull() & joined.history_amount.notnull(),
    )

    staged = store.stage(rows)
    findings = _deal_findings(store, staged)
    findings.append(_merged_unknown(store, merged_into, staged, source))

    helpers = ("_stage_known", "_pipeline_known", "_amount_from_history")
    stored_merged = _merged_from_workspace(store, staged, merged_into, source)
    return store.stage(staged.drop(*helpers).union(stored_merged)), findings


def _deal_findings(store: Store, deals: ir.Table) -> list[Finding]:
    live = ~deals.is_deleted
    checks = [
        Check(
            live & deals.stage_label.isnull(),
            "deals_no_stage",
            "deals without a stage, counted as open",
        ),
        Check(
            live & deals.stage_label.notnull() & ~deals._stage_known,
            "deals_unknown_stage",
            "deals whose stage id is not in deal_pipeline_stage, so the id is "
            "used as the stage label",
        ),
        Check(
            live & deals.pipeline.notnull() & ~deals._pipeline_known,
            "deals_unknown_pipeline",
            "deals whose pipeline id is not in deal_pipeline, so the id is used "
            "as the pipeline label",
        ),
        Check(
            live & deals.amount.isnull(), "deals_no_amount", "deals without an amount"
        ),
        Check(
            live & deals.close_date.isnull(),
            "deals_no_close_date",
            "deals without a close date",
        ),
        Check(
            live & deals.status_corrected,
            "status_corrected",
            "deals whose stage label means won or lost against the stage's "
            "closed_won and is_closed flags, where the label wins",
        ),
        Check(
            live & deals._amount_from_history,
            "amount_from_history",
            "deals without an amount on the record, so their latest amount in "
            "deal_property_history is used",
        ),
    ]
    return find(store, deals, checks)


def _merged_unknown(
    store: Store, merged_into: ir.Table, deals: ir.Table, source: str
) -> Finding:
    existing = store.table("opportunities")
    in_workspace = existing.filter(existing.import_source == source).id
    unknown = ~merged_into.merged_key.isin(deals.id) & ~merged_into.merged_key.isin(
        in_workspace
    )
    check = Check(
        unknown,
        "merged_unknown",
        "merged-away deal ids in merged_deal that are neither in the deal "
        "table nor in the workspace, so there is nothing to flag",
        column="merged_key",
    )
    return find(store, merged_into, [check])[0]


def _merged_from_workspace(
    store: Store, deals: ir.Table, merged_into: ir.Table, source: str
) -> ir.Table:
    """Return this source's stored deals merged away since: kept, flagged merged.

    HubSpot drops a merged-away deal from the deal table, so a full import
    would otherwise mark it deleted.
    """
    existing = store.table("opportunities")
    gone = existing.filter(
        (existing.import_source == source) & ~existing.id.isin(deals.id)
    )
    merges = merged_into.rename(merged_into_id="merged_into")
    joined = gone.join(merges, gone.id == merges.merged_key)
    schema = deals.schema()
    values: dict[str, ir.Value] = {}
    for name in schema.names:
        if name == ROW_COLUMN:
            values[name] = ibis.null(schema[name])
        elif name == "is_merged":
            values[name] = ibis.literal(True)
        elif name == "is_deleted":
            values[name] = ibis.literal(False)
        elif name == "merged_into":
            values[name] = joined.merged_into_id
        elif name in OPPORTUNITIES.column_names:
            values[name] = joined[name]
    return joined.select(**{k: v.cast(schema[k]) for k, v in values.items()})


def _known_deals(
    store: Store, opportunities: ir.Table, source: str, partial: bool
) -> ir.Table:
    """Return the ids stage history and engagements may point at.

    An incremental import may also point at deals imported before from the
    same source.
    """
    ids = opportunities.select("id")
    if partial:
        existing = store.table("opportunities")
        stored = existing.filter(existing.import_source == source)
        ids = ids.union(stored.select(id=stored.id.cast(dt.string)))
    return store.stage(ids.distinct())


def _notes(
    store: Store,
    read: list[FivetranTable],
    unused: list[str],
    opportunities: ir.Table,
) -> list[str]:
    counts = ", ".join(f"{t.raw.path.name} ({t.raw.rows} rows)" for t in read)
    notes = [f"read {len(read)} tables: {counts}"]
    if unused:
        notes.append(
            f"not read ({len(unused)} files revarch does not use): " + ", ".join(unused)
        )
    for table in read:
        file = table.raw.path.name
        if table.versions_dropped:
            notes.append(
                f"{file}: {table.versions_dropped} older versions (history mode) "
                "set aside, keeping the active version of each id"
            )
        if table.inactive:
            notes.append(
                f"{file}: {table.inactive} ids have no active version, so they "
                "were deleted in HubSpot (kept, flagged deleted)"
            )
    deleted = int(store.fetch(opportunities.is_deleted.sum().fill_null(0)))
    if deleted:
        notes.append(f"{deleted} deals are deleted in HubSpot (kept, flagged deleted)")
    return notes
