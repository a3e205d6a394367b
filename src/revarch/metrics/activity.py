"""Activity counts per seller and type: calls, emails, social touches, meetings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ibis

from revarch.timeframe import within_local_days

if TYPE_CHECKING:
    from revarch.workspace import Workspace

TYPES = ("call", "email", "social", "meeting", "other")


def count_activities(
    workspace: Workspace, *, since: dt.date, until: dt.date
) -> dict[str, dict[str, int]]:
    """Count each seller's activities by type on days ``since``-``until``.

    Days are cut in the workspace timezone; deleted activities and
    activities without a seller are left out. Sellers with no activity are
    absent from the result.
    """
    activities = workspace.store.table("activities")
    activities = activities.filter(
        ~activities.is_deleted & activities.seller_id.notnull()
    )
    zone = workspace.settings.company.timezone
    inside = within_local_days(activities.occurred_at, zone, since=since, until=until)
    counts = (
        activities.filter(inside)
        .group_by(["seller_id", "type"])
        .aggregate(n=ibis._.count())
    )
    result: dict[str, dict[str, int]] = {}
    for row in workspace.store.rows(counts):
        per_type = result.setdefault(row["seller_id"], dict.fromkeys(TYPES, 0))
        kind = row["type"] if row["type"] in TYPES else "other"
        per_type[kind] += int(row["n"])
    return result
