"""The diagnosis: scorecard, roadmap with the current sprint, and the audit."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from revarch.web.auth import check_csrf, require_role, state_of
from revarch.web.render import twin
from revarch.web.routes.common import attempt
from revarch.workspace import Workspace

router = APIRouter(tags=["diagnosis"])

PeriodQuery = Annotated[
    str | None,
    Query(
        description="Fiscal quarter such as 2025-Q2 (default: the quarter of the "
        "as-of date).",
        max_length=40,
    ),
]


@twin(
    router,
    "/diagnosis",
    "scorecard.html.j2",
    summary="The diagnosis scorecard of the 11 functions",
)
def scorecard(request: Request) -> dict[str, Any]:
    """Score each function from the stored answers and the data signals."""
    from revarch.diagnosis import build_scorecard

    require_role(request, "admin", "manager")
    return state_of(request).cached(
        ("scorecard",), lambda ws: build_scorecard(ws).to_dict()
    )


def _roadmap(workspace: Workspace) -> dict[str, Any]:
    from revarch.diagnosis import (
        build_roadmap,
        get_current_sprint,
        load_latest_roadmap,
    )
    from revarch.timeframe import resolve_as_of

    as_of = resolve_as_of(workspace)
    return {
        "as_of": as_of,
        "saved": load_latest_roadmap(workspace),
        "current_sprint": get_current_sprint(workspace, as_of),
        "proposal": attempt(build_roadmap, workspace, save=False),
    }


@twin(
    router,
    "/diagnosis/roadmap",
    "roadmap.html.j2",
    summary="The saved 90-day roadmap, its current sprint and today's proposal",
)
def roadmap(request: Request) -> dict[str, Any]:
    """Show the latest saved roadmap with the sprint holding the as-of date."""
    require_role(request, "admin", "manager")
    return state_of(request).cached(("roadmap",), _roadmap)


@router.post("/diagnosis/roadmap", include_in_schema=False)
async def save_roadmap(
    request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Plan the roadmap from the current scorecard and save it."""
    from revarch.diagnosis import build_roadmap

    require_role(request, "admin")
    check_csrf(request, csrf_token)
    state = state_of(request)

    def plan() -> None:
        with state.use() as workspace:
            build_roadmap(workspace, save=True)
        state.wrote()

    await run_in_threadpool(plan)
    return RedirectResponse("/diagnosis/roadmap", status_code=303)


@twin(
    router,
    "/diagnosis/audits",
    "audit.html.j2",
    summary="The quarterly alignment audit: four links and the next function",
)
def audit(request: Request, period: PeriodQuery = None) -> dict[str, Any]:
    """Run the alignment audit for a quarter without storing it."""
    from revarch.diagnosis import run_audit

    require_role(request, "admin", "manager")
    return state_of(request).cached(
        ("audit", period),
        lambda ws: run_audit(ws, period=period, save=False).to_dict(),
    )


@router.post("/diagnosis/audits", include_in_schema=False)
async def record_audit(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    period: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Store the audit of a quarter so later quarters are compared with it."""
    from revarch.diagnosis import run_audit

    require_role(request, "admin")
    check_csrf(request, csrf_token)
    state = state_of(request)

    def store() -> None:
        with state.use() as workspace:
            run_audit(workspace, period=period or None, save=True)
        state.wrote()

    await run_in_threadpool(store)
    suffix = f"?period={quote(period)}" if period else ""
    return RedirectResponse(f"/diagnosis/audits{suffix}", status_code=303)
