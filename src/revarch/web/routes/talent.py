"""Talent: skill gaps with their intervals, the score heatmap, candidates screened."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from revarch.web.auth import require_role, state_of
from revarch.web.render import twin
from revarch.web.routes.common import attempt, visible_sellers
from revarch.workspace import Workspace

router = APIRouter(tags=["talent"])


def heatmap(progress: dict[str, Any]) -> dict[str, Any]:
    """Lay out each seller's latest score per skill as heatmap rows."""
    skills: set[str] = set()
    rows = []
    for seller in progress.get("sellers", []):
        latest = {}
        for skill, history in seller["skills"].items():
            scores = [v for v in history["scores"].values() if v is not None]
            if scores:
                latest[skill] = scores[-1]
                skills.add(skill)
        rows.append(
            {
                "seller": seller["seller"],
                "seller_name": seller["seller_name"],
                "scores": latest,
            }
        )
    tier1 = [s for s in progress.get("tier1_skills", []) if s in skills]
    ordered = tier1 + sorted(skills - set(tier1))
    return {"skills": ordered, "rows": rows}


def _talent(workspace: Workspace) -> dict[str, Any]:
    from revarch.talent import compute_gaps, compute_progress, screen_candidates

    progress = attempt(compute_progress, workspace)
    return {
        "gaps": attempt(compute_gaps, workspace),
        "screening": attempt(screen_candidates, workspace, None),
        "heatmap": heatmap(progress) if "error" not in progress else progress,
        "periods": progress.get("periods", []),
    }


@twin(
    router,
    "/talent",
    "talent.html.j2",
    summary="Skill gaps with intervals, the score heatmap and candidates screened",
)
def talent(request: Request) -> dict[str, Any]:
    """Show the team's skill gaps, each seller's latest scores and the candidates."""
    user = require_role(request, "admin", "manager")
    data = state_of(request).cached(("talent",), _talent)
    allowed = visible_sellers(request, user)
    if allowed is None or "error" in data["heatmap"]:
        return data
    rows = [r for r in data["heatmap"]["rows"] if r["seller"] in allowed]
    return {**data, "heatmap": {**data["heatmap"], "rows": rows}}
