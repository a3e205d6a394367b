"""The opportunities behind one number of the funnel or of the transitions.

``list_funnel_opportunities`` applies the funnel's own rule (furthest stage
and status) to return the opportunities behind a stage's ``reached``,
``advanced``, ``lost`` or ``open`` count. ``list_transition_moves`` returns
the moves behind one transition count. Each list is as long as its count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.money import convert_with_stored_rate
from revarch.process.common import (
    DateInput,
    display_name,
    open_scope,
    with_seller_names,
)
from revarch.process.stages import LOST, WON
from revarch.process.transitions import counted_moves
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
    table = convert_with_stored_rate(
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


@dataclass(frozen=True)
class TransitionMoves:
    """The stage visits one transition count is made of."""

    from_stage: str
    to_stage: str
    rows: list[dict[str, Any]]
    window: Window

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_stage,
            "to": self.to_stage,
            "count": len(self.rows),
            "moves": self.rows,
            "window": self.window.to_dict(),
        }


def list_transition_moves(
    workspace: Workspace,
    *,
    from_stage: str,
    to_stage: str,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
) -> TransitionMoves:
    """List the moves behind one ``compute_transitions`` count, latest first.

    ``to_stage`` may be ``won`` or ``lost``. One opportunity appears once per
    move, so an opportunity that went back and forth appears twice. Raises
    ``InputError`` for a stage id the process does not have.
    """
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
    )
    stages = [s.id for s in scope.process.stages]
    for name, value, allowed in (
        ("from", from_stage, stages),
        ("to", to_stage, [*stages, WON, LOST]),
    ):
        if value not in allowed:
            raise InputError(
                f"{name} stage {value!r} not found: use one of {', '.join(allowed)}"
            )
    moves = counted_moves(scope)
    moves = moves.filter(moves.stage_id == from_stage, moves.next_stage_id == to_stage)
    summary = scope.with_history.select(
        "opportunity_id", "name", "account", "product", "seller_id"
    )
    table = moves.inner_join(summary, "opportunity_id")
    table = with_seller_names(workspace, table)
    selected = table.select(
        id=table.opportunity_id,
        name=display_name(table),
        seller=table.seller_id,
        seller_name=table.seller_name,
        entered_at=table.entered_at,
        exited_at=table.exited_at,
        days=table.days,
    ).order_by("id", "entered_at")
    rows = workspace.store.rows(selected)
    for row in rows:
        row["entered_at"] = _iso(row["entered_at"])
        row["exited_at"] = _iso(row["exited_at"])
    rows.sort(key=lambda r: (r["exited_at"] or "", r["id"]), reverse=True)
    return TransitionMoves(from_stage, to_stage, rows, scope.window)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
