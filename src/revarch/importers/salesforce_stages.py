"""Stage labels, what each one means (open, won, lost) and opportunity status.

A label's meaning comes, in order, from the OpportunityStage file
(IsClosed/IsWon), the workspace process definition (won_labels and
lost_labels) and the label text ("Closed Won" or "Won" is won, "Closed
Lost" or "Lost" is lost). The label beats the IsClosed/IsWon flags on the
record, because Salesforce derives those flags and they go stale. A closed
last stage-history row beats a record that disagrees with it.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.importers import parsing
from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
)

WON_TEXT = r"^(closed\W*)?won$"
LOST_TEXT = r"^(closed\W*)?lost$"


def parse_stage_file(ctx: ImportContext, file: SourceFile) -> ir.Table:
    """Parse OpportunityStage into label, match key, sort order and flags."""
    columns = file.columns
    label_header = columns.require("the stage label", "ApiName", "MasterLabel")
    table = file.table
    api = file.text("ApiName")
    master = file.text("MasterLabel")
    parser = FileParser(ctx, file)
    parsed = parser.stage(
        label=api.coalesce(master, parsing.text(table[label_header])),
        api_key=api.lower(),
        master_key=master.lower(),
        sort_order=parser.integer(columns.find("SortOrder")),
        is_closed=parser.boolean(columns.find("IsClosed")),
        is_won=parser.boolean(columns.find("IsWon")),
        source_id=file.ref("Id"),
    )
    return ctx.stage(parsed.filter(parsed.label.notnull()))


def _stage_keys(stages: ir.Table) -> ir.Table:
    """Return one row per lowercase label or API name of the stage file."""
    by_api = stages.select("is_closed", "is_won", "_row", key=stages.api_key).filter(
        lambda t: t.key.notnull()
    )
    by_label = stages.select(
        "is_closed", "is_won", "_row", key=stages.master_key
    ).filter(lambda t: t.key.notnull())
    keys = by_api.union(by_label, distinct=False)
    first = ibis.row_number().over(group_by=keys.key, order_by=keys._row)
    return keys.filter(first == 0).drop("_row")


def label_status(label: ir.StringValue, ctx: ImportContext) -> ir.StringValue:
    """Return won, lost or open for a label by the process definition and text."""
    process = ctx.workspace.settings.process
    key = label.strip().lower()
    cases: list[tuple[ir.BooleanValue, str]] = []
    won = [w.strip().lower() for w in process.won_labels]
    lost = [w.strip().lower() for w in process.lost_labels]
    if won:
        cases.append((key.isin(won), "won"))
    if lost:
        cases.append((key.isin(lost), "lost"))
    cases.append((key.re_search(WON_TEXT), "won"))
    cases.append((key.re_search(LOST_TEXT), "lost"))
    return ibis.cases(*cases, else_="open")


def stage_meaning(
    ctx: ImportContext, labels: ir.Table, stages: ir.Table | None
) -> ir.Table:
    """Return (label, status) for each distinct label in ``labels``."""
    distinct = labels.select("label").filter(lambda t: t.label.notnull()).distinct()
    distinct = distinct.mutate(key=distinct.label.strip().lower())
    by_text = label_status(distinct.label, ctx)
    if stages is None:
        return ctx.stage(distinct.select("label", status=by_text))
    keys = _stage_keys(stages)
    joined = distinct.left_join(keys, distinct.key == keys.key)
    from_file = ibis.cases(
        (joined.is_closed.fill_null(False) & joined.is_won.fill_null(False), "won"),
        (joined.is_closed.fill_null(False), "lost"),
        (~joined.is_closed.fill_null(True), "open"),
        else_=ibis.null(dt.string),
    )
    status = from_file.coalesce(label_status(joined.label, ctx))
    return ctx.stage(joined.select("label", status=status))


def _last_history_status(history: ir.Table, meaning: ir.Table) -> ir.Table:
    """Return each opportunity's last history label and its status."""
    live = history.filter(~history.is_deleted)
    position = ibis.row_number().over(
        group_by=live.opportunity_id,
        order_by=[live.entered_at.desc(), live.seq.desc()],
    )
    last = live.filter(position == 0).select(
        last_id=live.opportunity_id, last_label=live.stage_label
    )
    joined = last.left_join(meaning, last.last_label == meaning.label)
    return joined.select("last_id", "last_label", last_status=joined.status)


def resolve_status(
    ctx: ImportContext,
    opportunities: ir.Table,
    history: ir.Table | None,
    meaning: ir.Table,
) -> ir.Table:
    """Add status and status_corrected to the opportunities and report corrections."""
    with_label = opportunities.left_join(
        meaning, opportunities.stage_label == meaning.label
    ).select(opportunities, label_status=meaning.status.fill_null("open"))
    if history is None:
        joined = with_label.mutate(last_status=ibis.null(dt.string))
    else:
        last = _last_history_status(history, meaning)
        joined = with_label.left_join(last, with_label.id == last.last_id).select(
            with_label, last_status=last.last_status
        )
    from_history = (
        joined.last_status.isin(("won", "lost"))
        & (joined.last_status != joined.label_status)
    ).fill_null(False)
    status = from_history.ifelse(joined.last_status, joined.label_status)
    flags_differ = joined.flag_status.notnull() & (joined.flag_status != status)
    result = ctx.stage(
        joined.mutate(
            status=status,
            status_corrected=from_history | flags_differ,
            from_history=from_history,
            flags_differ=flags_differ,
        )
    )
    _report_corrections(ctx, result)
    return result


def _report_corrections(ctx: ImportContext, result: ir.Table) -> None:
    checks = (
        (
            "status_from_history",
            result.from_history,
            "opportunities whose record stage disagrees with a closed last "
            "stage-history row: status set from the history",
        ),
        (
            "status_flags_contradict_stage",
            result.flags_differ,
            "opportunities whose IsClosed/IsWon flags contradict the stage "
            "label: status set from the stage, not the flags",
        ),
    )
    for kind, condition, message in checks:
        total, rows = ctx.sample(result.filter(condition).select("id", "_row"))
        ctx.add_finding(kind, total, message, [r["id"] for r in rows])


def stage_labels(
    ctx: ImportContext,
    opportunities: ir.Table,
    history: ir.Table | None,
    stages: ir.Table | None,
    *,
    file_name: str,
) -> ir.Table:
    """Return the stage_labels rows: every label seen, with sort order and flags."""
    parts = [
        opportunities.select(
            label=opportunities.stage_label,
            sort_order=opportunities.stage_sort,
            is_closed=ibis.null(dt.boolean),
            is_won=ibis.null(dt.boolean),
            source_id=ibis.null(dt.string),
            from_file=ibis.literal(False),
        )
    ]
    if history is not None:
        parts.append(
            history.select(
                label=history.stage_label,
                sort_order=history.sort_order,
                is_closed=ibis.null(dt.boolean),
                is_won=ibis.null(dt.boolean),
                source_id=ibis.null(dt.string),
                from_file=ibis.literal(False),
            )
        )
    if stages is not None:
        parts.append(
            stages.select(
                "label",
                "sort_order",
                "is_closed",
                "is_won",
                "source_id",
                from_file=ibis.literal(True),
            )
        )
    rows = ibis.union(*parts, distinct=False).filter(lambda t: t.label.notnull())
    grouped = rows.group_by("label").aggregate(
        file_sort=rows.sort_order.min(where=rows.from_file),
        seen_sort=rows.sort_order.min(),
        is_closed=rows.is_closed.max(),
        is_won=rows.is_won.max(),
        source_id=rows.source_id.max(),
    )
    return grouped.select(
        "label",
        pipeline=ibis.literal(""),
        sort_order=grouped.file_sort.coalesce(grouped.seen_sort),
        is_closed=grouped.is_closed,
        is_won=grouped.is_won,
        import_file=ibis.literal(file_name),
        source_id=grouped.source_id,
    )
