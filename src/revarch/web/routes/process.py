"""The sales process: funnel, days in stage, transitions, stalls, and drill-downs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from revarch.web.auth import require_role, state_of
from revarch.web.render import twin
from revarch.web.routes.common import DateQuery, PipelineQuery, visible_sellers
from revarch.workspace import Workspace

router = APIRouter(tags=["process"])

# NOTE: the visits and open lists carry no seller, so they are not narrowed
# to a manager's team; the funnel and stalled lists are.
Measure = Literal[
    "reached", "advanced", "lost", "still_open", "moves", "visits", "open", "stalled"
]
FUNNEL_GROUPS = {
    "reached": "reached",
    "advanced": "advanced",
    "lost": "lost",
    "still_open": "open",
}
MEASURES: dict[str, str] = {
    "reached": "opportunities created in the window that reached the stage",
    "advanced": "opportunities that went past the stage (won counts as past "
    "every stage)",
    "lost": "opportunities lost with the stage as their furthest",
    "still_open": "open opportunities with the stage as their furthest",
    "moves": "moves from the stage to the stage named by `to`, one row per move",
    "visits": "opportunities with a recorded visit to the stage, with their days "
    "(the days-in-stage figures time the completed visits)",
    "open": "open opportunities now in the stage, with their age",
    "stalled": "open opportunities in the stage longer than expected",
}


def _analyses(
    workspace: Workspace, since: str | None, until: str | None, pipeline: str | None
) -> dict[str, Any]:
    from revarch.process import (
        compute_funnel,
        compute_stalls,
        compute_transitions,
        compute_velocity,
    )

    options = {"since": since, "until": until, "pipeline": pipeline}
    velocity = compute_velocity(workspace, since=since, until=until, pipeline=pipeline)
    return {
        "funnel": compute_funnel(workspace, **options).to_dict(),
        "velocity": velocity.to_dict(detail=True),
        "transitions": compute_transitions(workspace, **options).to_dict(),
        "stalls": compute_stalls(workspace, **options).to_dict(),
    }


def _cached(
    request: Request, since: str | None, until: str | None, pipeline: str | None
) -> dict[str, Any]:
    key = ("process", since, until, pipeline)
    return state_of(request).cached(
        key, lambda ws: _analyses(ws, since, until, pipeline)
    )


def _funnel_rows(
    request: Request,
    stage: str,
    measure: str,
    since: str | None,
    until: str | None,
    pipeline: str | None,
) -> list[dict[str, Any]]:
    from revarch.process import list_funnel_opportunities

    group = FUNNEL_GROUPS[measure]
    key = ("funnel-listing", stage, group, since, until, pipeline)
    listed = state_of(request).cached(
        key,
        lambda ws: list_funnel_opportunities(
            ws,
            stage=stage,
            group=group,  # type: ignore[arg-type]
            since=since,
            until=until,
            pipeline=pipeline,
        ).to_dict(),
    )
    return list(listed["opportunities"])


def _move_rows(
    request: Request,
    stage: str,
    to: str | None,
    labels: dict[str, str],
    since: str | None,
    until: str | None,
    pipeline: str | None,
) -> list[dict[str, Any]]:
    from revarch.process import list_transition_moves

    allowed = [*labels, "won", "lost"]
    if to not in allowed:
        raise HTTPException(
            status_code=400,
            detail=f"invalid to {to!r}: measure=moves needs the stage moved to, "
            f"one of {', '.join(allowed)}",
        )
    key = ("transition-listing", stage, to, since, until, pipeline)
    listed = state_of(request).cached(
        key,
        lambda ws: list_transition_moves(
            ws,
            from_stage=stage,
            to_stage=to,
            since=since,
            until=until,
            pipeline=pipeline,
        ).to_dict(),
    )
    return list(listed["moves"])


def _own(rows: list[dict[str, Any]], allowed: set[str] | None) -> list[dict[str, Any]]:
    return [row for row in rows if allowed is None or row.get("seller") in allowed]


@twin(
    router,
    "/process",
    "process.html.j2",
    summary="Funnel, days in stage, transitions and stalled opportunities",
)
def process_page(
    request: Request,
    since: DateQuery = None,
    until: DateQuery = None,
    pipeline: PipelineQuery = None,
) -> dict[str, Any]:
    """Measure the process on the opportunities created in the window."""
    user = require_role(request, "admin", "manager")
    data = _cached(request, since, until, pipeline)
    velocity = {
        k: v
        for k, v in data["velocity"].items()
        if k not in ("opportunities", "open_ages")
    }
    stalls = dict(data["stalls"])
    stalls["opportunities"] = _own(
        stalls["opportunities"], visible_sellers(request, user)
    )
    query = {"since": since, "until": until, "pipeline": pipeline}
    return {**data, "velocity": velocity, "stalls": stalls, "query": query}


@twin(
    router,
    "/process/opportunities",
    "opportunities.html.j2",
    summary="The opportunities behind one number of the process page",
)
def process_opportunities(
    request: Request,
    stage: Annotated[str, Query(description="Stage id.", max_length=200)],
    measure: Annotated[
        Measure,
        Query(
            description="Which number: "
            + "; ".join(f"{k}: {v}" for k, v in MEASURES.items())
        ),
    ] = "visits",
    to: Annotated[
        str | None,
        Query(
            description="With measure=moves: the stage moved to (a stage id, "
            "won or lost).",
            max_length=200,
        ),
    ] = None,
    since: DateQuery = None,
    until: DateQuery = None,
    pipeline: PipelineQuery = None,
) -> dict[str, Any]:
    """List the opportunities behind a funnel, transition, days or stalled figure."""
    user = require_role(request, "admin", "manager")
    data = _cached(request, since, until, pipeline)
    labels = {s["stage"]: s["label"] for s in data["funnel"]["stages"]}
    if stage not in labels:
        raise HTTPException(
            status_code=404,
            detail=f"stage {stage!r} not found: the process stages are "
            f"{', '.join(labels) or 'none'}",
        )
    if measure in FUNNEL_GROUPS:
        rows = _funnel_rows(request, stage, measure, since, until, pipeline)
        rows = _own(rows, visible_sellers(request, user))
    elif measure == "moves":
        rows = _move_rows(request, stage, to, labels, since, until, pipeline)
        rows = _own(rows, visible_sellers(request, user))
    elif measure == "visits":
        rows = [r for r in data["velocity"]["opportunities"] if r["stage"] == stage]
    elif measure == "open":
        rows = [r for r in data["velocity"]["open_ages"] if r["stage"] == stage]
    else:
        rows = [r for r in data["stalls"]["opportunities"] if r["stage"] == stage]
        rows = _own(rows, visible_sellers(request, user))
    return {
        "stage": stage,
        "stage_label": labels.get(stage, stage),
        "to": to,
        "labels": {**labels, "won": "Won", "lost": "Lost"},
        "measure": measure,
        "description": MEASURES[measure],
        "rows": rows,
        "count": len(rows),
        "window": data["funnel"]["window"],
        "query": {"since": since, "until": until, "pipeline": pipeline},
    }
