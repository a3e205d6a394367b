"""The current stage of each open opportunity on a date, and its days there."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from revarch.process.common import (
    Scope,
    clean_number,
    literal_instant,
    local_midnight_after,
)
from revarch.process.derived import SECONDS_PER_DAY, VISITS_TABLE


def reference_instant(scope: Scope) -> dt.datetime:
    """Return the end of the window's last day (UTC): the moment ages are taken."""
    return local_midnight_after(scope.window.end, scope.timezone)


def open_positions(scope: Scope) -> ir.Table:
    """Return the open opportunities at the window's end and their current stage.

    Columns: opportunity_id, stage_id, entered_at and days_in_stage (NULL
    when the age is unknown: an inferred visit, or no history at all).
    Opportunities created after the window's end are left out.
    """
    end = scope.window.end
    instant = literal_instant(reference_instant(scope))
    summary = scope.summary
    summary = summary.filter(
        summary.created_at.isnull() | (summary.created_at < instant),
        (summary.status == "open") | (summary.close_date > end),
    )
    visits = scope.workspace.store.table(VISITS_TABLE)
    visits = visits.filter(
        visits.opportunity_id.isin(summary.opportunity_id),
        visits.entered_at < instant,
        visits.exited_at.isnull() | (visits.exited_at >= instant),
    )
    seconds = (instant.epoch_seconds() - visits.entered_at.epoch_seconds()).cast(
        dtypes.float64
    )
    known = visits.select(
        "opportunity_id",
        "stage_id",
        entered_at=visits.is_inferred.ifelse(
            ibis.null(visits.entered_at.type()), visits.entered_at
        ),
        days_in_stage=visits.is_inferred.ifelse(
            ibis.null(dtypes.float64), seconds / SECONDS_PER_DAY
        ),
    )
    unknown = summary.filter(~summary.has_history, summary.status == "open")
    unknown = unknown.select(
        "opportunity_id",
        stage_id=unknown.current_stage_id,
        entered_at=ibis.null(visits.entered_at.type()),
        days_in_stage=ibis.null(dtypes.float64),
    )
    return known.union(unknown)


def history_p90(scope: Scope) -> dict[str, float]:
    """Return the p90 of completed visit days per stage over all in-scope history.

    The window does not narrow it: it is the fallback for stages without
    expected days.
    """
    visits = scope.workspace.store.table(VISITS_TABLE)
    visits = visits.filter(
        visits.opportunity_id.isin(scope.summary.opportunity_id), visits.days.notnull()
    )
    grouped = visits.group_by("stage_id").aggregate(p90=visits.days.quantile(0.9))
    found: dict[str, float] = {}
    for row in scope.rows(grouped):
        value = clean_number(row["p90"])
        if value is not None:
            found[str(row["stage_id"])] = value
    return found


def effective_expected_days(scope: Scope) -> dict[str, tuple[float | None, str]]:
    """Return per stage the expected days in force and where they come from.

    The source is ``setting`` for a value in the process definition,
    ``history_p90`` for the fallback, ``none`` when neither exists.
    """
    # The fallback scans the visits, so it runs only when a stage needs it.
    unset = any(stage.expected_days is None for stage in scope.process.stages)
    fallback = history_p90(scope) if unset else {}
    result: dict[str, tuple[float | None, str]] = {}
    for stage in scope.process.stages:
        if stage.expected_days is not None:
            result[stage.id] = (stage.expected_days, "setting")
        elif stage.id in fallback:
            result[stage.id] = (fallback[stage.id], "history_p90")
        else:
            result[stage.id] = (None, "none")
    return result
