"""Forecasts with accuracy per manager, the pipeline inspection, comp statements.

These pages call the leadership and comp packages; each form is checked by
the same functions as ``revarch forecast submit`` and ``revarch inspect
answer``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from revarch.errors import InputError
from revarch.leadership.inspection import ANSWERS
from revarch.web.auth import check_csrf, require_role, state_of
from revarch.web.render import name_fields, render, twin
from revarch.web.routes.common import attempt, form_text, visible_sellers
from revarch.web.users import User
from revarch.workspace import Workspace

router = APIRouter(tags=["leadership"])

FORECAST_FIELDS = ("manager", "period", "amount", "category", "currency")


def _forecasts(workspace: Workspace) -> dict[str, Any]:
    from revarch.leadership import compute_forecast_accuracy, list_forecasts
    from revarch.leadership.people import People

    people = People.read(workspace)
    managers = [
        {"id": m, "name": people.name(m)}
        for m in people.managers()
        if m in people.by_id
    ]
    return {
        "accuracy": attempt(compute_forecast_accuracy, workspace),
        "submissions": list_forecasts(workspace),
        "managers": managers,
        "category": workspace.settings.forecast.category,
        "currency": workspace.settings.company.currency,
    }


def _own_forecasts(data: dict[str, Any], user: User) -> dict[str, Any]:
    """Keep a manager's own rows; an admin sees every manager."""
    if user.role == "admin":
        return data
    accuracy = dict(data["accuracy"])
    for key in ("rows", "managers"):
        if key in accuracy:
            accuracy[key] = [r for r in accuracy[key] if r["manager"] == user.person]
    return {
        **data,
        "accuracy": accuracy,
        "submissions": [
            r for r in data["submissions"] if r["manager_id"] == user.person
        ],
        "managers": [m for m in data["managers"] if m["id"] == user.person],
    }


def _forecast_form(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "errors": {},
        "submitted": {},
        "recorded": request.query_params.get("recorded"),
        "warnings": request.query_params.getlist("warning")[:5],
    }


@twin(
    router,
    "/forecasts",
    "forecasts.html.j2",
    summary="Forecast submissions and accuracy per manager",
    decorate=_forecast_form,
)
def forecasts(request: Request) -> dict[str, Any]:
    """List the forecast snapshots and each manager's accuracy."""
    user = require_role(request, "admin", "manager")
    data = state_of(request).cached(("forecasts",), _forecasts)
    return _own_forecasts(data, user)


def forecast_field(message: str) -> str:
    """Return the form field an error message of ``submit_forecast`` is about."""
    for name in FORECAST_FIELDS:
        if f"--{name}" in message:
            return name
    return "form"


@router.post("/forecasts", include_in_schema=False)
async def submit(request: Request) -> Response:
    """Record a forecast snapshot; a manager submits only their own."""
    user = require_role(request, "admin", "manager")
    form = await request.form()
    check_csrf(request, form_text(form, "csrf_token"))
    return await run_in_threadpool(_submit, request, user, form)


def _submit(request: Request, user: User, form: Any) -> Response:
    from revarch.leadership import submit_forecast

    values = {name: form_text(form, name) for name in FORECAST_FIELDS}
    if user.role == "manager":
        values["manager"] = user.person or ""
    state = state_of(request)
    errors = {
        name: "missing; fill it in"
        for name in ("manager", "period", "amount")
        if not values[name]
    }
    if not errors:
        try:
            with state.use() as workspace:
                row = submit_forecast(
                    workspace,
                    manager=values["manager"],
                    period=values["period"],
                    amount=values["amount"],
                    category=values["category"] or None,
                    currency=values["currency"] or None,
                )
        except InputError as exc:
            errors = {forecast_field(str(exc)): name_fields(str(exc), FORECAST_FIELDS)}
    if errors:
        data = _own_forecasts(state.cached(("forecasts",), _forecasts), user)
        context = {
            "data": data,
            "errors": errors,
            "submitted": values,
            "recorded": None,
            "warnings": [],
        }
        return render(request, "forecasts.html.j2", context, status=400)
    state.wrote()
    recorded = f"{row['manager_name']} {row['period']}"
    target = f"/forecasts?recorded={quote(recorded)}"
    for warning in row.get("warnings", []):
        target += f"&warning={quote(name_fields(warning, FORECAST_FIELDS))}"
    return RedirectResponse(target, status_code=303)


# -- pipeline inspection ------------------------------------------------------------


MinAmountQuery = Annotated[
    float | None,
    Query(description="Smallest amount inspected, in the base currency.", ge=0),
]


def _inspection(
    request: Request, user: User, min_amount: float | None
) -> dict[str, Any]:
    from revarch.leadership import compute_inspection

    data = state_of(request).cached(
        ("inspection", min_amount),
        lambda ws: compute_inspection(ws, min_amount=min_amount).to_dict(),
    )
    allowed = visible_sellers(request, user)
    rows = [r for r in data["rows"] if allowed is None or r["seller"] in allowed]
    return {**data, "rows": rows}


@twin(
    router,
    "/inspection",
    "inspection.html.j2",
    summary="Open opportunities above the inspection line, riskiest first",
    decorate=lambda request, data: {
        "errors": {},
        "answered": request.query_params.get("answered"),
    },
)
def inspection(request: Request, min_amount: MinAmountQuery = None) -> dict[str, Any]:
    """List the opportunities to inspect with their answers and flags."""
    user = require_role(request, "admin", "manager")
    return _inspection(request, user, min_amount)


@router.post("/inspection/answers", include_in_schema=False)
async def answer(request: Request) -> Response:
    """Record the answers given for one opportunity; all are checked first."""
    user = require_role(request, "admin", "manager")
    form = await request.form()
    check_csrf(request, form_text(form, "csrf_token"))
    return await run_in_threadpool(_answer, request, user, form)


def _answer(request: Request, user: User, form: Any) -> Response:
    from revarch.leadership import answer_question

    opportunity = form_text(form, "opportunity")
    data = _inspection(request, user, None)
    row = next((r for r in data["rows"] if r["id"] == opportunity), None)
    if row is None:
        raise HTTPException(
            403, f"opportunity {opportunity!r} is not on your inspection list"
        )
    given = {q["id"]: form_text(form, f"answer-{q['id']}") for q in data["questions"]}
    changed = {q: a for q, a in given.items() if a and a != row["answers"].get(q)}
    errors = {
        f"{opportunity}-{q}": f"invalid answer {a!r}: use yes, no or unknown"
        for q, a in changed.items()
        if a not in ANSWERS
    }
    if errors:
        context = {"data": data, "errors": errors, "answered": None}
        return render(request, "inspection.html.j2", context, status=400)
    state = state_of(request)
    with state.use() as workspace:
        for question, value in changed.items():
            answer_question(
                workspace, opportunity, question, value, answered_by=user.name
            )
    state.wrote()
    return RedirectResponse(
        f"/inspection?answered={quote(opportunity)}#{quote(opportunity)}",
        status_code=303,
    )


# -- comp -----------------------------------------------------------------------------


@twin(
    router,
    "/comp",
    "comp.html.j2",
    summary="Comp statements per seller for one plan period",
)
def comp(
    request: Request,
    period: Annotated[
        str | None, Query(description="Plan period such as 2025-Q2.", max_length=40)
    ] = None,
) -> dict[str, Any]:
    """Compute each seller's comp statement under the plan in revarch.yaml."""
    from revarch.comp import compute_comp

    user = require_role(request, "admin", "manager")
    data = state_of(request).cached(
        ("comp", period), lambda ws: attempt(compute_comp, ws, period=period)
    )
    allowed = visible_sellers(request, user)
    if allowed is None or "error" in data:
        return data
    statements = [s for s in data["statements"] if s["seller"] in allowed]
    return {**data, "statements": statements}
