"""Forecast accuracy on hand-made snapshots, worked out by hand.

Workspace timezone America/New_York, as of 2025-07-15. Mia (m1) manages Ann
(s1) and Bob (s2); Raj (m2) manages Cy (s3).

Bookings: 2025-Q1 Ann 60,000 + Bob 40,000 = 100,000 for Mia, 0 for Raj;
2025-Q2 Ann 50,000 for Mia, Cy 30,000 for Raj.

Q1 closes at the end of 2025-03-31 in New York: 2025-04-01 04:00 UTC.

- Mia Q1: 90,000 (Jan 6), 108,000 (Mar 3), 105,000 (Apr 1 03:00 UTC, still
  on time), 130,000 (Apr 2, late). Used: 105,000: error 5,000, bias 0.05,
  accuracy 0.95, within 10%.
- Raj Q1: 20,000 against an actual of 0: absolute error 20,000 only.
- Mia Q2: no submission: missing.
- Raj Q2: only a late submission (July 2): late, not used.
- Q3 is in progress on the as-of date: open.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.leadership import (
    compute_forecast_accuracy,
    import_forecasts,
    list_forecasts,
    submit_forecast,
)
from revarch.leadership.report import report_section_forecast
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_leadership_support import D, T, load, opportunity

SNAPSHOTS = [
    ("m1", "2025-Q1", 90_000.0, T(2025, 1, 6, 15)),
    ("m1", "2025-Q1", 108_000.0, T(2025, 3, 3, 15)),
    ("m1", "2025-Q1", 105_000.0, T(2025, 4, 1, 3)),
    ("m1", "2025-Q1", 130_000.0, T(2025, 4, 2, 15)),
    ("m2", "2025-Q1", 20_000.0, T(2025, 2, 1, 15)),
    ("m2", "2025-Q2", 35_000.0, T(2025, 7, 2, 15)),
]


def _won(id: str, seller: str, close: dt.date, amount: float) -> dict:
    return opportunity(
        id, seller, status="won", close_date=close, amount=amount, stage_label="Won"
    )


def _team(workspace: Workspace) -> None:
    load(
        workspace,
        "sellers",
        [
            {"id": "m1", "name": "Mia", "manager_id": None, "is_seller": False},
            {"id": "m2", "name": "Raj", "manager_id": None, "is_seller": False},
            {"id": "s1", "name": "Ann", "manager_id": "m1", "is_seller": True},
            {"id": "s2", "name": "Bob", "manager_id": "m1", "is_seller": True},
            {"id": "s3", "name": "Cy", "manager_id": "m2", "is_seller": True},
        ],
    )
    load(
        workspace,
        "opportunities",
        [
            _won("o1", "s1", D(2025, 2, 10), 60_000.0),
            _won("o2", "s2", D(2025, 3, 20), 40_000.0),
            _won("o3", "s1", D(2025, 5, 5), 50_000.0),
            _won("o4", "s3", D(2025, 6, 1), 30_000.0),
        ],
    )


def _fill(workspace: Workspace) -> None:
    _team(workspace)
    for manager, period, amount, when in SNAPSHOTS:
        submit_forecast(
            workspace, manager=manager, period=period, amount=amount, submitted_at=when
        )


@pytest.fixture(scope="module")
def managers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the team, bookings and snapshots above (read only)."""
    folder = tmp_path_factory.mktemp("forecast") / "ws"
    init_workspace(folder, name="Forecast Co", timezone="America/New_York")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


@pytest.fixture(scope="module")
def rows(managers: Workspace) -> dict[tuple[str, str], dict]:
    result = compute_forecast_accuracy(managers, as_of="2025-07-15")
    return {(row["manager"], row["period"]): row for row in result.rows}


def test_accuracy_latest_before_close(rows: dict) -> None:
    row = rows[("m1", "2025-Q1")]
    assert row["status"] == "scored"
    assert row["forecast"] == 105_000.0
    assert row["actual"] == 100_000.0
    assert row["error"] == 5_000.0
    assert row["bias"] == pytest.approx(0.05)
    assert row["accuracy"] == pytest.approx(0.95)
    assert row["within_tolerance"] is True


def test_accuracy_late_snapshot_not_used(rows: dict) -> None:
    row = rows[("m1", "2025-Q1")]
    assert row["late_submissions"] == 1
    assert row["late_submitted_at"] == [T(2025, 4, 2, 15)]
    assert row["submissions"] == 3


def test_accuracy_actual_zero_abs_only(rows: dict) -> None:
    row = rows[("m2", "2025-Q1")]
    assert row["status"] == "scored"
    assert row["actual"] == 0.0
    assert row["abs_error"] == 20_000.0
    assert row["bias"] is None
    assert row["accuracy"] is None
    assert row["within_tolerance"] is None


def test_accuracy_missing_period_reported(rows: dict) -> None:
    row = rows[("m1", "2025-Q2")]
    assert row["status"] == "missing"
    assert row["forecast"] is None
    assert row["actual"] == 50_000.0


def test_accuracy_only_late_reported(rows: dict) -> None:
    row = rows[("m2", "2025-Q2")]
    assert row["status"] == "late"
    assert row["forecast"] is None
    assert row["error"] is None


def test_accuracy_open_period(rows: dict) -> None:
    assert rows[("m1", "2025-Q3")]["status"] == "open"
    assert rows[("m1", "2025-Q3")]["accuracy"] is None


def test_accuracy_weekly_snapshots(rows: dict) -> None:
    weeks = {w["week"]: w for w in rows[("m1", "2025-Q1")]["snapshots"]}
    assert weeks["2025-W01"]["forecast"] is None
    assert weeks["2025-W02"]["forecast"] == 90_000.0
    assert weeks["2025-W02"]["accuracy"] == pytest.approx(0.90)
    assert weeks["2025-W02"]["within_tolerance"] is True
    assert weeks["2025-W10"]["forecast"] == 108_000.0
    assert weeks["2025-W14"]["forecast"] == 105_000.0


def test_accuracy_manager_summary(managers: Workspace) -> None:
    result = compute_forecast_accuracy(managers, as_of="2025-07-15")
    summary = {m["manager"]: m for m in result.managers}
    assert summary["m1"]["mape"] == pytest.approx(0.05)
    assert summary["m1"]["within_tolerance"] == 1
    assert summary["m1"]["missing"] == 1
    assert summary["m2"]["mape"] is None
    assert summary["m2"]["actual_zero"] == 1
    assert summary["m2"]["late"] == 1


def test_forecasts_listed_never_overwritten(managers: Workspace) -> None:
    listed = list_forecasts(managers, manager="Mia", period="2025-Q1")
    assert [r["amount"] for r in listed] == [90_000.0, 108_000.0, 105_000.0, 130_000.0]
    assert [r["late"] for r in listed] == [False, False, False, True]


def test_submit_unknown_manager(managers: Workspace) -> None:
    with pytest.raises(InputError, match="unknown --manager 'Zed'"):
        submit_forecast(managers, manager="Zed", period="2025-Q3", amount=1)


def test_submit_invalid_period(managers: Workspace) -> None:
    with pytest.raises(InputError, match="invalid --period '2025-Q7'"):
        submit_forecast(managers, manager="m1", period="2025-Q7", amount=1)


def test_import_forecasts_file(workspace: Workspace, tmp_path: Path) -> None:
    _fill(workspace)
    path = tmp_path / "forecasts.csv"
    path.write_text(
        "Manager,Period,Amount,Submitted At,Category\n"
        'Mia,2025-q3,"120,000",2025-07-07 09:00,Commit\n'
        "m2,2025-Q3,40000,2025-07-07T13:00:00Z,best case\n",
        encoding="utf-8",
    )
    zone = "America/New_York"
    result = import_forecasts(workspace, path, timezone=zone)
    assert (result.inserted, result.unchanged) == (2, 0)
    again = import_forecasts(workspace, path, timezone=zone)
    assert (again.inserted, again.unchanged) == (0, 2)
    listed = list_forecasts(workspace, period="2025-Q3")
    mia = next(r for r in listed if r["manager_id"] == "m1")
    # 09:00 in New York (EDT) is 13:00 UTC.
    assert mia["submitted_at"] == T(2025, 7, 7, 13)
    assert mia["amount"] == 120_000.0
    assert mia["category"] == "commit"
    raj = next(r for r in listed if r["manager_id"] == "m2")
    assert raj["category"] == "best_case"


def test_import_invalid_row_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    _fill(workspace)
    before = len(list_forecasts(workspace))
    path = tmp_path / "bad.csv"
    path.write_text(
        "manager,period,amount,submitted_at\n"
        "m1,2025-Q3,1000,2025-07-01\n"
        "m1,2025-Q3,lots,2025-07-02\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="bad.csv row 3 column amount"):
        import_forecasts(workspace, path)
    assert len(list_forecasts(workspace)) == before


def test_forecast_cli_accuracy_json(managers: Workspace) -> None:
    managers.close()
    result = CliRunner().invoke(
        app,
        ["-w", str(managers.path), "forecast", "accuracy", "--as-of", "2025-07-15",
         "--by", "manager", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["window"]["as_of"] == "2025-07-15"
    assert {m["manager"] for m in data["managers"]} == {"m1", "m2"}


def test_forecast_cli_lists_alone(managers: Workspace) -> None:
    managers.close()
    result = CliRunner().invoke(app, ["-w", str(managers.path), "forecast", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["rows"]) == len(SNAPSHOTS)


# -- what is known as of a date ------------------------------------------------------


def _end_of_day_utc(day: dt.date) -> dt.datetime:
    """Return when ``day`` ends in New York, as naive UTC, worked out apart."""
    zone = zoneinfo.ZoneInfo("America/New_York")
    local = dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)
    return (local.astimezone(dt.UTC) + dt.timedelta(seconds=1)).replace(tzinfo=None)


def _known(day: dt.date, manager: str, period: str) -> list[tuple[float, dt.datetime]]:
    cutoff = _end_of_day_utc(day)
    return [
        (amount, when)
        for person, name, amount, when in SNAPSHOTS
        if person == manager and name == period and when < cutoff
    ]


def test_as_of_leaves_out_later_snapshots(managers: Workspace) -> None:
    # As of 2025-03-05 Mia's Q1 calls are those of Jan 6 and Mar 3.
    known = _known(D(2025, 3, 5), "m1", "2025-Q1")
    assert [a for a, _ in known] == [90_000.0, 108_000.0]
    result = compute_forecast_accuracy(managers, as_of="2025-03-05")
    row = next(
        r for r in result.rows if (r["manager"], r["period"]) == ("m1", "2025-Q1")
    )
    assert row["status"] == "open"
    assert row["forecast"] == max(known, key=lambda k: k[1])[0]
    assert row["submissions"] == len(known)
    assert all(w["forecast"] != 105_000.0 for w in row["snapshots"])
    assert any("submitted after the as-of date" in n for n in result.notes)


def test_as_of_late_snapshot_unknown_before(managers: Workspace) -> None:
    # The late call of Apr 2 (15:00 UTC) does not exist yet at the end of Apr 1.
    result = compute_forecast_accuracy(managers, as_of="2025-04-01")
    row = next(
        r for r in result.rows if (r["manager"], r["period"]) == ("m1", "2025-Q1")
    )
    assert row["late_submissions"] == 0
    assert row["forecast"] == 105_000.0
    later = compute_forecast_accuracy(managers, as_of="2025-04-02")
    row = next(
        r for r in later.rows if (r["manager"], r["period"]) == ("m1", "2025-Q1")
    )
    assert row["late_submissions"] == 1


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Workspace]:
    """A New York workspace with the team and bookings above, no forecast."""
    init_workspace(tmp_path / "ws", name="Forecast Co", timezone="America/New_York")
    with open_workspace(tmp_path / "ws") as workspace:
        _team(workspace)
        yield workspace


def test_as_of_end_of_local_day(team: Workspace) -> None:
    # 2025-07-15 ends in New York (EDT, UTC-4) at 2025-07-16 04:00 UTC.
    edge = _end_of_day_utc(D(2025, 7, 15))
    assert edge == T(2025, 7, 16, 4)
    calls = [
        (100_000.0, T(2025, 7, 8, 15)),
        (110_000.0, edge - dt.timedelta(seconds=1)),
        (120_000.0, edge),
    ]
    for amount, when in calls:
        submit_forecast(
            team, manager="m1", period="2025-Q3", amount=amount, submitted_at=when
        )
    rows = compute_forecast_accuracy(team, as_of="2025-07-15").rows
    row = next(r for r in rows if (r["manager"], r["period"]) == ("m1", "2025-Q3"))
    assert row["forecast"] == 110_000.0
    assert row["snapshots"][-1]["week"] == "2025-W29"
    assert row["snapshots"][-1]["forecast"] == 110_000.0
    rows = compute_forecast_accuracy(team, as_of="2025-07-16").rows
    row = next(r for r in rows if (r["manager"], r["period"]) == ("m1", "2025-Q3"))
    assert row["forecast"] == 120_000.0


# -- currencies --------------------------------------------------------------------


def test_submit_currency_without_rate(team: Workspace) -> None:
    before = team.store.snapshot()
    with pytest.raises(InputError) as error:
        submit_forecast(
            team, manager="m1", period="2025-Q4", amount=100, currency="XYZ"
        )
    message = str(error.value)
    assert "--currency 'XYZ'" in message
    assert "fx_rates" in message
    assert "USD" in message
    assert team.store.snapshot() == before


def test_submit_currency_rate_dates(team: Workspace) -> None:
    load(team, "fx_rates", [{"currency": "EUR", "date": D(2025, 4, 1), "rate": 1.2}])
    with pytest.raises(InputError, match="dated on or before 2025-01-01"):
        submit_forecast(team, manager="m1", period="2025-Q1", amount=1, currency="EUR")
    row = submit_forecast(
        team, manager="m1", period="2025-Q2", amount=50_000, currency="eur",
        submitted_at=T(2025, 4, 10, 15),
    )  # fmt: skip
    assert row["currency"] == "EUR"
    rows = compute_forecast_accuracy(team, as_of="2025-07-15").rows
    found = next(r for r in rows if (r["manager"], r["period"]) == ("m1", "2025-Q2"))
    # 50,000 EUR at 1.2 USD per EUR against Ann's 50,000 USD.
    assert found["forecast"] == pytest.approx(60_000.0)
    assert found["error"] == pytest.approx(10_000.0)


def test_import_currency_without_rate(team: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text(
        "manager,period,amount,currency,submitted_at\n"
        "m1,2025-Q3,1000,USD,2025-07-01\n"
        "m1,2025-Q3,1000,XYZ,2025-07-02\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="fx.csv row 3 column currency 'XYZ'"):
        import_forecasts(team, path)
    assert list_forecasts(team) == []


def test_accuracy_unconverted_row_only(team: Workspace) -> None:
    submit_forecast(
        team, manager="m1", period="2025-Q1", amount=105_000,
        submitted_at=T(2025, 3, 3, 15),
    )  # fmt: skip
    submit_forecast(
        team, manager="m2", period="2025-Q2", amount=33_000,
        submitted_at=T(2025, 5, 1, 15),
    )  # fmt: skip
    # A snapshot an older version accepted without a rate.
    old = {"manager_id": "m2", "period": "2025-Q1", "category": "commit",
           "amount": 5.0, "currency": "XYZ", "submitted_at": T(2025, 2, 1),
           "source": "cli"}  # fmt: skip
    team.store.insert_rows("forecasts", [old])

    result = compute_forecast_accuracy(team, as_of="2025-07-15")
    rows = {(r["manager"], r["period"]): r for r in result.rows}
    assert rows[("m1", "2025-Q1")]["accuracy"] == pytest.approx(1 - 5_000 / 100_000)
    assert rows[("m2", "2025-Q2")]["accuracy"] == pytest.approx(1 - 3_000 / 30_000)
    bad = rows[("m2", "2025-Q1")]
    assert bad["status"] == "unconverted"
    assert bad["forecast"] is None
    assert bad["error"] is None
    assert "XYZ" in bad["problem"]
    assert any(n.startswith("Raj 2025-Q1:") and "XYZ" in n for n in result.notes)
    summary = {m["manager"]: m for m in result.managers}
    assert summary["m2"]["unconverted"] == 1

    single = compute_forecast_accuracy(team, as_of="2025-07-15", period="2025-Q2")
    assert {r["status"] for r in single.rows} == {"scored", "missing"}

    dates = SimpleNamespace(
        week_end=D(2025, 7, 13), quarter_id="2025-Q3", as_of=D(2025, 7, 15)
    )
    section = report_section_forecast(team, dates)
    assert section is not None
    raj = next(r for r in section["rows"] if r["manager"] == "m2")
    assert raj["previous_status"] == "scored"


# -- submitting --------------------------------------------------------------------


def test_submit_empty_category(team: Workspace) -> None:
    for text in ("", "   "):
        with pytest.raises(InputError, match="invalid --category"):
            submit_forecast(
                team, manager="m1", period="2025-Q3", amount=1, category=text
            )
    assert list_forecasts(team) == []


@pytest.mark.parametrize("amount", [1e-9, "0.004", 0.0049])
def test_submit_amount_rounds_to_zero(team: Workspace, amount: object) -> None:
    with pytest.raises(InputError, match="rounds to 0.00"):
        submit_forecast(team, manager="m1", period="2025-Q3", amount=amount)
    assert list_forecasts(team) == []


@pytest.mark.parametrize(
    ("amount", "stored"),
    [("0", 0.0), ("100.005", 100.01), (1234.564, 1234.56), ("0.005", 0.01)],
)
def test_submit_amount_cents(team: Workspace, amount: object, stored: float) -> None:
    row = submit_forecast(team, manager="m1", period="2025-Q3", amount=amount)
    assert row["amount"] == stored
    assert list_forecasts(team)[0]["amount"] == stored


def test_submit_late_warned_and_kept(team: Workspace) -> None:
    # Q1 closes at 2025-04-01 04:00 UTC (end of 2025-03-31 in New York).
    close = _end_of_day_utc(D(2025, 3, 31))
    on_time = submit_forecast(
        team, manager="m1", period="2025-Q1", amount=1,
        submitted_at=close - dt.timedelta(seconds=1),
    )  # fmt: skip
    assert on_time["warnings"] == []
    late = submit_forecast(
        team, manager="m1", period="2025-Q1", amount=2, submitted_at=close
    )
    assert len(late["warnings"]) == 1
    assert "2025-Q1 already closed" in late["warnings"][0]
    assert "accuracy will not use it" in late["warnings"][0]
    assert [r["late"] for r in list_forecasts(team)] == [False, True]


def test_submit_manager_without_team(team: Workspace) -> None:
    row = submit_forecast(
        team, manager="Ann", period="2025-Q3", amount=1, submitted_at=T(2025, 7, 8)
    )
    assert len(row["warnings"]) == 1
    assert "no seller reports to Ann (s1)" in row["warnings"][0]
    assert len(list_forecasts(team, manager="s1")) == 1
    mia = submit_forecast(
        team, manager="Mia", period="2025-Q3", amount=1, submitted_at=T(2025, 7, 8)
    )
    assert mia["warnings"] == []


def test_import_notes_late_and_alone(team: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text(
        "manager,period,amount,submitted_at\n"
        "m1,2025-Q1,1000,2025-04-02\n"
        "Ann,2025-Q3,1000,2025-07-02\n",
        encoding="utf-8",
    )
    result = import_forecasts(team, path)
    assert result.inserted == 2
    assert any(n.startswith("1 added snapshots") for n in result.notes)
    assert any("no seller reports to Ann (s1)" in n for n in result.notes)


def test_cli_submit_warns_late(team: Workspace) -> None:
    team.close()
    args = ["-w", str(team.path), "forecast", "submit", "--manager", "Mia",
            "--period", "2025-Q1", "--amount", "1000"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.output
    assert "2025-Q1 already closed" in " ".join(result.output.split())


def test_cli_submit_rejects_currency(team: Workspace) -> None:
    team.close()
    args = ["-w", str(team.path), "forecast", "submit", "--manager", "Mia",
            "--period", "2025-Q4", "--amount", "100", "--currency", "XYZ"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, InputError)
    assert "--currency 'XYZ'" in str(result.exception)
    with open_workspace(team.path) as again:
        assert list_forecasts(again) == []
