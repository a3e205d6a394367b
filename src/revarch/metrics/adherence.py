"""Process adherence: which required activities were logged in each stage visit.

Each stage of the process definition lists ``required_activities`` (a name,
an activity type and subject strings). A requirement is met in a visit by an
activity linked to the opportunity that matches three rules:

- its type is the requirement's (any type when none is given);
- its subject contains one of the strings, ignoring case (any subject when
  none are given);
- it is dated at or after the visit's entry and before its exit. For a
  visit still open at the window's end, the limit is the end of that day.

A stage the opportunity skipped has no visit and so no requirement. The
share completed counts the visits that left their stage in the window.
Visits still open at the window's end are reported apart, because their
activities may still come.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.timeframe import Window, make_window

if TYPE_CHECKING:
    import pandas as pd

    from revarch.config import Stage
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "seller": ("seller", "seller_name"),
    "manager": ("manager", "manager_name"),
    "team": ("team",),
    "stage": ("stage",),
    "requirement": ("stage", "requirement"),
}
MEASURES = (
    "visits",
    "required",
    "completed",
    "adherence",
    "open_visits",
    "open_required",
    "open_completed",
)
REQUIREMENT_SCHEMA = {
    "_stage": "string",
    "_index": "int64",
    "_requirement": "string",
    "_type": "string",
    "_pattern": "string",
}


@dataclass
class AdherenceResult:
    """Required activities completed per group, and optionally per visit."""

    by: list[str]
    keys: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    requirements: list[dict[str, Any]]
    window: Window
    detail: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def defined(self) -> bool:
        """Return whether the process defines any required activity."""
        return bool(self.requirements)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "by": self.by,
            "rows": self.rows,
            "totals": self.totals,
            "requirements": self.requirements,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }
        if self.detail is not None:
            data["visits"] = self.detail
        return data

    @property
    def table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=[*self.keys, *MEASURES])


def requirement_rows(stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """Return one row per stage requirement and subject string (lowercase)."""
    rows = []
    for stage in stages:
        for index, required in enumerate(stage.required_activities):
            cleaned = [p.strip().lower() for p in required.subject_contains]
            patterns: list[str | None] = [p for p in cleaned if p] or [None]
            for pattern in patterns:
                rows.append(
                    {
                        "_stage": stage.id,
                        "_index": index,
                        "_requirement": required.name,
                        "_type": required.type,
                        "_pattern": pattern,
                    }
                )
    return rows


def _instant(day: dt.date, timezone: str) -> dt.datetime:
    """Return the UTC instant (naive) when ``day`` starts in ``timezone``."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _people(workspace: Workspace) -> ir.Table:
    sellers = workspace.store.table("sellers")
    sellers = sellers.filter(~sellers.is_deleted)
    bosses = sellers.select(_boss=sellers.id, _boss_name=sellers.name.nullif(""))
    joined = sellers.left_join(bosses, sellers.manager_id == bosses._boss)
    return joined.select(
        _person=joined.id,
        _seller_name=joined.name.nullif(""),
        manager=joined.manager_id.nullif(""),
        manager_name=joined._boss_name.coalesce(joined.manager_id.nullif("")),
        team=joined.team.nullif(""),
    )


def _scoped_visits(workspace: Workspace, window: Window) -> ir.Table:
    """Return the visits that ended in the window or are open at its end.

    ``bound`` is the instant before which a matching activity must be dated.
    """
    from revarch.process.derived import SUMMARY_TABLE, VISITS_TABLE, ensure_derived

    ensure_derived(workspace)
    zone = workspace.settings.company.timezone
    end = ibis.literal(_instant(window.end + dt.timedelta(days=1), zone))
    visits = workspace.store.table(VISITS_TABLE)
    visits = visits.filter(visits.entered_at < end)
    completed = visits.exited_at.notnull() & (visits.exited_at < end)
    in_window = completed
    if window.since is not None:
        start = ibis.literal(_instant(window.since, zone))
        in_window = completed & (visits.exited_at >= start)
    visits = visits.filter(in_window | ~completed)
    visits = visits.mutate(
        state=completed.ifelse("completed", "open"),
        bound=completed.ifelse(visits.exited_at, end),
    )
    summary = workspace.store.table(SUMMARY_TABLE)
    summary = summary.select(
        _opportunity=summary.opportunity_id, seller=summary.seller_id
    )
    joined = visits.inner_join(summary, visits.opportunity_id == summary._opportunity)
    people = _people(workspace)
    joined = joined.left_join(people, joined.seller == people._person)
    return joined.select(
        "opportunity_id",
        "stage_id",
        "visit_number",
        "entered_at",
        "exited_at",
        "state",
        "bound",
        "seller",
        seller_name=joined._seller_name.coalesce(joined.seller),
        manager=joined.manager,
        manager_name=joined.manager_name,
        team=joined.team,
    )


def _activities(workspace: Workspace) -> ir.Table:
    activities = workspace.store.table("activities")
    activities = activities.filter(
        ~activities.is_deleted,
        activities.opportunity_id.notnull(),
        activities.occurred_at.notnull(),
    )
    return activities.select(
        _activity=activities.id,
        _activity_opportunity=activities.opportunity_id,
        _activity_type=activities.type.strip().lower(),
        _subject=activities.subject.lower().fill_null(""),
        _occurred_at=activities.occurred_at,
    )


def visit_requirements(
    workspace: Workspace, window: Window, requirements: list[dict[str, Any]]
) -> ir.Table:
    """Return one row per visit and requirement with ``done`` and ``done_at``."""
    visits = _scoped_visits(workspace, window)
    needed = ibis.memtable(requirements, schema=REQUIREMENT_SCHEMA)
    rows = visits.inner_join(needed, visits.stage_id == needed._stage)
    activities = _activities(workspace)
    matches = [
        rows.opportunity_id == activities._activity_opportunity,
        activities._occurred_at >= rows.entered_at,
        activities._occurred_at < rows.bound,
        rows._type.isnull() | (activities._activity_type == rows._type),
        rows._pattern.isnull() | activities._subject.contains(rows._pattern),
    ]
    joined = rows.left_join(activities, matches)
    keys = [
        "opportunity_id",
        "visit_number",
        "stage_id",
        "_index",
        "_requirement",
        "entered_at",
        "exited_at",
        "state",
        "seller",
        "seller_name",
        "manager",
        "manager_name",
        "team",
    ]
    grouped = joined.group_by(keys).aggregate(
        done_count=joined._activity.count(),
        done_at=joined._occurred_at.min(),
    )
    return grouped.select(
        *[k for k in keys if not k.startswith("_")],
        stage=grouped.stage_id,
        requirement=grouped._requirement,
        requirement_index=grouped._index,
        done=grouped.done_count > 0,
        done_at=grouped.done_at,
    )


def _aggregates(table: ir.Table) -> dict[str, ir.Scalar]:
    completed = table.state == "completed"
    is_open = table.state == "open"
    visit = table.opportunity_id.concat("#", table.visit_number.cast("string"))
    return {
        "visits": visit.nunique(where=completed),
        "required": table.count(where=completed),
        "completed": table.count(where=completed & table.done),
        "open_visits": visit.nunique(where=is_open),
        "open_required": table.count(where=is_open),
        "open_completed": table.count(where=is_open & table.done),
    }


def _finish(raw: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    row = {key: raw[key] for key in keys}
    for measure in MEASURES:
        if measure != "adherence":
            row[measure] = int(raw[measure] or 0)
    required = row["required"]
    row["adherence"] = round(row["completed"] / required, 6) if required else None
    return {key: row[key] for key in [*keys, *MEASURES]}


def parse_adherence_by(text: str | None) -> list[str]:
    """Parse a ``--by`` value of seller, manager, team, stage, requirement."""
    if text is None or not text.strip():
        return []
    names = [part.strip().lower() for part in text.split(",")]
    for name in names:
        if name not in GROUP_KEYS:
            raise InputError(
                f"invalid --by {text!r}: {name!r} is not a grouping; use one or "
                f"more of {', '.join(GROUP_KEYS)}, joined with commas"
            )
    if len(set(names)) != len(names):
        raise InputError(f"invalid --by {text!r}: a grouping appears twice")
    return names


def _keys(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(key for name in names for key in GROUP_KEYS[name]))


def compute_adherence(
    workspace: Workspace,
    *,
    by: str | None = "seller",
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
    period: str | None = None,
    detail: bool = False,
) -> AdherenceResult:
    """Compute the share of required activities logged per group.

    Completed visits count when they left the stage in the window; visits
    open at its end are counted apart. ``detail`` adds one row per visit and
    requirement. Raises ``InputError`` for a bad option.
    """
    names = parse_adherence_by(by)
    keys = _keys(names)
    window = make_window(
        workspace, since=since, until=until, as_of=as_of, period=period
    )
    stages = workspace.settings.process.stages
    requirements = requirement_rows(stages)
    listed = _listed_requirements(stages)
    notes = _notes(stages)
    if not requirements:
        return AdherenceResult(
            names,
            keys,
            [],
            _finish(_zeros(), []),
            [],
            window,
            [] if detail else None,
            notes,
        )
    table = workspace.store.stage(visit_requirements(workspace, window, requirements))
    try:
        aggregates = _aggregates(table)
        rows: list[dict[str, Any]] = []
        if keys:
            grouped = table.group_by(keys).aggregate(**aggregates).order_by(keys)
            rows = [_finish(raw, keys) for raw in workspace.store.rows(grouped)]
        totals = _finish(workspace.store.rows(table.aggregate(**aggregates))[0], [])
        found = _detail(workspace, table) if detail else None
    finally:
        workspace.store.drop(table.get_name())
    log.info("computed process adherence by %s over %s", names, window.to_dict())
    return AdherenceResult(names, keys, rows, totals, listed, window, found, notes)


def _zeros() -> dict[str, Any]:
    return dict.fromkeys(MEASURES, 0)


def _detail(workspace: Workspace, table: ir.Table) -> list[dict[str, Any]]:
    ordered = table.order_by(["opportunity_id", "visit_number", "requirement_index"])
    rows = workspace.store.rows(ordered)
    for row in rows:
        row.pop("stage_id", None)
    return rows


def _listed_requirements(stages: Sequence[Stage]) -> list[dict[str, Any]]:
    return [
        {
            "stage": stage.id,
            "requirement": required.name,
            "type": required.type,
            "subject_contains": list(required.subject_contains),
        }
        for stage in stages
        for required in stage.required_activities
    ]


def _notes(stages: Sequence[Stage]) -> list[str]:
    if not stages:
        return [
            "the process definition has no stages: define process.stages with "
            "required_activities in revarch.yaml (`revarch process suggest` "
            "drafts the stages)"
        ]
    bare = [stage.id for stage in stages if not stage.required_activities]
    if len(bare) == len(stages):
        return [
            "no stage lists required_activities: add them to process.stages in "
            "revarch.yaml to measure adherence"
        ]
    if bare:
        return [f"stages without required activities (not measured): {', '.join(bare)}"]
    return []
