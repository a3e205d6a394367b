"""Weekly trend: stage conversion per ISO week of entering the stage.

The cohort of stage S in week W is the opportunities whose first recorded
visit to S started in W, with weeks cut in the workspace timezone. Inferred
visits have no real entry date, so they are left out. Their outcome at S is
taken from the furthest stage as in the funnel. The window (``--since``,
``--until``) selects entry dates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
import pandas as pd

from revarch.process.common import DateInput, Scope, open_scope, ratio
from revarch.timeframe import Window, local_date, period_key, within_local_days

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class WeekStage:
    """The cohort that entered one stage in one ISO week, and how it fared."""

    week: str
    stage: str
    entered: int
    advanced: int
    lost: int
    open: int
    conversion: float | None


@dataclass(frozen=True)
class TrendResult:
    """Stage conversion per week of entry."""

    weeks: list[WeekStage]
    without_history: int
    outside_process: int
    window: Window

    @property
    def table(self) -> pd.DataFrame:
        columns = list(WeekStage.__dataclass_fields__)
        return pd.DataFrame([asdict(row) for row in self.weeks], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weeks": [asdict(row) for row in self.weeks],
            "without_history": self.without_history,
            "outside_process": self.outside_process,
            "window": self.window.to_dict(),
        }


def compute_trend(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
) -> TrendResult:
    """Compute each stage's conversion per ISO week of entry."""
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
        cohort=False,
    )
    rows = scope.rows(_week_counts(scope).order_by(["week", "stage_index"]))
    weeks = [
        WeekStage(
            week=str(row["week"]),
            stage=str(row["stage_id"]),
            entered=int(row["entered"]),
            advanced=int(row["advanced"]),
            lost=int(row["lost"]),
            open=int(row["entered"]) - int(row["advanced"]) - int(row["lost"]),
            conversion=ratio(int(row["advanced"]), row["advanced"] + row["lost"]),
        )
        for row in rows
    ]
    return TrendResult(
        weeks=weeks,
        without_history=scope.without_history(),
        outside_process=scope.outside_process,
        window=scope.window,
    )


def _week_counts(scope: Scope) -> ir.Table:
    """Count per week and stage the cohort that entered it, advanced and lost."""
    visits = scope.visits().filter(lambda t: ~t.is_inferred)
    first = visits.group_by(["opportunity_id", "stage_id", "stage_index"]).aggregate(
        entered_at=visits.entered_at.min()
    )
    window = scope.window
    first = first.filter(
        within_local_days(
            first.entered_at, scope.timezone, since=window.since, until=window.end
        )
    )
    entered = local_date(first.entered_at, scope.timezone)
    first = first.mutate(week=period_key(entered, "week"))
    summary = scope.with_history.select(
        "opportunity_id", "status", "furthest_stage_index"
    )
    cohort = first.inner_join(summary, "opportunity_id")
    advanced = cohort.furthest_stage_index > cohort.stage_index
    lost = ~advanced & (cohort.status == "lost")
    grouped = cohort.group_by(["week", "stage_id", "stage_index"]).aggregate(
        entered=cohort.count(),
        advanced=advanced.sum(),
        lost=lost.sum(),
    )
    return grouped
