"""Outcome metrics on the Maven CRM export, checked against the CSV itself."""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.importers.base import ImportOptions
from revarch.importers.pipeline import import_pipeline
from revarch.metrics import compute_metrics
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import real_data

pytestmark = pytest.mark.realdata

D = dt.date


def _read_pipeline() -> list[dict[str, str]]:
    path = real_data("maven-crm-opportunities") / "sales_pipeline.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the Maven export imported once for the module."""
    folder = real_data("maven-crm-opportunities")
    path = tmp_path_factory.mktemp("maven") / "ws"
    init_workspace(path, name="Maven")
    ws = open_workspace(path)
    import_pipeline(ws, folder / "sales_pipeline.csv", "maven-crm", ImportOptions())
    yield ws
    ws.close()


def _expected_by_seller(
    rows: list[dict[str, str]], since: dt.date | None, until: dt.date | None
) -> dict[str, dict[str, Any]]:
    """Compute won, lost, bookings and cycle days per seller from the CSV."""
    found: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"won": 0, "lost": 0, "bookings": 0.0, "cycles": []}
    )
    for row in rows:
        stage, close = row["deal_stage"], _day(row["close_date"])
        if stage not in ("Won", "Lost") or close is None:
            continue
        if (since and close < since) or (until and close > until):
            continue
        seller = found[row["sales_agent"]]
        if stage == "Lost":
            seller["lost"] += 1
            continue
        seller["won"] += 1
        seller["bookings"] += float(row["close_value"])
        engage = _day(row["engage_date"])
        if engage is not None and close >= engage:
            seller["cycles"].append((close - engage).days)
    return found


def _check_sellers(
    result_rows: list[dict[str, Any]], expected: dict[str, dict[str, Any]]
) -> None:
    by_seller = {row["seller"]: row for row in result_rows if row["won"] + row["lost"]}
    assert set(by_seller) == set(expected)
    for name, want in expected.items():
        got = by_seller[name]
        assert got["seller_name"] == name
        assert got["won"] == want["won"], name
        assert got["lost"] == want["lost"], name
        assert got["win_rate"] == pytest.approx(
            want["won"] / (want["won"] + want["lost"]), abs=1e-6
        )
        assert got["bookings"] == pytest.approx(want["bookings"], abs=0.01)
        if want["cycles"]:
            median = statistics.median(want["cycles"])
            mean = statistics.fmean(want["cycles"])
            assert got["cycle_days_median"] == pytest.approx(median, abs=0.01)
            assert got["cycle_days_mean"] == pytest.approx(mean, abs=0.01)


def test_maven_sellers_all_time(maven: Workspace) -> None:
    result = compute_metrics(maven, by="seller")
    _check_sellers(result.rows, _expected_by_seller(_read_pipeline(), None, None))


def test_maven_sellers_in_window(maven: Workspace) -> None:
    since, until = D(2017, 4, 1), D(2017, 6, 30)
    result = compute_metrics(maven, by="seller", since=since, until=until)
    _check_sellers(result.rows, _expected_by_seller(_read_pipeline(), since, until))
    assert result.window.to_dict()["since"] == "2017-04-01"


def test_maven_totals_and_as_of(maven: Workspace) -> None:
    rows = _read_pipeline()
    result = compute_metrics(maven, by=None)
    stages = [row["deal_stage"] for row in rows]
    latest = max(
        [_day(r["close_date"]) for r in rows if r["deal_stage"] in ("Won", "Lost")]
        + [_day(r["engage_date"]) for r in rows if r["engage_date"]]
    )
    assert result.window.as_of == latest
    assert result.totals["won"] == stages.count("Won")
    assert result.totals["lost"] == stages.count("Lost")
    assert result.totals["open"] == stages.count("Engaging") + stages.count(
        "Prospecting"
    )
    assert result.rows == []


def test_maven_value_rate_null_noted(maven: Workspace) -> None:
    result = compute_metrics(maven, by="seller")
    assert all(row["win_rate_value"] is None for row in result.rows)
    assert result.totals["win_rate_value"] is None
    assert any("win_rate_value" in note for note in result.notes)


def test_maven_cohort_win_rate(maven: Workspace) -> None:
    rows = _read_pipeline()
    since, until = D(2017, 1, 1), D(2017, 3, 31)
    created = [r for r in rows if (d := _day(r["engage_date"])) and since <= d <= until]
    won = sum(r["deal_stage"] == "Won" for r in created)
    lost = sum(r["deal_stage"] == "Lost" for r in created)
    result = compute_metrics(maven, by=None, since=since, until=until)
    assert result.totals["win_rate_cohort"] == pytest.approx(won / (won + lost))


def test_maven_open_as_of_until(maven: Workspace) -> None:
    rows = _read_pipeline()
    until = D(2017, 3, 31)
    expected = 0
    for row in rows:
        engage, close = _day(row["engage_date"]), _day(row["close_date"])
        if engage is not None and engage > until:
            continue
        if row["deal_stage"] in ("Engaging", "Prospecting") or (
            close is not None and close > until
        ):
            expected += 1
    result = compute_metrics(maven, by=None, until=until)
    assert result.totals["open"] == expected


def test_maven_manager_rows(maven: Workspace) -> None:
    managers: dict[str, str] = {}
    teams = real_data("maven-crm-opportunities") / "sales_teams.csv"
    with teams.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            managers[row["sales_agent"]] = row["manager"]
    won: dict[str, int] = defaultdict(int)
    for row in _read_pipeline():
        if row["deal_stage"] == "Won":
            won[managers[row["sales_agent"]]] += 1
    result = compute_metrics(maven, by="manager")
    got = {row["manager"]: row["won"] for row in result.rows}
    assert got == dict(won)
    assert all(row["manager_name"] == row["manager"] for row in result.rows)


def test_maven_quarter_rows_by_close(maven: Workspace) -> None:
    won: dict[str, int] = defaultdict(int)
    for row in _read_pipeline():
        close = _day(row["close_date"])
        if row["deal_stage"] == "Won" and close is not None:
            won[f"{close.year}-Q{(close.month - 1) // 3 + 1}"] += 1
    result = compute_metrics(maven, by="quarter")
    got = {row["quarter"]: row["won"] for row in result.rows if row["won"]}
    assert got == dict(won)


def test_maven_cli_json_and_csv(maven: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "sellers.csv"
    args = ["-w", str(maven.path), "metrics", "--by", "seller", "--json"]
    result = CliRunner().invoke(app, [*args, "--csv", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"rows", "totals", "window", "notes"}
    _check_sellers(data["rows"], _expected_by_seller(_read_pipeline(), None, None))
    with out.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [row["seller"] for row in written] == [r["seller"] for r in data["rows"]]
    assert [int(row["won"]) for row in written] == [r["won"] for r in data["rows"]]


def test_maven_missing_grouping_rejected(maven: Workspace) -> None:
    result = CliRunner().invoke(
        app, ["-w", str(maven.path), "metrics", "--by", "pipeline"]
    )
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert "--by pipeline" in message
    assert "seller" in message


def test_stalled_deals_named_by_account_and_product(maven: Workspace) -> None:
    """Maven has no opportunity names: stalls show account and product."""
    from revarch.process import compute_stalls

    expected = {
        row["opportunity_id"]: " · ".join(
            part for part in (row["account"], row["product"]) if part
        )
        for row in _read_pipeline()
    }
    listed = compute_stalls(maven).to_dict()["opportunities"]
    assert listed
    for opportunity in listed:
        assert opportunity["name"] == expected[opportunity["id"]], opportunity["id"]


def test_inspection_counts_open_deals_without_amount(maven: Workspace) -> None:
    """Maven's open deals (Prospecting, Engaging) carry no close value."""
    from revarch.leadership import compute_inspection

    unpriced = sum(
        1
        for row in _read_pipeline()
        if row["deal_stage"] not in ("Won", "Lost") and not row["close_value"]
    )
    assert unpriced > 0
    result = compute_inspection(maven, min_amount=0)
    assert result.rows == []
    assert any(
        f"{unpriced} open opportunities have no amount" in n for n in result.notes
    )
