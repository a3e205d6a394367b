"""Stage transitions: counts of every move from one visit to the next.

A move goes from a stage to the next visit's stage, or to won or lost when
the opportunity closed from that stage. Moves into an inferred visit (the
record's current stage where the history ends elsewhere) are not counted. A
backward move returns to an earlier stage; a skip jumps over at least one
stage. Moves to won or lost are neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
import pandas as pd

from revarch.process.common import DateInput, Scope, open_scope
from revarch.process.stages import LOST, WON
from revarch.timeframe import Window

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class Transition:
    """How often opportunities moved from one stage to another."""

    from_stage: str
    to_stage: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.from_stage, "to": self.to_stage, "count": self.count}


@dataclass(frozen=True)
class TransitionsResult:
    """Every from-to pair of consecutive visits, with backward moves and skips."""

    transitions: list[Transition]
    backward_moves: int
    skips: int
    without_history: int
    outside_process: int
    window: Window

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [t.to_dict() for t in self.transitions], columns=["from", "to", "count"]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "transitions": [t.to_dict() for t in self.transitions],
            "backward_moves": self.backward_moves,
            "skips": self.skips,
            "without_history": self.without_history,
            "outside_process": self.outside_process,
            "window": self.window.to_dict(),
        }


def counted_moves(scope: Scope) -> ir.Table:
    """Return the visits that end in a counted move: recorded, not inferred."""
    visits = scope.visits()
    return visits.filter(
        visits.next_stage_id.notnull(), ~visits.is_inferred, ~visits.exit_inferred
    )


def compute_transitions(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
) -> TransitionsResult:
    """Count the stage moves of the opportunities created in the window."""
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
    )
    moves = counted_moves(scope)
    grouped = moves.group_by(
        from_stage=moves.stage_id, to_stage=moves.next_stage_id
    ).aggregate(count=moves.count())
    order = {stage.id: stage.index for stage in scope.process.stages}
    order[WON] = len(order)
    order[LOST] = len(order)
    transitions = [
        Transition(str(row["from_stage"]), str(row["to_stage"]), int(row["count"]))
        for row in scope.rows(grouped)
    ]
    transitions.sort(key=lambda t: (order[t.from_stage], order[t.to_stage]))
    backward = skips = 0
    for move in transitions:
        if move.to_stage in (WON, LOST):
            continue
        step = order[move.to_stage] - order[move.from_stage]
        backward += move.count if step < 0 else 0
        skips += move.count if step > 1 else 0
    return TransitionsResult(
        transitions=transitions,
        backward_moves=backward,
        skips=skips,
        without_history=scope.without_history(),
        outside_process=scope.outside_process,
        window=scope.window,
    )
