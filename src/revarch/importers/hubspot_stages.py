"""Fivetran HubSpot pipelines and stages: stage labels, stage status and stage history.

A stage's status comes from its label where the label names a won, lost or
process stage, and otherwise from the stage table's flags: `closed_won`, then
`is_closed`, then a probability of 1 (won) or 0 (closed). Where the label and
the flags disagree, the label wins and the stage counts as corrected.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.config import Process
from revarch.importers.hubspot_shared import Check, find, label_status, with_seq
from revarch.importers.hubspot_tables import Field, FivetranTable
from revarch.storage import Finding, Store
from revarch.storage.store import ROW_COLUMN

PIPELINE_FIELDS = {
    "id": Field("ref", ("pipeline_id", "id"), required=True),
    "label": Field("text", ("label",)),
}

STAGE_FIELDS = {
    "id": Field("ref", ("stage_id", "id"), required=True),
    "label": Field("text", ("label",)),
    "pipeline_id": Field("ref", ("pipeline_id",)),
    "display_order": Field("number", ("display_order",)),
    "probability": Field("number", ("probability",)),
    "closed_won": Field("boolean", ("closed_won", "is_closed_won")),
    "is_closed": Field("boolean", ("is_closed", "closed")),
}

DEAL_STAGE_FIELDS = {
    "deal_id": Field("ref", ("deal_id",), required=True),
    "stage_id": Field("ref", ("value", "deal_stage", "dealstage")),
    "entered_at": Field("timestamp", ("date_entered",)),
}

PROPERTY_HISTORY_FIELDS = {
    "deal_id": Field("ref", ("deal_id",), required=True),
    "property": Field("text", ("name", "property"), required=True),
    "value": Field("text", ("value",)),
    "changed_at": Field("timestamp", ("timestamp", "change_timestamp")),
}

STAGE_INFO_SCHEMA = ibis.schema(
    {
        "stage_key": "string",
        "stage_name": "string",
        "stage_pipeline": "string",
        "stage_pipeline_known": "boolean",
        "stage_sort": "int32",
        "stage_probability": "float64",
        "stage_status": "string",
        "stage_corrected": "boolean",
        "stage_deleted": "boolean",
    }
)


def pipeline_labels(pipelines: FivetranTable | None) -> ir.Table:
    """Return pipeline_key and pipeline_label (the id where the label is empty)."""
    if pipelines is None:
        schema = {"pipeline_key": "string", "pipeline_label": "string"}
        return ibis.memtable({"pipeline_key": []}, schema=schema)
    table = pipelines.table
    return table.select(
        pipeline_key=table.id, pipeline_label=table.label.fill_null(table.id)
    )


def _flag_status(stages: ir.Table) -> ir.StringValue:
    won = stages.closed_won.fill_null(stages.is_closed & (stages.probability >= 1))
    closed = stages.is_closed.fill_null(won | (stages.probability == 0))
    return ibis.cases(
        (won, "won"),
        (closed, "lost"),
        (closed.notnull(), "open"),
        else_=ibis.null(dt.string),
    )


def stage_info(
    store: Store,
    stages: FivetranTable | None,
    pipelines: ir.Table,
    process: Process,
) -> ir.Table:
    """Stage one row per stage id: label, pipeline label, order and status."""
    if stages is None:
        return store.stage(ibis.memtable({"stage_key": []}, schema=STAGE_INFO_SCHEMA))
    table = stages.table
    joined = table.left_join(pipelines, table.pipeline_id == pipelines.pipeline_key)
    by_label = label_status(joined.label, process)
    by_flags = _flag_status(joined)
    info = joined.select(
        stage_key=joined.id,
        stage_name=joined.label.fill_null(joined.id),
        stage_pipeline=joined.pipeline_label.fill_null(joined.pipeline_id),
        stage_pipeline_known=joined.pipeline_key.notnull(),
        stage_sort=joined.display_order.cast(dt.int32),
        stage_probability=joined.probability,
        stage_status=ibis.coalesce(by_label, by_flags, ibis.literal("open")),
        stage_corrected=(
            by_label.notnull() & by_flags.notnull() & (by_label != by_flags)
        ).fill_null(False),
        stage_deleted=joined._deleted.fill_null(False),
    )
    return store.stage(info)


def stage_labels_load(info: ir.Table, file: str) -> ir.Table:
    """Return the stage_labels rows: one per pipeline and label, live stages first."""
    pipeline = info.stage_pipeline.fill_null("")
    first = ibis.window(
        group_by=[pipeline, info.stage_name],
        order_by=[info.stage_deleted, info.stage_sort, info.stage_key],
    )
    ranked = info.mutate(_rank=ibis.row_number().over(first))
    chosen = ranked.filter(ranked._rank == 0)
    return chosen.select(
        label=chosen.stage_name,
        pipeline=chosen.stage_pipeline.fill_null(""),
        sort_order=chosen.stage_sort,
        is_closed=chosen.stage_status != "open",
        is_won=chosen.stage_status == "won",
        is_deleted=chosen.stage_deleted,
        source_id=chosen.stage_key,
        import_file=ibis.literal(file),
    )


def stage_findings(store: Store, info: ir.Table) -> list[Finding]:
    """Report stages whose pipeline is missing from the pipeline table."""
    unknown = info.stage_pipeline.notnull() & ~info.stage_pipeline_known
    check = Check(
        unknown,
        "stages_unknown_pipeline",
        "stages whose pipeline_id is not in deal_pipeline, so the id is used "
        "as the pipeline label",
        column="stage_key",
    )
    return find(store, info, [check])


def history_source(
    deal_stage: FivetranTable | None, property_history: FivetranTable | None
) -> tuple[ir.Table, str] | None:
    """Return raw stage history rows (deal_id, stage_id, entered_at, _row) and file.

    The deal_stage table is the history. Without it, the `dealstage` rows of
    deal_property_history are used instead.
    """
    if deal_stage is not None:
        table = deal_stage.table
        rows = table.select(
            table[ROW_COLUMN],
            deal_id=table.deal_id,
            stage_id=table.stage_id,
            entered_at=table.entered_at.fill_null(table._start),
        )
        return rows, deal_stage.raw.path.name
    if property_history is not None:
        table = property_history.table
        stages = table.filter(table.property.lower() == "dealstage")
        rows = stages.select(
            stages[ROW_COLUMN],
            deal_id=stages.deal_id,
            stage_id=stages.value,
            entered_at=stages.changed_at,
        )
        return rows, property_history.raw.path.name
    return None


def stage_events_load(
    store: Store,
    history: ir.Table,
    file: str,
    info: ir.Table,
    known_deals: ir.Table,
) -> tuple[ir.Table, list[Finding], int]:
    """Build stage_events for known deals, with the findings and rows dropped."""
    joined = history.left_join(info, history.stage_id == info.stage_key)
    complete = joined.deal_id.notnull() & joined.stage_id.notnull()
    complete &= joined.entered_at.notnull()
    rows = store.stage(
        joined.mutate(
            _complete=complete,
            _known=complete & joined.deal_id.isin(known_deals.id),
        )
    )
    findings = find(store, rows, _history_checks(rows, file))

    rows = rows.filter(rows._known)
    source_id = rows.deal_id.concat(
        "|", rows.stage_id, "|", rows.entered_at.cast(dt.string)
    )
    events = rows.select(
        rows[ROW_COLUMN],
        opportunity_id=rows.deal_id,
        stage_label=rows.stage_name.fill_null(rows.stage_id),
        entered_at=rows.entered_at,
        sort_order=rows.stage_sort,
        source_id=source_id,
        import_file=ibis.literal(file),
    )

    # The same stage entered at the same instant twice is one event.
    once = ibis.window(group_by=events.source_id, order_by=events[ROW_COLUMN])
    events = events.mutate(_rank=ibis.row_number().over(once))
    events = with_seq(events.filter(events._rank == 0).drop("_rank"))
    dropped = findings[0].count + findings[1].count
    return store.stage(events), findings, dropped


def _history_checks(rows: ir.Table, file: str) -> list[Check]:
    return [
        Check(
            rows._complete & ~rows._known,
            "stage_history_unknown_deal",
            "stage history rows for deals not in the deal table (dropped)",
            column="deal_id",
        ),
        Check(
            ~rows._complete,
            "stage_history_incomplete",
            f"{file} rows without a deal, stage or date entered (dropped, and "
            "the examples are row numbers)",
            column=ROW_COLUMN,
        ),
        Check(
            rows._known & rows.stage_key.isnull(),
            "stage_history_unknown_stage",
            "stage history rows whose stage id is not in deal_pipeline_stage, "
            "so the id is used as the stage label",
            column="stage_id",
        ),
    ]
