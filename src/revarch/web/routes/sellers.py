"""Sellers: the list a manager sees and each seller's 1-on-1 page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from revarch.web.auth import require_role, require_user, state_of
from revarch.web.render import twin
from revarch.web.routes.common import WeekQuery, check_seller_access, visible_sellers

router = APIRouter(tags=["sellers"])

SellerPath = Annotated[
    str, Path(description="Seller id (the sellers table's id).", max_length=200)
]


def _people(workspace: Any) -> list[dict[str, Any]]:
    from revarch.leadership.people import People

    people = People.read(workspace)
    managers = set(people.managers())
    return [
        {
            "seller": person.id,
            "seller_name": person.label,
            "manager": person.manager_id,
            "manager_name": people.name(person.manager_id),
            "team": person.team,
            "is_manager": person.id in managers,
        }
        for person in people.sellers()
    ]


@twin(router, "/sellers", "sellers.html.j2", summary="The sellers the user may see")
def sellers(request: Request) -> dict[str, Any]:
    """List the active sellers (a manager sees their team)."""
    user = require_role(request, "admin", "manager")
    rows = state_of(request).cached(("people",), _people)
    allowed = visible_sellers(request, user)
    shown = [row for row in rows if allowed is None or row["seller"] in allowed]
    return {"rows": shown}


@twin(
    router,
    "/sellers/{seller}",
    "seller.html.j2",
    summary="One seller's 1-on-1 page: metrics, #1 competency gap, deals",
)
def seller_page(
    request: Request, seller: SellerPath, week: WeekQuery = None
) -> dict[str, Any]:
    """Build the seller's weekly 1-on-1 agenda (a seller sees only their own)."""
    from revarch.leadership import build_one_on_one

    user = require_user(request)
    check_seller_access(request, user, seller)
    state = state_of(request)
    return state.cached(
        ("one-on-one", seller, week),
        lambda ws: build_one_on_one(ws, _known(ws, seller), week),
    )


def _known(workspace: Any, seller: str) -> str:
    """Return the id when the sellers table has it; names are not accepted in URLs."""
    from fastapi import HTTPException

    from revarch.leadership.people import People

    if seller not in People.read(workspace).by_id:
        raise HTTPException(404, f"no seller has the id {seller!r}")
    return seller
