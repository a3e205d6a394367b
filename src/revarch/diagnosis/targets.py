"""Outcome metrics of the sprint functions: the current value and the target.

Each rule is in ``playbook.OUTCOMES``. When the data cannot give a current
value, it is None and the note says why. The target is then the fixed one,
where the rule has one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from revarch.diagnosis import evidence
from revarch.diagnosis.playbook import OUTCOMES
from revarch.diagnosis.signals import comp_plan_weights
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

ACTIVITY_DAYS = 28


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _at_least(current: float | None, target: float) -> float:
    """Return the target, or the current value when it is already higher."""
    return target if current is None else max(current, target)


def _win_rate(workspace: Workspace, outcomes: evidence.Outcomes) -> dict[str, Any]:
    current = outcomes.win_rate
    target = None if current is None else round(min(1.0, current + 0.05), 4)
    note = f"{outcomes.won} won, {outcomes.lost} lost"
    return {"current": current, "target": target, "note": note}


def _assessed(workspace: Workspace, as_of: dt.date) -> dict[str, Any]:
    sellers = evidence.list_active_sellers(workspace, evidence.trailing_span(as_of))
    coverage = evidence.compute_assessment_coverage(
        workspace, evidence.recent_span(as_of), sellers
    )
    return {
        "current": _ratio(len(coverage.assessed), len(sellers)),
        "target": 1.0,
        "note": f"{len(coverage.assessed)} of {len(sellers)} active sellers",
    }


def _forecast(workspace: Workspace) -> dict[str, Any]:
    tolerance = workspace.settings.thresholds.forecast_tolerance
    return {
        "current": None,
        "target": round(1 - tolerance, 4),
        "note": "no forecast accuracy in the workspace yet: record the managers' "
        "commit forecasts",
    }


def _history(workspace: Workspace, as_of: dt.date) -> dict[str, Any]:
    span = evidence.trailing_span(as_of)
    with_history, total = evidence.compute_history_coverage(workspace, span)
    current = _ratio(with_history, total)
    return {
        "current": current,
        "target": _at_least(current, 0.95),
        "note": f"{with_history} of {total} opportunities created "
        f"{span.since.isoformat()} to {span.until.isoformat()}",
    }


def _cycle(outcomes: evidence.Outcomes) -> dict[str, Any]:
    current = outcomes.cycle_days_median
    return {
        "current": current,
        "target": None if current is None else round(current * 0.85, 1),
        "note": f"{outcomes.won} opportunities won",
    }


def _activity(workspace: Workspace, as_of: dt.date) -> dict[str, Any]:
    sellers = evidence.list_active_sellers(workspace, evidence.trailing_span(as_of))
    logging_sellers = evidence.list_activity_sellers(
        workspace, evidence.recent_span(as_of, ACTIVITY_DAYS)
    )
    logged = len(set(sellers) & logging_sellers)
    return {
        "current": _ratio(logged, len(sellers)),
        "target": 1.0,
        "note": f"{logged} of {len(sellers)} active sellers",
    }


def _margin_weight(workspace: Workspace) -> dict[str, Any]:
    weights = comp_plan_weights(workspace)
    if weights is None:
        return {
            "current": None,
            "target": 0.30,
            "note": "no compensation plan with weights in the settings",
        }
    margin = sum(value for key, value in weights.items() if "margin" in key)
    return {
        "current": margin,
        "target": _at_least(margin, 0.30),
        "note": "weights of the comp plan",
    }


def compute_outcome(
    workspace: Workspace,
    function: int,
    as_of: dt.date,
    outcomes: evidence.Outcomes,
) -> dict[str, Any] | None:
    """Return the outcome metric of one function, or None if it has none."""
    spec = OUTCOMES.get(function)
    if spec is None:
        return None
    if function == 1:
        found = _win_rate(workspace, outcomes)
    elif function == 3:
        found = _assessed(workspace, as_of)
    elif function == 4:
        found = _forecast(workspace)
    elif function == 6:
        found = _history(workspace, as_of)
    elif function == 7:
        found = _cycle(outcomes)
    elif function == 9:
        found = _activity(workspace, as_of)
    else:
        found = _margin_weight(workspace)
    return {
        "metric": spec.key,
        "label": spec.label,
        "unit": spec.unit,
        "target_rule": spec.target_rule,
        **found,
    }
