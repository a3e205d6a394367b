"""Helpers for the leadership, comp, adherence and activity tests.

Rows go into a real workspace through the store's import path. Settings are
written to revarch.yaml, so the CLI reads the same workspace as the core
functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from revarch.workspace import Workspace
from tests.metrics_support import load

D = dt.date
T = dt.datetime

__all__ = ["D", "T", "activity", "event", "load", "opportunity", "write_settings"]


def write_settings(workspace: Workspace, **sections: Any) -> None:
    """Merge top-level sections into revarch.yaml and reload the settings."""
    path = workspace.config_path
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.update(sections)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    workspace.reload_settings()


def opportunity(id: str, seller: str, **fields: Any) -> dict[str, Any]:
    """Return an opportunity row in USD; unnamed columns are None, status open."""
    row: dict[str, Any] = {
        "id": id,
        "name": f"Opportunity {id}",
        "seller_id": seller,
        "created_at": T(2025, 1, 2),
        "close_date": None,
        "amount": None,
        "currency": "USD",
        "margin": None,
        "stage_label": None,
        "status": "open",
        "status_corrected": False,
        "is_merged": False,
        "is_deleted": False,
    }
    row.update(fields)
    return row


def event(
    number: int,
    opportunity_id: str,
    label: str,
    when: dt.datetime,
    *,
    close_date: dt.date | None = None,
    amount: float | None = None,
) -> dict[str, Any]:
    """Return one stage history row; ``number`` orders rows and keys them."""
    return {
        "opportunity_id": opportunity_id,
        "stage_label": label,
        "entered_at": when,
        "amount": amount,
        "close_date": close_date,
        "seq": number,
        "source_id": f"h{number}",
    }


def activity(
    id: str,
    seller: str | None,
    kind: str,
    when: dt.datetime,
    *,
    opportunity_id: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """Return one activity row."""
    return {
        "id": id,
        "seller_id": seller,
        "opportunity_id": opportunity_id,
        "type": kind,
        "subject": subject,
        "occurred_at": when,
    }
