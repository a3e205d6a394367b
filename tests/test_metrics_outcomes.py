"""Outcome metrics and coverage on a small workspace computed by hand.

Sellers Ann (team East) and Bob (team West) both report to Mia. Amounts
are USD unless noted; EUR is 1.25 USD from 2024-01-01 and 1.50 from
2024-04-01.

| id | seller | created    | status | close      | amount  | cycle |
|----|--------|------------|--------|------------|---------|-------|
| o1 | Ann    | 2024-01-10 | won    | 2024-02-09 | 1000    | 30    |
| o2 | Ann    | 2024-01-20 | lost   | 2024-03-01 | 500     |       |
| o3 | Ann    | 2024-02-01 | won    | 2024-04-11 | 800 EUR | 70    |
| o4 | Bob    | 2024-03-05 | open   | 2024-06-30 | 2000    |       |
| o5 | Bob    | 2024-03-10 | won    | 2024-03-01 | 300     | < 0   |
| o6 | Bob    | 2024-02-15 | lost   | 2024-04-20 | (400 in history) |

o3 converts at 1.50 (its close date): 1200 USD. The as-of date is
2024-04-20, the latest close date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.metrics import compute_coverage, compute_metrics
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.metrics_support import load, opportunity

D = dt.date
T = dt.datetime


def _won(
    id: str,
    seller: str,
    created: dt.date,
    close: dt.date,
    amount: float,
    currency: str = "USD",
) -> dict:
    return opportunity(
        id,
        seller_id=seller,
        created_at=T(*created.timetuple()[:3]),
        close_date=close,
        amount=amount,
        currency=currency,
        status="won",
    )


def _fill(workspace: Workspace) -> Workspace:
    """Load the sellers, rates and opportunities of the table above."""
    load(
        workspace,
        "sellers",
        [
            {"id": "s1", "name": "Ann", "manager_id": "m1", "team": "East"},
            {"id": "s2", "name": "Bob", "manager_id": "m1", "team": "West"},
            {"id": "m1", "name": "Mia", "manager_id": None, "team": None},
        ],
    )
    load(
        workspace,
        "fx_rates",
        [
            {"currency": "EUR", "date": D(2024, 1, 1), "rate": 1.25},
            {"currency": "EUR", "date": D(2024, 4, 1), "rate": 1.50},
        ],
    )
    lost_o2 = _won("o2", "s1", D(2024, 1, 20), D(2024, 3, 1), 500.0)
    lost_o2["status"] = "lost"
    lost_o6 = _won("o6", "s2", D(2024, 2, 15), D(2024, 4, 20), None)  # type: ignore[arg-type]
    lost_o6["status"] = "lost"
    load(
        workspace,
        "opportunities",
        [
            _won("o1", "s1", D(2024, 1, 10), D(2024, 2, 9), 1000.0),
            lost_o2,
            _won("o3", "s1", D(2024, 2, 1), D(2024, 4, 11), 800.0, "EUR"),
            opportunity(
                "o4",
                seller_id="s2",
                created_at=T(2024, 3, 5),
                close_date=D(2024, 6, 30),
                amount=2000.0,
                currency="USD",
            ),
            _won("o5", "s2", D(2024, 3, 10), D(2024, 3, 1), 300.0),
            lost_o6,
        ],
    )
    load(
        workspace,
        "stage_events",
        [
            {
                "opportunity_id": "o6",
                "stage_label": "Proposal",
                "entered_at": T(2024, 3, 1),
                "amount": 400.0,
                "seq": 1,
                "source_id": "o6-1",
            },
        ],
    )
    return workspace


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The sample workspace, shared by the tests that only read it."""
    path = tmp_path_factory.mktemp("sample") / "ws"
    init_workspace(path, name="Sample")
    with open_workspace(path) as ws:
        yield _fill(ws)


@pytest.fixture
def own_sample(workspace: Workspace) -> Workspace:
    """A sample workspace of the test's own, for tests that add rows."""
    return _fill(workspace)


def _row(result, **keys) -> dict:
    found = [r for r in result.rows if all(r[k] == v for k, v in keys.items())]
    assert len(found) == 1, (keys, result.rows)
    return found[0]


def test_totals_by_hand(sample: Workspace) -> None:
    result = compute_metrics(sample, by=None)
    totals = result.totals
    assert result.window.as_of == D(2024, 4, 20)
    assert (totals["won"], totals["lost"], totals["open"]) == (3, 2, 1)
    assert totals["win_rate"] == pytest.approx(0.6)
    assert totals["bookings"] == pytest.approx(2500.0)
    assert totals["won_amount_mean"] == pytest.approx(2500 / 3, abs=0.01)
    assert totals["win_rate_value"] == pytest.approx(2500 / 3400, abs=1e-6)
    assert totals["cycle_days_median"] == pytest.approx(50.0)
    assert totals["cycle_days_mean"] == pytest.approx(50.0)
    assert totals["sales_velocity"] == pytest.approx(
        1 * 0.6 * (2500 / 3) / 50, abs=0.01
    )
    assert totals["open_amount"] == pytest.approx(2000.0)
    assert totals["sellers"] == 2
    assert totals["bookings_per_seller"] == pytest.approx(1250.0)


def test_negative_cycle_excluded_noted(sample: Workspace) -> None:
    result = compute_metrics(sample, by="seller")
    bob = _row(result, seller="s2")
    assert bob["cycle_days_median"] is None
    assert bob["sales_velocity"] is None
    assert any("1 won opportunities close before" in note for note in result.notes)


def test_seller_rows_by_hand(sample: Workspace) -> None:
    result = compute_metrics(sample, by="seller")
    ann = _row(result, seller="s1")
    assert ann["seller_name"] == "Ann"
    assert (ann["won"], ann["lost"], ann["open"]) == (2, 1, 0)
    assert ann["win_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert ann["bookings"] == pytest.approx(2200.0)
    assert ann["win_rate_value"] == pytest.approx(2200 / 2700, abs=1e-6)
    assert ann["sales_velocity"] == pytest.approx(0.0)
    bob = _row(result, seller="s2")
    assert (bob["won"], bob["lost"], bob["open"]) == (1, 1, 1)
    assert bob["win_rate_value"] == pytest.approx(300 / 700, abs=1e-6)
    assert [row["seller_name"] for row in result.rows] == ["Ann", "Bob"]


def test_month_rows_follow_view(sample: Workspace) -> None:
    result = compute_metrics(sample, by="month")
    assert [row["month"] for row in result.rows] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    january = _row(result, month="2024-01")
    assert (january["won"], january["lost"]) == (0, 0)
    assert january["win_rate"] is None
    assert january["win_rate_cohort"] == pytest.approx(0.5)
    february = _row(result, month="2024-02")
    assert (february["won"], february["lost"]) == (1, 0)
    assert february["win_rate_cohort"] == pytest.approx(0.5)
    march = _row(result, month="2024-03")
    assert (march["won"], march["lost"], march["open"]) == (1, 1, 1)
    assert march["win_rate_cohort"] == pytest.approx(1.0)
    april = _row(result, month="2024-04")
    assert (april["won"], april["lost"]) == (1, 1)
    assert april["win_rate_cohort"] is None


def test_until_sets_open_date(sample: Workspace) -> None:
    result = compute_metrics(sample, by=None, until="2024-03-31")
    assert (result.totals["won"], result.totals["lost"]) == (2, 1)
    assert result.totals["open"] == 3
    assert result.window.to_dict() == {
        "view": "snapshot",
        "since": None,
        "until": "2024-03-31",
        "as_of": "2024-04-20",
    }


def test_as_of_hides_later_outcomes(sample: Workspace) -> None:
    result = compute_metrics(sample, by=None, as_of="2024-03-15")
    assert (result.totals["won"], result.totals["lost"]) == (2, 1)
    assert result.totals["open"] == 3


def test_manager_and_team_rows(sample: Workspace) -> None:
    managers = compute_metrics(sample, by="manager")
    assert [(r["manager"], r["manager_name"], r["won"]) for r in managers.rows] == [
        ("m1", "Mia", 3)
    ]
    teams = compute_metrics(sample, by="team,quarter")
    east = _row(teams, team="East", quarter="2024-Q2")
    assert (east["won"], east["bookings"]) == (1, pytest.approx(1200.0))


def test_missing_rate_stops_metrics(own_sample: Workspace) -> None:
    sample = own_sample
    load(
        sample,
        "opportunities",
        [_won("o7", "s1", D(2024, 1, 2), D(2024, 2, 2), 50.0, "GBP")],
    )
    with pytest.raises(InputError, match=r"currency GBP on or before 2024-02-02"):
        compute_metrics(sample, by="seller")


def test_invalid_by_named(sample: Workspace) -> None:
    with pytest.raises(InputError, match=r"--by 'seller,colour'.*'colour'"):
        compute_metrics(sample, by="seller,colour")
    with pytest.raises(InputError, match=r"month, quarter are all time"):
        compute_metrics(sample, by="month,quarter")


def test_table_columns(sample: Workspace) -> None:
    table = compute_metrics(sample, by="seller").table
    assert list(table.columns[:4]) == ["seller", "seller_name", "won", "lost"]
    assert table["won"].tolist() == [2, 1]


def test_coverage_by_hand(own_sample: Workspace) -> None:
    sample = own_sample
    load(
        sample,
        "quotas",
        [
            {"seller_id": "s1", "period": "2024-Q2", "amount": 3000.0},
            {"seller_id": "s2", "period": "2024-Q2", "amount": 1000.0},
            {"seller_id": "s2", "period": "2024-Q1", "amount": 200.0},
        ],
    )
    result = compute_coverage(sample, period="2024-Q2")
    ann = _row(result, seller="s1")
    assert ann["bookings"] == pytest.approx(1200.0)
    assert ann["attainment"] == pytest.approx(0.4)
    assert ann["pipeline_coverage"] == pytest.approx(0.0)
    bob = _row(result, seller="s2")
    assert bob["open_amount"] == pytest.approx(2000.0)
    assert bob["pipeline_coverage"] == pytest.approx(2.0)
    assert result.totals["quota"] == pytest.approx(4000.0)
    met = compute_coverage(sample, period="2024-Q1")
    assert _row(met, seller="s2")["pipeline_coverage"] is None
    assert met.notes


def test_coverage_without_quota(sample: Workspace) -> None:
    with pytest.raises(InputError, match=r"no quotas for --period 2024-Q3"):
        compute_coverage(sample, period="2024-Q3")


def test_cli_metrics_json_window(sample: Workspace) -> None:
    result = CliRunner().invoke(
        app,
        [
            "-w",
            str(sample.path),
            "metrics",
            "--by",
            "seller",
            "--period",
            "2024-CQ1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["window"]["since"] == "2024-01-01"
    assert data["window"]["until"] == "2024-03-31"
    assert data["totals"]["won"] == 2
    assert set(data["rows"][0]) >= {
        "seller",
        "seller_name",
        "won",
        "lost",
        "open",
        "win_rate",
        "win_rate_value",
        "win_rate_cohort",
        "win_rate_value_cohort",
        "bookings",
        "won_amount_mean",
        "cycle_days_median",
        "cycle_days_mean",
        "sales_velocity",
    }


def test_cli_bad_date_exits(sample: Workspace) -> None:
    from tests.test_cli_basics import run_cli

    result = run_cli("-w", str(sample.path), "metrics", "--since", "2024-02-30")
    assert result.returncode == 1
    assert "--since '2024-02-30'" in result.stderr
