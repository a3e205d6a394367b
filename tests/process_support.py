"""Helpers for process tests: load hand-made histories into a real workspace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis

from revarch.storage import TableLoad
from revarch.workspace import Workspace

OPPORTUNITY_SCHEMA = {
    "id": "string",
    "name": "string",
    "seller_id": "string",
    "created_at": "timestamp",
    "close_date": "date",
    "amount": "float64",
    "currency": "string",
    "pipeline": "string",
    "stage_label": "string",
    "status": "string",
}
EVENT_SCHEMA = {
    "opportunity_id": "string",
    "stage_label": "string",
    "entered_at": "timestamp",
    "amount": "float64",
    "sort_order": "int32",
    "seq": "int32",
    "source_id": "string",
}
LABEL_SCHEMA = {
    "label": "string",
    "pipeline": "string",
    "sort_order": "int32",
    "is_closed": "boolean",
    "is_won": "boolean",
}

# An event: (opportunity id, raw label, when) or with a fourth item, the amount.
Event = tuple[Any, ...]


def day(text: str) -> dt.datetime:
    """Return midnight of an ISO date as a naive UTC timestamp."""
    return dt.datetime.fromisoformat(text)


def opportunity(id: str, stage_label: str, **fields: Any) -> dict[str, Any]:
    """Return an opportunity row; status follows the label unless given."""
    lowered = stage_label.lower()
    status = "open"
    if "won" in lowered:
        status = "won"
    elif "lost" in lowered:
        status = "lost"
    row: dict[str, Any] = {column: None for column in OPPORTUNITY_SCHEMA}
    row.update(
        id=id,
        name=f"Opportunity {id}",
        seller_id="s1",
        created_at=day("2024-01-01"),
        currency="USD",
        stage_label=stage_label,
        status=status,
    )
    row.update(fields)
    return row


def event_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Turn (opportunity, label, time[, amount]) tuples into stage_events rows."""
    rows = []
    for seq, item in enumerate(events):
        opportunity_id, label, when = item[:3]
        amount = item[3] if len(item) > 3 else None
        rows.append(
            {
                "opportunity_id": opportunity_id,
                "stage_label": label,
                "entered_at": when if isinstance(when, dt.datetime) else day(when),
                "amount": amount,
                "sort_order": None,
                "seq": seq,
                "source_id": f"h{seq}",
            }
        )
    return rows


def load(
    workspace: Workspace,
    opportunities: Sequence[dict[str, Any]],
    events: Sequence[Event] = (),
    *,
    labels: Sequence[dict[str, Any]] = (),
    source: str = "test",
) -> None:
    """Import opportunities, their history and stage labels as one full export."""
    loads = [
        TableLoad(
            "opportunities",
            ibis.memtable(list(opportunities), schema=OPPORTUNITY_SCHEMA),
            "opportunities.csv",
        )
    ]
    if events:
        loads.append(
            TableLoad(
                "stage_events",
                ibis.memtable(event_rows(events), schema=EVENT_SCHEMA),
                "history.csv",
            )
        )
    if labels:
        loads.append(
            TableLoad(
                "stage_labels",
                ibis.memtable(list(labels), schema=LABEL_SCHEMA),
                "stages.csv",
            )
        )
    workspace.store.apply_import(
        importer="test",
        source=source,
        files=[load.file for load in loads],
        loads=loads,
        full_export=True,
        rows_read=len(opportunities) + len(events),
    )


def set_process(workspace: Workspace, process: dict[str, Any]) -> None:
    """Replace the process definition in the workspace's settings (in memory)."""
    from revarch.config import Process

    workspace.settings.process = Process.model_validate(process)


FOUR_STAGES = {
    "stages": [
        {"id": "prospect", "label": "Prospect", "aliases": ["Prospecting"]},
        {"id": "qualify", "label": "Qualify", "aliases": ["Qualification"]},
        {"id": "propose", "label": "Propose", "aliases": ["Proposal"]},
        {"id": "negotiate", "label": "Negotiate", "aliases": ["Negotiation"]},
    ],
    "won_labels": ["Closed Won"],
    "lost_labels": ["Closed Lost"],
}
