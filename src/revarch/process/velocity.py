"""Days in stage: percentiles per stage, per-opportunity totals and current ages.

Only completed, non-inferred visits are timed: a visit still open, an
inferred visit and the visit that an inferred visit ends have no days.
Percentiles interpolate linearly between order statistics (DuckDB's
``quantile_cont``, numpy's default).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from revarch.process.common import DateInput, Scope, clean_number, open_scope
from revarch.process.snapshot import open_positions
from revarch.timeframe import Window

if TYPE_CHECKING:
    from revarch.workspace import Workspace

DIGITS = 3
# The columns of VelocityResult.opportunities and VelocityResult.open_ages.
OPPORTUNITY_COLUMNS = (
    "opportunity_id",
    "stage",
    "visits",
    "days_latest",
    "days_total",
)
OPEN_AGE_COLUMNS = ("opportunity_id", "stage", "days_in_stage")


@dataclass(frozen=True)
class StageVelocity:
    """Days in one stage over its completed visits."""

    stage: str
    label: str
    visits: int
    days_median: float | None
    days_p75: float | None
    days_p90: float | None
    expected_days: float | None


@dataclass(frozen=True)
class VelocityResult:
    """Days in stage of the opportunities created in the window.

    ``opportunities`` has per opportunity and stage the number of visits, the
    days of the latest visit (NULL while it is open or untimed) and the days
    of all completed visits. ``open_ages`` has the age of every open
    opportunity in its current stage at the window's end (NULL: unknown).
    """

    stages: list[StageVelocity]
    without_history: int
    outside_process: int
    window: Window
    opportunities: pd.DataFrame = field(repr=False)
    open_ages: pd.DataFrame = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(stage) for stage in self.stages])

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stages": [asdict(stage) for stage in self.stages],
            "without_history": self.without_history,
            "outside_process": self.outside_process,
            "window": self.window.to_dict(),
        }
        if detail:
            data["opportunities"] = _records(self.opportunities)
            data["open_ages"] = _records(self.open_ages)
        return data


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in records]


def stage_days(scope: Scope) -> dict[str, dict[str, Any]]:
    """Return per stage the count and percentiles of completed visit days."""
    visits = scope.visits()
    timed = visits.filter(visits.days.notnull())
    grouped = timed.group_by("stage_id").aggregate(
        visits=timed.count(),
        days_median=timed.days.quantile(0.5),
        days_p75=timed.days.quantile(0.75),
        days_p90=timed.days.quantile(0.9),
    )
    return {str(row["stage_id"]): row for row in scope.rows(grouped)}


def _stage_rows(scope: Scope) -> list[StageVelocity]:
    found = stage_days(scope)
    rows = []
    for stage in scope.process.stages:
        row = found.get(stage.id, {})
        rows.append(
            StageVelocity(
                stage=stage.id,
                label=stage.label,
                visits=int(row.get("visits") or 0),
                days_median=clean_number(row.get("days_median"), DIGITS),
                days_p75=clean_number(row.get("days_p75"), DIGITS),
                days_p90=clean_number(row.get("days_p90"), DIGITS),
                expected_days=stage.expected_days,
            )
        )
    return rows


def opportunity_days(scope: Scope) -> pd.DataFrame:
    """Return per opportunity and stage: visits, latest-visit days, total days."""
    visits = scope.visits().filter(lambda t: ~t.is_inferred)
    grouped = visits.group_by(["opportunity_id", "stage_id"]).aggregate(
        visits=visits.count(),
        days_latest=visits.days.argmax(visits.visit_number),
        days_total=visits.days.sum(),
    )
    frame = scope.workspace.store.fetch(
        grouped.order_by(["opportunity_id", "stage_id"])
    )
    return frame.rename(columns={"stage_id": "stage"})


def open_ages(scope: Scope) -> pd.DataFrame:
    """Return the age of every open opportunity in its current stage."""
    positions = open_positions(scope).order_by("opportunity_id")
    frame = scope.workspace.store.fetch(positions)
    frame = frame.rename(columns={"stage_id": "stage"})
    return frame[list(OPEN_AGE_COLUMNS)]


def compute_velocity(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
    detail: bool = True,
) -> VelocityResult:
    """Compute days in stage for the opportunities created in the window.

    ``detail=False`` skips the per-opportunity frames, so ``opportunities``
    and ``open_ages`` come back empty. At 1M opportunities those frames took
    about 2 s, against 0.4 s for the stage rows.
    """
    scope = open_scope(
        workspace,
        view="cohort",
        since=since,
        until=until,
        as_of=as_of,
        pipeline=pipeline,
    )
    if detail:
        opportunities, ages = opportunity_days(scope), open_ages(scope)
    else:
        opportunities = pd.DataFrame(columns=list(OPPORTUNITY_COLUMNS))
        ages = pd.DataFrame(columns=list(OPEN_AGE_COLUMNS))
    return VelocityResult(
        stages=_stage_rows(scope),
        without_history=scope.without_history(),
        outside_process=scope.outside_process,
        window=scope.window,
        opportunities=opportunities,
        open_ages=ages,
    )
