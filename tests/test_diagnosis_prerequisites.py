"""Prerequisites checked from a small workspace with hand-computed numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from revarch.diagnosis.prerequisites import check_prerequisites, months_between
from revarch.workspace import Workspace
from tests.metrics_support import load
from tests.test_diagnosis_support import at, seed_small_company, update_settings


def checks(workspace: Workspace) -> dict[str, dict]:
    result = check_prerequisites(workspace).to_dict()
    return {check["id"]: check for check in result["checks"]}


def test_small_company_by_hand(workspace: Workspace) -> None:
    seed_small_company(workspace)
    result = check_prerequisites(workspace)
    found = {check.id: check for check in result.checks}
    assert result.as_of == dt.date(2025, 6, 30)
    assert result.span.since == dt.date(2024, 7, 1)
    # o2 400,000 USD + o3 300,000 EUR x 1.1; o1 closed before the window.
    assert found["bookings"].value == pytest.approx(730_000.0)
    assert not found["bookings"].passed
    assert (
        "founder-led selling is still optimal" in found["bookings"].to_dict()["meaning"]
    )
    assert found["sellers"].value == 2
    assert found["sellers"].passed
    # First event 2024-01-10 (o1 created) to 2025-06-30: 17 whole months.
    assert found["history"].value == 17
    assert found["history"].passed
    assert found["tracked_activity"].value == 0
    assert not found["tracked_activity"].passed
    assert found["tracked_conversion"].value == 0
    # Won with owner and amount in 2024-09 and 2025-02 only.
    assert found["tracked_revenue_per_seller"].value == 2
    assert (
        "none in 2024-07, 2024-08, 2024-10"
        in found["tracked_revenue_per_seller"].evidence
    )
    assert not result.passed


def test_bookings_line_from_settings(workspace: Workspace) -> None:
    seed_small_company(workspace)
    thresholds = workspace.settings.thresholds.model_dump()
    update_settings(
        workspace, thresholds={**thresholds, "prerequisite_min_bookings": 700_000}
    )
    found = checks(workspace)
    assert found["bookings"]["passed"]
    assert found["bookings"]["required"] == 700_000
    assert found["bookings"]["meaning"] is None


def test_monthly_activity_tracked(workspace: Workspace) -> None:
    seed_small_company(workspace)
    months = [(2024, month) for month in range(7, 13)] + [
        (2025, month) for month in range(1, 7)
    ]
    rows = [
        {
            "id": f"a{year}{month}",
            "seller_id": "s1",
            "type": "call",
            "occurred_at": at(f"{year}-{month:02d}-15 12:00"),
        }
        for year, month in months
    ]
    load(workspace, "activities", rows)
    found = checks(workspace)
    assert found["tracked_activity"]["value"] == 12
    assert found["tracked_activity"]["passed"]


def test_one_seller_fails(workspace: Workspace) -> None:
    seed_small_company(workspace)
    load(workspace, "sellers", [{"id": "s2", "name": "Ben", "is_seller": False}])
    found = checks(workspace)
    assert found["sellers"]["value"] == 1
    assert not found["sellers"]["passed"]


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        ("2024-01-10", "2025-06-30", 17),
        ("2024-06-30", "2025-06-29", 11),
        ("2024-06-30", "2025-06-30", 12),
        ("2025-03-01", "2025-03-01", 0),
    ],
)
def test_months_between(first: str, last: str, months: int) -> None:
    assert (
        months_between(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        == months
    )
