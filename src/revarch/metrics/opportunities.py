"""One row per opportunity, ready for outcome metrics.

Adds to the derived ``opportunity_summary``: amounts in the base currency
and the seller, manager, team and region each opportunity is grouped under.
The rows are built with the other derived tables and stored as
``opportunity_outcomes``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import ibis.expr.types as ir

from revarch.money import check_rates

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

SUMMARY = "opportunity_summary"


def read_summary(workspace: Workspace) -> ir.Table:
    """Rebuild the derived tables when stale and return the summary."""
    from revarch.process.derived import ensure_derived

    ensure_derived(workspace)
    return workspace.store.table(SUMMARY)


def _sellers(workspace: Workspace) -> ir.Table:
    """Return id, name, manager, manager name, team and region per seller."""
    sellers = workspace.store.table("sellers")
    sellers = sellers.filter(~sellers.is_deleted)
    people = sellers.select(_person_id=sellers.id, _person_name=sellers.name.nullif(""))
    joined = sellers.left_join(people, sellers.manager_id == people._person_id)
    return joined.select(
        _seller_id=joined.id,
        seller_name=joined.name.nullif("").coalesce(joined.id),
        manager=joined.manager_id.nullif(""),
        manager_name=joined._person_name.coalesce(joined.manager_id.nullif("")),
        team=joined.team.nullif(""),
        _seller_region=joined.region.nullif(""),
    )


def build_outcome_rows(workspace: Workspace, summary: ir.Table) -> ir.Table:
    """Return the summary with base amounts and the seller's groups.

    ``summary`` is the stored ``opportunity_summary``, which carries each
    amount's exchange rate. An amount whose rate is missing stays null here.
    """
    converted = summary.mutate(
        amount_base=summary.amount.cast("float64") * summary.fx_rate,
        last_amount_base=summary.last_amount.cast("float64") * summary.fx_rate,
    )
    sellers = _sellers(workspace)
    joined = converted.left_join(sellers, converted.seller_id == sellers._seller_id)
    return joined.select(
        "opportunity_id",
        "status",
        "created_date",
        "close_date",
        "amount_base",
        "last_amount_base",
        "cycle_days",
        "negative_cycle",
        seller=joined.seller_id,
        seller_name=joined.seller_name.coalesce(joined.seller_id),
        manager=joined.manager,
        manager_name=joined.manager_name,
        team=joined.team,
        region=joined.region.nullif("").coalesce(joined._seller_region),
        pipeline=joined.pipeline.nullif(""),
        type=joined.type.nullif(""),
        source=joined.lead_source.nullif(""),
        product=joined.product.nullif(""),
    )


def outcome_rows(workspace: Workspace) -> ir.Table:
    """Return the stored outcome rows: base amounts, local creation date, groups.

    Raises ``InputError`` when an amount's currency has no rate in effect.
    """
    from revarch.process.derived import OUTCOMES_TABLE, derived_key

    summary = read_summary(workspace)
    check_rates(
        workspace,
        summary,
        amounts=["amount", "last_amount"],
        label="opportunity_id",
        cache_key=f"outcomes:{derived_key(workspace)}",
    )
    return workspace.store.table(OUTCOMES_TABLE)


def last_opportunity_day(workspace: Workspace) -> dt.date | None:
    """Return the latest day an opportunity was created, won or lost, if any.

    The close date of an open opportunity is a plan, not an event, so it
    does not count.
    """
    rows = outcome_rows(workspace)
    closed = rows.status.isin(["won", "lost"])
    latest = rows.aggregate(
        created=rows.created_date.max(),
        closed=rows.close_date.max(where=closed),
    )
    (found,) = workspace.store.rows(latest)
    days = [day for day in found.values() if day is not None]
    return max(days) if days else None
