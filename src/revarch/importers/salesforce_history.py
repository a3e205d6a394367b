"""Parse OpportunityHistory into stage events, resolving each row's opportunity."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revarch.importers import parsing
from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
    digest,
)
from revarch.importers.salesforce_opportunities import Opportunities
from revarch.storage.store import ROW_COLUMN

OPPORTUNITY_ID = ("OpportunityId", "OppID", "Opportunity ID")
OPPORTUNITY_NAME = ("OpportunityName", "Opportunity Name", "Opportunity.Name")


def opportunity_lookup(ctx: ImportContext, opportunities: Opportunities) -> ir.Table:
    """Return (key, opportunity_id): every id, plus every name that is unique.

    An incremental (``--partial``) import also resolves references to the
    opportunities this source imported before.
    """
    known = opportunities.table.select("id", "name")
    if ctx.options.partial:
        stored = ctx.store.table("opportunities")
        stored = stored.filter(
            (stored.import_source == ctx.source) & ~stored.is_deleted
        ).select("id", "name")
        known = known.union(stored.anti_join(known, "id"), distinct=False)
    ids = known.select(key=known.id, opportunity_id=known.id)
    named = known.filter(known.name.notnull())
    unique = named.group_by("name").aggregate(
        opportunity_id=named.id.max(), copies=named.id.count()
    )
    names = unique.filter(unique.copies == 1).select(
        key=unique.name, opportunity_id=unique.opportunity_id
    )
    names = names.anti_join(ids, "key")
    return ctx.stage(ids.union(names, distinct=False))


def parse_history(ctx: ImportContext, file: SourceFile, lookup: ir.Table) -> ir.Table:
    """Parse the history file into stage_events rows; reject unknown opportunities.

    Rows whose opportunity is not in the export, or that lack a stage or a
    date, are counted as rejected and reported with examples.
    """
    columns = file.columns
    ref_header = columns.require("the opportunity", *OPPORTUNITY_ID, *OPPORTUNITY_NAME)
    stage_header = columns.require("the stage", "StageName", "Stage", "To Stage")
    date_header = columns.require(
        "the date", "CreatedDate", "Created Date", "Date", "Edit Date"
    )
    close_header = columns.find("CloseDate", "Close Date")
    parser = FileParser(ctx, file, [date_header, close_header])
    table = file.table
    mark = ctx.mark()
    parsed = parser.stage(
        reference=parsing.ref(table[ref_header]),
        stage_label=parsing.text(table[stage_header]),
        entered_at=parser.timestamp(date_header),
        amount=parser.number(columns.find("Amount")),
        close_date=parser.date(close_header),
        sort_order=parser.integer(columns.find("SortOrder", "StageSortOrder")),
        seq=(table[ROW_COLUMN] - 1).cast("int32"),
        history_id=file.ref("Id"),
        is_deleted=parser.boolean(columns.find("IsDeleted")).fill_null(False),
    )
    joined = parsed.left_join(lookup, parsed.reference == lookup.key).drop("key")
    joined = ctx.stage(joined)
    _reject(ctx, file, joined, ref_header, stage_header, date_header)
    accepted = joined.filter(
        joined.opportunity_id.notnull()
        & joined.stage_label.notnull()
        & joined.entered_at.notnull()
    )
    # Data exports give every row an Id, so they skip numbering the rows.
    without_id = ctx.count(accepted.filter(accepted.history_id.isnull()))
    rows = ctx.stage(_with_source_ids(accepted, file.name, digests=bool(without_id)))
    ctx.release_since(mark, keep=rows)
    ctx.release_file(file)
    return rows


def _with_source_ids(
    accepted: ir.Table, file_name: str, *, digests: bool = True
) -> ir.Table:
    """Key each row by its history Id, else by a digest of what it records.

    The digest covers the opportunity, time and label plus an ordinal among
    identical rows, so importing the same file twice yields the same keys.
    Without ``digests`` every row must have an Id.
    """
    if not digests:
        return _history_rows(accepted, file_name, accepted.history_id)
    ordinal = ibis.row_number().over(
        group_by=[accepted.opportunity_id, accepted.entered_at, accepted.stage_label],
        order_by=accepted._row,
    )
    derived = ibis.literal("h-").concat(
        digest(
            accepted.opportunity_id, accepted.entered_at, accepted.stage_label, ordinal
        )
    )
    return _history_rows(accepted, file_name, accepted.history_id.coalesce(derived))


def _history_rows(
    accepted: ir.Table, file_name: str, source_id: ir.StringValue
) -> ir.Table:
    """Select the stage_events columns (plus the file row)."""
    return accepted.select(
        "opportunity_id",
        "stage_label",
        "entered_at",
        "amount",
        "close_date",
        "sort_order",
        "seq",
        "is_deleted",
        "_row",
        import_file=ibis.literal(file_name),
        source_id=source_id,
    )


def _reject(
    ctx: ImportContext,
    file: SourceFile,
    joined: ir.Table,
    ref_header: str,
    stage_header: str,
    date_header: str,
) -> None:
    unknown, rows = ctx.sample(joined.filter(joined.opportunity_id.isnull()))
    ctx.add_finding(
        "history_unknown_opportunity",
        unknown,
        f"{file.name}: history rows whose {ref_header} is not an opportunity "
        "of the export were rejected",
        [f"row {r['_row']}: {r['reference']!r}" for r in rows],
    )
    incomplete, rows = ctx.sample(
        joined.filter(
            joined.opportunity_id.notnull()
            & (joined.stage_label.isnull() | joined.entered_at.isnull())
        )
    )
    ctx.add_finding(
        "history_incomplete",
        incomplete,
        f"{file.name}: history rows without a {stage_header} or {date_header} "
        "were rejected",
        [f"row {r['_row']}" for r in rows],
    )
    ctx.rejected += unknown + incomplete
