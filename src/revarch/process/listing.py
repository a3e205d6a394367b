"""The opportunities behind one number of the funnel.

``list_funnel_opportunities`` returns the opportunities that a stage's
``reached``, ``advanced``, ``lost`` or ``open`` count counts, chosen by the
same rule as the funnel (its furthest stage and status), so the list is as
long as the number it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.money import amount_date, convert_to_base
from revarch.process.common import (
    DateInput,
    display_name,
    open_scope,
    with_seller_names,
)
from revarch.timeframe import Window

if TYPE_CHECKING:
    from revarch.workspace import Workspace

FunnelGroup = Literal["reached", "advanced", "lost", "open"]
GROUPS: tuple[FunnelGroup, ...] = ("reached", "advanced", "lost", "open")


@dataclass(frozen=True)
class FunnelOpportunities:
    """The opportunities one funnel count is made of."""

    stage: str
    label: str
    group: FunnelGroup
    rows: list[dict[str, Any]]
    window: Window

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "label": self.label,
            "group": self.group,
            "count": len(self.rows),
            "opportunities": self.rows,
            "window": self.window.to_dict(),
        }


def _in_group(table: ir.Table, index: int, group: FunnelGroup) -> ir.BooleanValue:
    """Return the funnel's rule for ``group`` at the stage numbered ``index``."""
    furthest = table.furthest_stage_index
    closed = table.status.isin(["won", "lost"])
    advanced = furthest > index
    lost = (table.status == "lost") & (furthest == index)
    still_open = (furthest == index) & ~closed
    rules = {
        "advanced": advanced,
        "lost": lost,
        "open": still_open,
        "reached": advanced | lost | still_open,
    }
    return rules[group]


def list_funnel_opportunities(
    workspace: Workspace,
    *,
    stage: str,
    group: FunnelGroup = "reached",
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
) -> FunnelOpportunities:
    """List the opportunities behind one stage's funnel count, largest first.

    Takes the same window options as ``compute_funnel``. Raises
    ``InputError`` for an unknown stage id or group.
    """
    if group not in GROUPS:
        raise InputError(f"invalid group {group!r}: use one of {', '.join(GROUPS)}")
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
    )
    found = {s.id: s for s in scope.process.stages}
    if stage not in found:
        raise InputError(
            f"stage {stage!r} not found: the process stages are "
            f"{', '.join(found) or 'none'}"
        )
    chosen = found[stage]
    table = scope.with_history
    table = table.filter(_in_group(table, chosen.index, group))
    table = table.mutate(fx_date=amount_date(table, scope.timezone))
    table = convert_to_base(
        workspace, table, amounts=["amount"], label="opportunity_id"
    )
    table = with_seller_names(workspace, table)
    labels = {s.index: s.id for s in scope.process.stages}
    selected = table.select(
        id=table.opportunity_id,
        name=display_name(table),
        seller=table.seller_id,
        seller_name=table.seller_name,
        status=table.status,
        furthest_stage_index=table.furthest_stage_index,
        created_at=table.created_at,
        close_date=table.close_date,
        amount=table.amount_base,
    ).order_by("id")
    rows = workspace.store.rows(selected)
    for row in rows:
        index = row.pop("furthest_stage_index")
        row["furthest_stage"] = "won" if row["status"] == "won" else labels.get(index)
        row["created_at"] = _iso(row["created_at"])
        row["close_date"] = _iso(row["close_date"])
    rows.sort(key=lambda r: (-(r["amount"] or 0.0), r["id"]))
    return FunnelOpportunities(
        stage=stage, label=chosen.label, group=group, rows=rows, window=scope.window
    )


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
