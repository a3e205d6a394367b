"""Helpers the route modules share: query options, team scope, form parsing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query, Request

from revarch.web.auth import state_of
from revarch.web.users import User
from revarch.workspace import Workspace

DateQuery = Annotated[
    str | None,
    Query(description="A date, YYYY-MM-DD.", max_length=40),
]
WeekQuery = Annotated[
    str | None,
    Query(
        description="ISO week such as 2025-W14 (default: the last complete week "
        "before the data's as-of date).",
        max_length=40,
    ),
]
PipelineQuery = Annotated[
    str | None, Query(description="Only this pipeline.", max_length=200)
]


def visible_sellers(request: Request, user: User) -> set[str] | None:
    """Return the seller ids ``user`` may see, or None for everyone."""
    if user.role == "admin":
        return None
    person = user.person or ""
    if user.role == "seller":
        return {person}
    from revarch.leadership.people import People

    state = state_of(request)
    team = state.cached(("team", person), lambda ws: People.read(ws).team_of(person))
    return {person, *team}


def check_seller_access(request: Request, user: User, seller: str) -> None:
    """Raise 403 unless ``user`` may see the seller with this id."""
    allowed = visible_sellers(request, user)
    if allowed is not None and seller not in allowed:
        raise HTTPException(403, "you may only open your own or your team's pages")


def resolve_seller(workspace: Workspace, text: str) -> str:
    """Return the seller id for an id or a name (raises ``InputError``)."""
    from revarch.leadership.people import People

    return People.read(workspace).find(text, flag="seller").id


def form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def attempt(build: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Return ``build(...).to_dict()``, or the input error's message as ``error``.

    Pages made of several analyses show what they can; a missing input (no
    assessments, no comp plan) becomes a message in its section.
    """
    from revarch.errors import InputError

    try:
        result = build(*args, **kwargs)
    except InputError as exc:
        return {"error": str(exc)}
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)
