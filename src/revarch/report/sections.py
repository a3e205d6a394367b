"""The weekly report's talent and diagnosis sections.

Each function returns the section's part of the report dictionary, with an
``empty_reason`` that the page shows instead of an empty chart.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from revarch.errors import InputError
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

HEATMAP_EACH_END = 12


def _heatmap(report: Any) -> list[dict[str, Any]]:
    """Return one cell per ranked seller and skill, sellers best first."""
    team = report.team
    skills = [gap.name for gap in report.gaps]
    ranked = list(team.ranked)
    if len(ranked) > 2 * HEATMAP_EACH_END:
        # One printable page fits the top and the bottom of a large team.
        ranked = ranked[:HEATMAP_EACH_END] + ranked[-HEATMAP_EACH_END:]
    cells = []
    for seller_order, member in enumerate(ranked):
        scores = team.scores.get(member.seller, {})
        name = team.names.get(member.seller) or member.seller
        for skill_order, skill in enumerate(skills):
            if skill in scores:
                cells.append(
                    {
                        "seller": member.seller,
                        "seller_name": name,
                        "seller_order": seller_order,
                        "skill": skill,
                        "skill_order": skill_order,
                        "score": scores[skill],
                    }
                )
    return cells


def _candidates(
    workspace: Workspace, as_of: dt.date, quarter_start: dt.date
) -> list[dict[str, Any]]:
    """Return the candidates screened this quarter: new or changed since it began."""
    from revarch.talent import screen_candidates

    now = screen_candidates(workspace, None, as_of=as_of).to_dict()["candidates"]
    before_day = quarter_start - dt.timedelta(days=1)
    try:
        before = screen_candidates(workspace, None, as_of=before_day).to_dict()
    except InputError:
        return now
    earlier = {c["candidate"]: c["skills"] for c in before["candidates"]}
    return [c for c in now if earlier.get(c["candidate"]) != c["skills"]]


def _empty_talent(reason: str) -> dict[str, Any]:
    return {
        "empty_reason": reason,
        "ranked_count": 0,
        "skills": [],
        "heatmap": [],
        "candidates": [],
        "seller_plan": None,
        "notes": [],
    }


def talent_section(
    workspace: Workspace,
    *,
    as_of: dt.date,
    quarter_start: dt.date,
    seller: str | None,
) -> dict[str, Any]:
    """Return skill gaps, the score heatmap, candidates and the seller's plan."""
    from revarch.talent import compute_gaps, seller_profile

    if workspace.store.count("assessments") == 0:
        return _empty_talent(
            "No skill assessments imported (revarch import assessments FILE)."
        )
    try:
        report = compute_gaps(workspace, as_of=as_of)
    except InputError as exc:
        return _empty_talent(str(exc))
    data = report.to_dict()
    plan = None
    if seller is not None:
        try:
            plan = seller_profile(workspace, seller, as_of=as_of).to_dict()
        except InputError as exc:
            plan = {"error": str(exc)}
    return {
        "empty_reason": None,
        "ranked_count": data["ranked_count"],
        "skills": data["skills"],
        "heatmap": _heatmap(report),
        "candidates": _candidates(workspace, as_of, quarter_start),
        "seller_plan": plan,
        "notes": data["notes"],
    }


def diagnosis_section(workspace: Workspace, *, as_of: dt.date) -> dict[str, Any]:
    """Return the 11-function scorecard, the current sprint and guardrail warnings."""
    from revarch.diagnosis import build_scorecard, get_current_sprint

    scorecard = build_scorecard(workspace, as_of=as_of).to_dict()
    functions = [
        {
            "function": f["function"],
            "name": f["name"],
            "pillar": f["pillar"],
            "tier": f["tier"],
            "maturity": f["maturity"],
            "below_threshold": f["below_threshold"],
        }
        for f in scorecard["functions"]
    ]
    warnings = [g for g in scorecard["guardrails"] if g["status"] == "warning"]
    answered = any(f["maturity"] is not None for f in functions)
    return {
        "empty_reason": None
        if answered
        else ("No diagnosis yet: run revarch diagnose to score the 11 functions."),
        "threshold": scorecard["maturity_threshold"],
        "pillars": ["Strategy", "People", "Process", "Performance"],
        "functions": functions,
        "sprint": get_current_sprint(workspace, as_of),
        "guardrails": warnings,
    }
