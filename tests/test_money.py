"""Conversion to the base currency with the rate in effect on each date."""

from __future__ import annotations

import datetime as dt

import pytest

from revarch.errors import InputError
from revarch.money import amount_date, convert_to_base
from revarch.workspace import Workspace
from tests.metrics_support import load, opportunity

D = dt.date

# EUR: 1.10 from 2024-01-01, 1.20 from 2024-03-01. GBP: 1.25 from 2024-06-01.
RATES = [
    {"currency": "EUR", "date": D(2024, 1, 1), "rate": 1.10},
    {"currency": "EUR", "date": D(2024, 3, 1), "rate": 1.20},
    {"currency": "GBP", "date": D(2024, 6, 1), "rate": 1.25},
]


def _converted(workspace: Workspace) -> dict[str, float | None]:
    table = workspace.store.table("opportunities")
    zone = workspace.settings.company.timezone
    table = table.mutate(fx_date=amount_date(table, zone))
    result = convert_to_base(workspace, table, amounts=["amount"], label="id")
    return {row["id"]: row["amount_base"] for row in workspace.store.rows(result)}


def _won(id: str, close: dt.date, amount: float, currency: str) -> dict:
    return opportunity(
        id,
        created_at=dt.datetime(2023, 12, 1),
        close_date=close,
        amount=amount,
        currency=currency,
        status="won",
    )


def test_rate_before_at_after_change(workspace: Workspace) -> None:
    load(workspace, "fx_rates", RATES)
    load(
        workspace,
        "opportunities",
        [
            _won("before", D(2024, 2, 29), 100.0, "EUR"),
            _won("at", D(2024, 3, 1), 100.0, "EUR"),
            _won("after", D(2024, 7, 15), 100.0, "EUR"),
            _won("first-day", D(2024, 1, 1), 10.0, "EUR"),
        ],
    )
    converted = _converted(workspace)
    assert converted["before"] == pytest.approx(110.0)
    assert converted["at"] == pytest.approx(120.0)
    assert converted["after"] == pytest.approx(120.0)
    assert converted["first-day"] == pytest.approx(11.0)


def test_base_currency_needs_no_rate(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [
            _won("usd", D(2020, 1, 1), 70.0, "USD"),
            _won("lower", D(2020, 1, 1), 5.0, "usd"),
            _won("blank", D(2020, 1, 1), 3.0, None),  # type: ignore[arg-type]
        ],
    )
    assert _converted(workspace) == {"usd": 70.0, "lower": 5.0, "blank": 3.0}


def test_open_uses_creation_date(workspace: Workspace) -> None:
    load(workspace, "fx_rates", RATES)
    load(
        workspace,
        "opportunities",
        [
            opportunity(
                "open",
                created_at=dt.datetime(2024, 2, 10),
                close_date=D(2024, 9, 30),
                amount=100.0,
                currency="EUR",
            )
        ],
    )
    assert _converted(workspace)["open"] == pytest.approx(110.0)


def test_missing_rate_names_currency_and_date(workspace: Workspace) -> None:
    load(workspace, "fx_rates", RATES)
    load(
        workspace,
        "opportunities",
        [
            _won("eur", D(2024, 5, 1), 100.0, "EUR"),
            _won("gbp-early", D(2024, 5, 31), 40.0, "GBP"),
            _won("gbp-late", D(2024, 6, 2), 40.0, "GBP"),
        ],
    )
    with pytest.raises(InputError) as raised:
        _converted(workspace)
    message = str(raised.value)
    assert "currency GBP" in message
    assert "on or before 2024-05-31" in message
    assert "1 amount(s)" in message
    assert "gbp-early" in message


def test_rate_before_any_rate_fails(workspace: Workspace) -> None:
    load(workspace, "fx_rates", RATES)
    load(workspace, "opportunities", [_won("old", D(2023, 12, 31), 1.0, "EUR")])
    with pytest.raises(InputError, match=r"EUR on or before 2023-12-31"):
        _converted(workspace)


def test_unknown_currency_fails(workspace: Workspace) -> None:
    load(workspace, "opportunities", [_won("jpy", D(2024, 1, 1), 1000.0, "JPY")])
    with pytest.raises(InputError, match=r"currency JPY on or before 2024-01-01"):
        _converted(workspace)


def test_null_amount_needs_no_rate(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [
            opportunity(
                "no-amount",
                created_at=dt.datetime(2024, 1, 1),
                currency="CHF",
                status="open",
            )
        ],
    )
    assert _converted(workspace) == {"no-amount": None}


def test_deleted_rate_not_used(workspace: Workspace) -> None:
    load(workspace, "fx_rates", RATES)
    load(
        workspace,
        "fx_rates",
        [{"currency": "EUR", "date": D(2024, 4, 1), "rate": 9.0, "is_deleted": True}],
        source="old-rates",
    )
    load(workspace, "opportunities", [_won("x", D(2024, 4, 2), 100.0, "EUR")])
    assert _converted(workspace)["x"] == pytest.approx(120.0)
