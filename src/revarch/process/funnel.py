"""The stage funnel: how many opportunities reached, passed and lost each stage.

For stage S, with each opportunity's furthest stage (won is past every
stage): ``advanced`` went beyond S, ``lost`` was lost with S furthest,
``open`` is open with S furthest, ``reached = advanced + lost + open``,
``conversion = advanced / (advanced + lost)`` and ``cumulative_conversion =
reached(S) / reached(first stage)``. Opportunities without history are left
out and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from revarch.process.common import DateInput, Scope, open_scope, ratio
from revarch.timeframe import Window

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the funnel."""

    stage: str
    label: str
    reached: int
    advanced: int
    lost: int
    open: int
    conversion: float | None
    cumulative_conversion: float | None
    expected_conversion: float | None


@dataclass(frozen=True)
class FunnelResult:
    """The funnel of the opportunities created in the window."""

    stages: list[FunnelStage]
    won: int
    lost: int
    open: int
    without_history: int
    outside_process: int
    window: Window

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(stage) for stage in self.stages])

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": [asdict(stage) for stage in self.stages],
            "won": self.won,
            "lost": self.lost,
            "open": self.open,
            "without_history": self.without_history,
            "outside_process": self.outside_process,
            "window": self.window.to_dict(),
        }


@dataclass(frozen=True)
class FunnelCounts:
    """The counts a funnel is made of, from one grouped query.

    ``outcomes`` counts the in-process opportunities with history by
    (status, furthest stage index).
    """

    outcomes: Counter[tuple[str, int]]
    without_history: int
    outside_process: int


def funnel_counts(scope: Scope) -> FunnelCounts:
    """Count the scope's opportunities by process coverage, history and outcome."""
    table = scope.chosen
    keys = ["in_process", "has_history", "status", "furthest_stage_index"]
    grouped = table.group_by(keys).aggregate(n=table.count())
    outcomes: Counter[tuple[str, int]] = Counter()
    without_history = outside = 0
    for row in scope.rows(grouped):
        n = int(row["n"])
        if not row["in_process"]:
            outside += n
        elif not row["has_history"]:
            without_history += n
        else:
            key = (str(row["status"]), int(row["furthest_stage_index"]))
            outcomes[key] += n
    return FunnelCounts(outcomes, without_history, outside)


def outcome_counts(scope: Scope) -> Counter[tuple[str, int]]:
    """Count the opportunities with history by (status, furthest stage index)."""
    return funnel_counts(scope).outcomes


def funnel_stages(scope: Scope, counts: Counter[tuple[str, int]]) -> list[FunnelStage]:
    """Compute each stage's row from the (status, furthest stage) counts."""
    rows: list[FunnelStage] = []
    first_reached = 0
    for stage in scope.process.stages:
        i = stage.index
        advanced = sum(n for (_, furthest), n in counts.items() if furthest > i)
        lost = counts[("lost", i)]
        still_open = sum(
            n
            for (status, furthest), n in counts.items()
            if furthest == i and status not in ("won", "lost")
        )
        reached = advanced + lost + still_open
        if i == 0:
            first_reached = reached
        rows.append(
            FunnelStage(
                stage=stage.id,
                label=stage.label,
                reached=reached,
                advanced=advanced,
                lost=lost,
                open=still_open,
                conversion=ratio(advanced, advanced + lost),
                cumulative_conversion=ratio(reached, first_reached),
                expected_conversion=stage.expected_conversion,
            )
        )
    return rows


def compute_funnel(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
) -> FunnelResult:
    """Compute the funnel of the opportunities created in ``since``-``until``."""
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
    )
    found = funnel_counts(scope)
    counts = found.outcomes
    by_status: Counter[str] = Counter()
    for (status, _), n in counts.items():
        by_status[status] += n
    return FunnelResult(
        stages=funnel_stages(scope, counts),
        won=by_status["won"],
        lost=by_status["lost"],
        open=sum(n for status, n in by_status.items() if status not in ("won", "lost")),
        without_history=found.without_history,
        outside_process=found.outside_process,
        window=scope.window,
    )
