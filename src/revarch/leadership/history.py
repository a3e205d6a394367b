"""Close date pushes and amount changes, read from an opportunity's history.

The sequence of close dates (or amounts) is every non-empty value of the
stage history in time order, then the record's current value. A push is a
step to a later close date; its days are the step's length. Pull-ins are
not pushes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class HistoryFacts:
    """Close date pushes and amount changes of one opportunity."""

    close_date_first: dt.date | None
    close_date_pushes: int
    close_date_pushed_days: int
    amount_first: float | None
    amount_changes: int


def close_date_pushes(dates: list[dt.date]) -> tuple[int, int]:
    """Return the number of pushes and the days pushed over a date sequence."""
    pushes = 0
    days = 0
    for before, after in zip(dates, dates[1:], strict=False):
        if after > before:
            pushes += 1
            days += (after - before).days
    return pushes, days


def amount_changes(amounts: list[float]) -> int:
    """Return how many times a sequence of amounts changed value."""
    return sum(
        1
        for before, after in zip(amounts, amounts[1:], strict=False)
        if after != before
    )


def read_history(
    workspace: Workspace,
    current: dict[str, dict[str, Any]],
    until: dt.datetime,
) -> dict[str, HistoryFacts]:
    """Return the history facts of each opportunity in ``current``.

    ``current`` maps an opportunity id to its record's ``close_date`` and
    ``amount``; history rows at or after ``until`` (UTC) are left out.
    """
    if not current:
        return {}
    ids = ibis.memtable({"_id": list(current)}, schema={"_id": "string"})
    events = workspace.store.table("stage_events")
    events = events.filter(~events.is_deleted, events.entered_at < until)
    events = events.inner_join(ids, events.opportunity_id == ids._id)
    ordered = events.select(
        "opportunity_id", "entered_at", "seq", "close_date", "amount"
    ).order_by(["opportunity_id", "entered_at", "seq"])
    dates: dict[str, list[dt.date]] = {}
    amounts: dict[str, list[float]] = {}
    for row in workspace.store.rows(ordered):
        if row["close_date"] is not None:
            dates.setdefault(row["opportunity_id"], []).append(row["close_date"])
        if row["amount"] is not None:
            amounts.setdefault(row["opportunity_id"], []).append(float(row["amount"]))
    facts = {}
    for opportunity, record in current.items():
        close = dates.get(opportunity, [])
        if record.get("close_date") is not None:
            close = [*close, record["close_date"]]
        money = amounts.get(opportunity, [])
        if record.get("amount") is not None:
            money = [*money, float(record["amount"])]
        pushes, days = close_date_pushes(close)
        facts[opportunity] = HistoryFacts(
            close_date_first=close[0] if close else None,
            close_date_pushes=pushes,
            close_date_pushed_days=days,
            amount_first=money[0] if money else None,
            amount_changes=amount_changes(money),
        )
    return facts
