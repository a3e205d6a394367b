"""Activity per seller (or manager, team) and period: the ``activity --by`` table.

Counts calls, emails, social touches, meetings and other activities from the
``activities`` table, dated by their local day in the workspace timezone.
Each group is counted from its first active period to the end of the window,
with zeros where it logged nothing, so a quiet week shows as 0 instead of
vanishing. Every row carries the team median of its period (over the groups
counted in that period) and the change from the group's previous period.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.metrics.activity import TYPES
from revarch.timeframe import (
    PeriodKind,
    Window,
    local_date,
    make_window,
    period_key,
    period_of,
)

if TYPE_CHECKING:
    import pandas as pd

    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

# Output column per activity type, then the total.
COUNTS = {
    "call": "calls",
    "email": "emails",
    "social": "social",
    "meeting": "meetings",
    "other": "other",
}
MEASURES = (*COUNTS.values(), "activities")
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "seller": ("seller", "seller_name"),
    "manager": ("manager", "manager_name"),
    "team": ("team",),
}
PERIODS: dict[str, PeriodKind] = {
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}


@dataclass
class ActivityReport:
    """Activity counts per group and period, team medians and changes."""

    by: list[str]
    keys: list[str]
    period: str | None
    rows: list[dict[str, Any]]
    window: Window
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Return every column of a row, in order."""
        medians = [f"{m}_median" for m in MEASURES] if self._has_groups else []
        changes = [f"{m}_change" for m in MEASURES] if self.period else []
        return [*self.keys, *MEASURES, *medians, *changes]

    @property
    def _has_groups(self) -> bool:
        return any(name in GROUP_KEYS for name in self.by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "rows": self.rows,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }

    @property
    def table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def parse_activity_by(text: str | None) -> tuple[list[str], str | None]:
    """Split a ``--by`` value into group names and at most one period name."""
    names = [part.strip().lower() for part in (text or "seller").split(",")]
    allowed = [*GROUP_KEYS, *PERIODS]
    for name in names:
        if name not in allowed:
            raise InputError(
                f"invalid --by {text!r}: {name!r} is not a grouping; use one or "
                f"more of {', '.join(allowed)}, joined with commas"
            )
    if len(set(names)) != len(names):
        raise InputError(f"invalid --by {text!r}: a grouping appears twice")
    periods = [name for name in names if name in PERIODS]
    if len(periods) > 1:
        raise InputError(
            f"invalid --by {text!r}: {', '.join(periods)} are all time "
            "groupings; choose one"
        )
    groups = [name for name in names if name in GROUP_KEYS]
    return groups, periods[0] if periods else None


def _people(workspace: Workspace) -> ir.Table:
    """Return each seller's name, manager, manager's name and team."""
    sellers = workspace.store.table("sellers")
    sellers = sellers.filter(~sellers.is_deleted)
    bosses = sellers.select(_boss=sellers.id, _boss_name=sellers.name.nullif(""))
    joined = sellers.left_join(bosses, sellers.manager_id == bosses._boss)
    return joined.select(
        _person=joined.id,
        seller_name=joined.name.nullif("").coalesce(joined.id),
        manager=joined.manager_id.nullif(""),
        manager_name=joined._boss_name.coalesce(joined.manager_id.nullif("")),
        team=joined.team.nullif(""),
    )


def _activity_rows(workspace: Workspace, window: Window) -> ir.Table:
    """Return one row per activity in the window with its group columns."""
    zone = workspace.settings.company.timezone
    activities = workspace.store.table("activities")
    activities = activities.filter(
        ~activities.is_deleted, activities.seller_id.notnull()
    )
    kind = activities.type.strip().lower()
    dated = activities.mutate(
        day=local_date(activities.occurred_at, zone),
        kind=kind.isin(list(TYPES)).ifelse(kind, "other"),
    )
    dated = dated.filter(window.includes(dated.day))
    people = _people(workspace)
    joined = dated.left_join(people, dated.seller_id == people._person)
    return joined.select(
        "day",
        "kind",
        seller=joined.seller_id,
        seller_name=joined.seller_name.coalesce(joined.seller_id),
        manager=joined.manager,
        manager_name=joined.manager_name,
        team=joined.team,
    )


def _counts(
    workspace: Workspace,
    rows: ir.Table,
    keys: Sequence[str],
    period: PeriodKind | None,
) -> list[dict[str, Any]]:
    """Count activities per key (and period) and type."""
    start_month = workspace.settings.company.fiscal_year_start_month
    if period is not None:
        rows = rows.mutate(_period=period_key(rows.day, period, start_month))
    group = [*keys, "_period"] if period is not None else list(keys)
    counts = {
        column: rows.count(where=rows.kind == kind) for kind, column in COUNTS.items()
    }
    if not group:
        return workspace.store.rows(rows.aggregate(**counts, _first=rows.day.min()))
    table = rows.group_by(group).aggregate(**counts, _first=rows.day.min())
    return workspace.store.rows(table)


def _period_ids(
    first: dt.date, last: dt.date, kind: PeriodKind, start: int
) -> list[str]:
    """Return the ids of every period from the one holding ``first`` to ``last``."""
    ids = []
    day = first
    while day <= last:
        period = period_of(day, kind, start)
        ids.append(period.id)
        day = period.end + dt.timedelta(days=1)
    return ids


def _zero_filled(
    counted: list[dict[str, Any]],
    keys: Sequence[str],
    period: PeriodKind | None,
    window_end: dt.date,
    start_month: int,
) -> list[dict[str, Any]]:
    """Add zero rows for each group's quiet periods up to the window's end."""
    if period is None:
        return counted
    groups: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    firsts: dict[tuple[Any, ...], dt.date] = {}
    for row in counted:
        group = tuple(row[key] for key in keys)
        groups.setdefault(group, {})[row["_period"]] = row
        firsts[group] = min(firsts.get(group, row["_first"]), row["_first"])
    filled = []
    for group, by_period in groups.items():
        for period_id in _period_ids(firsts[group], window_end, period, start_month):
            found = by_period.get(period_id)
            if found is None:
                found = {**dict(zip(keys, group, strict=True)), "_period": period_id}
                found.update(dict.fromkeys(COUNTS.values(), 0))
            filled.append(found)
    return filled


def _finish_rows(
    raw: list[dict[str, Any]],
    keys: Sequence[str],
    period_name: str | None,
    with_medians: bool,
) -> list[dict[str, Any]]:
    """Add totals, per-period team medians and changes; sort the rows."""
    rows = []
    for item in raw:
        row = {key: item[key] for key in keys if key != period_name}
        if period_name is not None:
            row[period_name] = item["_period"]
        for column in COUNTS.values():
            row[column] = int(item[column] or 0)
        row["activities"] = sum(row[column] for column in COUNTS.values())
        rows.append(row)
    if with_medians:
        _add_medians(rows, period_name)
    if period_name is not None:
        _add_changes(rows, keys, period_name)
    group_keys = [key for key in keys if key != period_name]
    sort = [k for k in group_keys if k.endswith("_name")] + group_keys
    rows.sort(
        key=lambda r: (
            *(str(r[k] or "") for k in sort),
            r.get(period_name or "", ""),
        )
    )
    return rows


def _add_medians(rows: list[dict[str, Any]], period_name: str | None) -> None:
    by_period: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        by_period.setdefault(row.get(period_name) if period_name else None, []).append(
            row
        )
    for members in by_period.values():
        for measure in MEASURES:
            median = float(statistics.median(r[measure] for r in members))
            for row in members:
                row[f"{measure}_median"] = median


def _add_changes(rows: list[dict[str, Any]], keys: Sequence[str], period: str) -> None:
    """Set ``<measure>_change``: the change from the group's previous period."""
    group_keys = [key for key in keys if key != period]
    ordered = sorted(rows, key=lambda r: str(r[period]))
    previous: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in ordered:
        group = tuple(row[key] for key in group_keys)
        before = previous.get(group)
        for measure in MEASURES:
            row[f"{measure}_change"] = (
                None if before is None else row[measure] - before[measure]
            )
        previous[group] = row


def compute_activity_report(
    workspace: Workspace,
    *,
    by: str | None = "seller,week",
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
) -> ActivityReport:
    """Count activities by type per group and period, with medians and changes.

    ``by`` names groups (seller, manager, team) and at most one period
    (week, month, quarter, year; quarters and years are fiscal). Raises
    ``InputError`` for an invalid ``by`` or dates.
    """
    groups, period_name = parse_activity_by(by)
    window = make_window(workspace, since=since, until=until, as_of=as_of)
    keys = [key for name in groups for key in GROUP_KEYS[name]]
    period = PERIODS[period_name] if period_name else None
    rows = _activity_rows(workspace, window)
    counted = _counts(workspace, rows, keys, period)
    counted = [row for row in counted if row.get("_first") is not None]
    start_month = workspace.settings.company.fiscal_year_start_month
    filled = _zero_filled(counted, keys, period, window.end, start_month)
    keys_out = [*keys, period_name] if period_name else keys
    result = _finish_rows(filled, keys_out, period_name, with_medians=bool(groups))
    notes = _notes(workspace, window)
    if period is not None and result:
        last = period_of(window.end, period, start_month)
        if window.end < last.end:
            notes.append(
                f"the last period, {last.id}, is counted up to "
                f"{window.end.isoformat()} only, so its change is partial"
            )
    log.info("counted activities by %s over %s", groups, window.to_dict())
    return ActivityReport(
        by=[*groups, *([period_name] if period_name else [])],
        keys=keys_out,
        period=period_name,
        rows=result,
        window=window,
        notes=notes,
    )


def _notes(workspace: Workspace, window: Window) -> list[str]:
    """Count the activities left out: no seller, or no date."""
    activities = workspace.store.table("activities")
    live = activities.filter(~activities.is_deleted)
    found = workspace.store.rows(
        live.aggregate(
            no_seller=live.count(where=live.seller_id.isnull()),
            no_date=live.count(where=live.occurred_at.isnull()),
        )
    )[0]
    notes = []
    if found["no_seller"]:
        notes.append(f"{found['no_seller']} activities have no seller and are left out")
    if found["no_date"]:
        notes.append(f"{found['no_date']} activities have no date and are left out")
    if window.since is None:
        notes.append("no --since: every activity up to the window's end is counted")
    return notes
