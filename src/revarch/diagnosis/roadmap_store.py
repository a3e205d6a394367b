"""Saved roadmaps: each plan is stored with the wall-clock time it was made.

The weekly report reads the current sprint of the latest saved roadmap.
Saving a plan identical to the latest one stores nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from revarch.workspace import Workspace

if TYPE_CHECKING:
    from revarch.diagnosis.roadmap import Roadmap

log = logging.getLogger(__name__)

TABLE = "roadmap_lines"


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a roadmap")


def _rows_of(roadmap: Roadmap) -> list[dict[str, Any]]:
    return [
        {
            "line": number,
            "kind": line.kind,
            "sprint": line.sprint,
            "function": line.function.number,
            "starts_on": line.starts_on,
            "ends_on": line.ends_on,
            "detail": json.dumps(line.to_dict(), default=_encode, sort_keys=True),
        }
        for number, line in enumerate(roadmap.lines, start=1)
    ]


def _latest_id(workspace: Workspace) -> int | None:
    table = workspace.store.table(TABLE)
    found = workspace.store.fetch(table.roadmap_id.max())
    if found is None or found != found:
        return None
    return int(found)


def _lines(workspace: Workspace, roadmap_id: int) -> list[dict[str, Any]]:
    table = workspace.store.table(TABLE)
    chosen = table.filter(table.roadmap_id == roadmap_id).order_by("line")
    return workspace.store.rows(chosen)


def save_roadmap(workspace: Workspace, roadmap: Roadmap) -> int:
    """Store the roadmap unless the latest saved one is identical; return its id."""
    rows = _rows_of(roadmap)
    latest = _latest_id(workspace)
    if latest is not None:
        stored = [
            {key: row[key] for key in rows[0]} for row in _lines(workspace, latest)
        ]
        if stored == rows:
            roadmap.roadmap_id, roadmap.saved = latest, False
            log.info("roadmap unchanged since roadmap %s; not saved again", latest)
            return latest
    new_id = (latest or 0) + 1
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for row in rows:
        row.update(roadmap_id=new_id, created_at=created, as_of=roadmap.as_of)
    workspace.store.insert_rows(TABLE, rows)
    roadmap.roadmap_id, roadmap.saved = new_id, True
    log.info("saved roadmap %s with %s lines", new_id, len(rows))
    return new_id


def load_latest_roadmap(workspace: Workspace) -> dict[str, Any] | None:
    """Return the latest saved roadmap: id, when it was made, and its lines."""
    latest = _latest_id(workspace)
    if latest is None:
        return None
    rows = _lines(workspace, latest)
    return {
        "roadmap_id": latest,
        "created_at": rows[0]["created_at"],
        "as_of": rows[0]["as_of"],
        "lines": [json.loads(row["detail"]) for row in rows],
    }


def get_current_sprint(workspace: Workspace, day: dt.date) -> dict[str, Any] | None:
    """Return the sprint of the latest saved roadmap that contains ``day``, if any."""
    latest = _latest_id(workspace)
    if latest is None:
        return None
    for row in _lines(workspace, latest):
        if row["kind"] != "sprint":
            continue
        if row["starts_on"] <= day <= row["ends_on"]:
            return {"roadmap_id": latest, **json.loads(row["detail"])}
    return None
