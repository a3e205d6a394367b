"""The stored outcome rows, the stored exchange rates and the stored as-of date.

The workspace: Ann (team East, manager Mia) owns three opportunities, Bob one.
EUR is 1.25 USD from 2024-01-01 and 1.50 from 2024-04-01. USD is 0.80 EUR
from 2024-01-01, for the test that makes EUR the base currency.

| id | seller | created (UTC)    | status | close      | amount  |
|----|--------|------------------|--------|------------|---------|
| o1 | Ann    | 2024-01-10 12:00 | won    | 2024-02-09 | 1000    |
| o2 | Ann    | 2024-03-01 03:00 | won    | 2024-04-11 | 800 EUR |
| o3 | Ann    | 2024-02-01 12:00 | lost   | 2024-03-01 | 500     |
| o4 | Bob    | 2024-03-05 12:00 | open   | 2024-06-30 | 200 EUR |
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from revarch.errors import InputError
from revarch.metrics import compute_metrics
from revarch.metrics.pipeline import compute_pipeline
from revarch.process import compute_stalls, compute_velocity, ensure_derived
from revarch.process.derived import OUTCOMES_TABLE, SUMMARY_TABLE
from revarch.timeframe import AS_OF_META_KEY, compute_as_of
from revarch.workspace import Workspace, open_workspace
from tests.metrics_support import load, opportunity

from .process_support import FOUR_STAGES, set_process
from .process_support import load as load_history
from .process_support import opportunity as process_opportunity

D = dt.date
T = dt.datetime


def _fill(workspace: Workspace) -> Workspace:
    load(
        workspace,
        "sellers",
        [
            {"id": "s1", "name": "Ann", "manager_id": "m1", "team": "East"},
            {"id": "s2", "name": "Bob", "manager_id": "m1", "team": None},
            {"id": "m1", "name": "Mia", "manager_id": None, "team": None},
        ],
    )
    load(
        workspace,
        "fx_rates",
        [
            {"currency": "EUR", "date": D(2024, 1, 1), "rate": 1.25},
            {"currency": "EUR", "date": D(2024, 4, 1), "rate": 1.50},
            {"currency": "USD", "date": D(2024, 1, 1), "rate": 0.80},
        ],
    )
    rows = [
        ("o1", "s1", T(2024, 1, 10, 12), "won", D(2024, 2, 9), 1000.0, "USD"),
        ("o2", "s1", T(2024, 3, 1, 3), "won", D(2024, 4, 11), 800.0, "EUR"),
        ("o3", "s1", T(2024, 2, 1, 12), "lost", D(2024, 3, 1), 500.0, "USD"),
        ("o4", "s2", T(2024, 3, 5, 12), "open", D(2024, 6, 30), 200.0, "EUR"),
    ]
    load(
        workspace,
        "opportunities",
        [
            opportunity(
                id,
                seller_id=seller,
                created_at=created,
                status=status,
                close_date=close,
                amount=amount,
                currency=currency,
            )
            for id, seller, created, status, close, amount, currency in rows
        ],
    )
    return workspace


def _stored(workspace: Workspace, table: str) -> dict[str, dict[str, Any]]:
    ensure_derived(workspace)
    rows = workspace.store.rows(workspace.store.table(table))
    return {row["opportunity_id"]: row for row in rows}


def test_outcomes_stored_with_base_amounts(workspace: Workspace) -> None:
    rows = _stored(_fill(workspace), OUTCOMES_TABLE)
    assert rows["o1"]["amount_base"] == pytest.approx(1000.0)
    # Closed: the rate on the close date. Open: on the creation date.
    assert rows["o2"]["amount_base"] == pytest.approx(800.0 * 1.50)
    assert rows["o4"]["amount_base"] == pytest.approx(200.0 * 1.25)
    assert rows["o1"]["seller_name"] == "Ann"
    assert rows["o1"]["manager_name"] == "Mia"
    assert rows["o1"]["team"] == "East"
    assert rows["o4"]["team"] is None
    assert rows["o2"]["created_date"] == D(2024, 3, 1)


def test_currency_change_rebuilds(workspace: Workspace) -> None:
    _fill(workspace)
    usd = compute_metrics(workspace, by=None).totals["bookings"]
    assert usd == pytest.approx(1000.0 + 800.0 * 1.50)
    workspace.settings.company.currency = "EUR"
    eur = compute_metrics(workspace, by=None).totals["bookings"]
    assert eur == pytest.approx(1000.0 * 0.80 + 800.0)
    assert _stored(workspace, SUMMARY_TABLE)["o2"]["fx_rate"] == 1.0


def test_timezone_change_rebuilds(workspace: Workspace) -> None:
    _fill(workspace)
    assert _stored(workspace, OUTCOMES_TABLE)["o2"]["created_date"] == D(2024, 3, 1)
    workspace.settings.company.timezone = "America/Los_Angeles"
    rows = _stored(workspace, OUTCOMES_TABLE)
    assert rows["o2"]["created_date"] == D(2024, 2, 29)
    assert rows["o1"]["created_date"] == D(2024, 1, 10)


def test_missing_rate_fails_analysis_not_build(workspace: Workspace) -> None:
    _fill(workspace)
    load(
        workspace,
        "opportunities",
        [
            opportunity(
                "o5",
                seller_id="s2",
                created_at=T(2024, 3, 2, 12),
                status="won",
                close_date=D(2024, 3, 20),
                amount=50.0,
                currency="GBP",
            )
        ],
    )
    summary = _stored(workspace, SUMMARY_TABLE)
    assert summary["o5"]["fx_rate"] is None
    assert summary["o5"]["fx_date"] == D(2024, 3, 20)
    for analysis in (
        lambda: compute_metrics(workspace, by="seller"),
        lambda: compute_pipeline(workspace, since=D(2024, 1, 1), until=D(2024, 6, 1)),
    ):
        with pytest.raises(InputError) as raised:
            analysis()
        message = str(raised.value)
        assert "currency GBP on or before 2024-03-20" in message
        assert "1 amount(s)" in message
        assert "(for example o5)" in message


def test_as_of_stored_and_reused(workspace: Workspace) -> None:
    _fill(workspace)
    assert compute_as_of(workspace) == D(2024, 4, 11)
    stored = workspace.store.get_meta(AS_OF_META_KEY)
    assert stored is not None
    assert stored.endswith("=2024-04-11")
    # A stored date for the current data version is read, not recomputed.
    key = stored.rpartition("=")[0]
    workspace.store.set_meta(AS_OF_META_KEY, f"{key}=2024-05-01")
    workspace.close()
    reopened = open_workspace(workspace.path)
    with reopened:
        assert compute_as_of(reopened) == D(2024, 5, 1)


def test_as_of_recomputed_when_data_changes(workspace: Workspace) -> None:
    _fill(workspace)
    assert compute_as_of(workspace) == D(2024, 4, 11)
    load(
        workspace,
        "activities",
        [{"id": "a1", "type": "call", "occurred_at": T(2024, 5, 2, 3)}],
    )
    assert compute_as_of(workspace) == D(2024, 5, 2)
    workspace.settings.company.timezone = "America/New_York"
    assert compute_as_of(workspace) == D(2024, 5, 1)


def _history(workspace: Workspace) -> None:
    load_history(
        workspace,
        [
            process_opportunity("a", "Qualification", amount=90.0),
            process_opportunity("b", "Negotiation", amount=40.0),
            process_opportunity("c", "Closed Won", close_date=D(2024, 3, 1)),
            process_opportunity("d", "Prospecting", amount=10.0),
            process_opportunity("e", "Qualification"),
        ],
        [
            ("a", "Prospecting", "2024-01-01"),
            ("a", "Qualification", "2024-01-05"),
            ("b", "Prospecting", "2024-01-02"),
            ("b", "Negotiation", "2024-01-20"),
            ("c", "Prospecting", "2024-01-03"),
            ("c", "Closed Won", "2024-02-01"),
            ("d", "Prospecting", "2024-01-01"),
        ],
    )
    set_process(workspace, FOUR_STAGES)


def test_velocity_without_detail(workspace: Workspace) -> None:
    _history(workspace)
    full = compute_velocity(workspace)
    short = compute_velocity(workspace, detail=False)
    assert short.stages == full.stages
    assert short.to_dict() == full.to_dict()
    assert len(full.opportunities) > 0
    assert short.opportunities.empty
    assert list(short.opportunities.columns) == list(full.opportunities.columns)
    assert short.open_ages.empty
    assert list(short.open_ages.columns) == list(full.open_ages.columns)


def test_stalls_dict_matches_asdict(workspace: Workspace) -> None:
    _history(workspace)
    result = compute_stalls(workspace)
    data = result.to_dict()
    # d: 60 days in Prospect against a p90 of 26.8 (visits of 4, 18, 29 days).
    assert [o.id for o in result.opportunities] == ["d"]
    assert [o.id for o in result.age_unknown] == ["e"]
    expected = [dataclasses.asdict(o) for o in result.opportunities]
    assert data["opportunities"] == expected
    unknown = [dataclasses.asdict(o) for o in result.age_unknown]
    assert data["age_unknown"] == unknown
