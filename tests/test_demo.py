"""The demo company generator: its Salesforce export, settings and import.

Expected numbers come from reading the export with Python's csv module, never
from the generator's own counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from revarch.config import read_settings
from revarch.demo import DemoSummary, create_demo
from revarch.demo.create import opportunity_count
from revarch.demo.export import CHUNK_SIZE, write_export
from revarch.errors import InputError
from revarch.workspace import TEMPLATE, init_workspace, open_workspace

SELLERS, MONTHS, SEED, SCALE = 8, 6, 11, 0.5
EXPORT_FILES = (
    "Opportunity.csv",
    "OpportunityHistory.csv",
    "User.csv",
    "UserRole.csv",
    "OpportunityStage.csv",
    "Task.csv",
    "Event.csv",
    "DatedConversionRate.csv",
    "CurrencyType.csv",
)
CLOSED = ("Closed Won", "Closed Lost")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def first_column(path: Path) -> list[str]:
    """Read a CSV's first column, checking every record has the header's width."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        values = []
        for record in reader:
            assert len(record) == len(header), record
            values.append(record[0])
    return values


def no_progress(step: str, done: int, total: int) -> None:
    """Ignore progress reports."""


def make_demo(folder: Path, **options: Any) -> DemoSummary:
    """Run ``create_demo`` at the small test size, with ``options`` overriding it."""
    size: dict[str, Any] = {
        "sellers": SELLERS,
        "months": MONTHS,
        "seed": SEED,
        "scale": SCALE,
    }
    return create_demo(folder, progress=no_progress, **{**size, **options})


def write_small_export(folder: Path, *, seed: int) -> None:
    """Write the export ``make_demo`` writes, without a workspace or import."""
    write_export(
        folder,
        seed=seed,
        sellers=SELLERS,
        months=MONTHS,
        opportunities=opportunity_count(SELLERS, MONTHS, SCALE),
        progress=no_progress,
        step=0,
        steps=1,
    )


@dataclass
class Demo:
    path: Path
    summary: DemoSummary

    @property
    def export(self) -> Path:
        return self.path / "export"

    def rows(self, name: str) -> list[dict[str, str]]:
        return read_rows(self.export / name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    path = tmp_path_factory.mktemp("demo") / "northwind"
    return Demo(path, make_demo(path))


@pytest.fixture(scope="module")
def team_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A larger team's export, written without importing it."""
    folder = tmp_path_factory.mktemp("team") / "export"
    write_export(
        folder,
        seed=3,
        sellers=25,
        months=12,
        opportunities=opportunity_count(25, 12, 1.0),
        progress=no_progress,
        step=0,
        steps=1,
    )
    return folder


def stage_order(export: Path) -> dict[str, int]:
    return {
        row["MasterLabel"]: int(row["SortOrder"])
        for row in read_rows(export / "OpportunityStage.csv")
    }


def histories(export: Path) -> dict[str, list[dict[str, str]]]:
    """Group history rows by opportunity, in time order."""
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_rows(export / "OpportunityHistory.csv"):
        grouped[row["OpportunityId"]].append(row)
    for rows in grouped.values():
        rows.sort(key=lambda row: row["CreatedDate"])
    return grouped


def eur_rates(export: Path) -> list[tuple[str, float]]:
    rates = [
        (row["StartDate"], float(row["ConversionRate"]))
        for row in read_rows(export / "DatedConversionRate.csv")
        if row["IsoCode"] == "EUR"
    ]
    return sorted(rates)


def usd_amount(row: dict[str, str], rates: list[tuple[str, float]]) -> float:
    """Convert with the latest EUR rate on or before the close date."""
    amount = float(row["Amount"])
    if row["CurrencyIsoCode"] == "USD":
        return amount
    rate = [value for start, value in rates if start <= row["CloseDate"]][-1]
    return amount / rate


# -- the export files ----------------------------------------------------------


def test_export_same_seed_identical(demo: Demo, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_small_export(again, seed=SEED)
    for name in EXPORT_FILES:
        assert (again / name).read_bytes() == (demo.export / name).read_bytes(), name


def test_export_other_seed_differs(demo: Demo, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_small_export(other, seed=SEED + 1)
    for name in ("Opportunity.csv", "OpportunityHistory.csv", "Task.csv"):
        assert (other / name).read_bytes() != (demo.export / name).read_bytes(), name


def test_export_has_salesforce_files(demo: Demo) -> None:
    for name in EXPORT_FILES:
        assert (demo.export / name).is_file(), name
    opportunity = demo.rows("Opportunity.csv")[0]
    for column in (
        "Id",
        "Name",
        "AccountId",
        "OwnerId",
        "CreatedDate",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "StageName",
        "IsClosed",
        "IsWon",
        "Type",
        "LeadSource",
        "Probability",
        "IsDeleted",
        "Gross_Margin__c",
    ):
        assert column in opportunity, column
    task = demo.rows("Task.csv")[0]
    for column in ("WhatId", "TaskSubtype", "CallDurationInSeconds", "CallDisposition"):
        assert column in task, column
    assert "Hire_Date__c" in demo.rows("User.csv")[0]


def test_export_values_formats(demo: Demo) -> None:
    instant = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    salesforce_id = re.compile(r"^[0-9A-Za-z]{18}$")
    for name in ("Opportunity.csv", "OpportunityHistory.csv", "Task.csv", "Event.csv"):
        rows = demo.rows(name)
        ids = [row["Id"] for row in rows]
        assert all(salesforce_id.match(value) for value in ids), name
        assert len(set(ids)) == len(ids), name
        assert all(instant.match(row["CreatedDate"]) for row in rows), name
    for row in demo.rows("Opportunity.csv"):
        assert day.match(row["CloseDate"])
        assert row["IsClosed"] in ("true", "false")
        assert row["IsWon"] in ("true", "false")


def test_export_names_need_escaping(demo: Demo) -> None:
    names = [row["Name"] for row in demo.rows("Opportunity.csv")]
    special = [n for n in names if "<" in n and "&" in n and '"' in n]
    assert special
    non_latin = [n for n in names if any(ord(ch) > 0x24F for ch in n)]
    assert non_latin

    with open_workspace(demo.path) as workspace:
        store = workspace.store
        table = store.table("opportunities")
        stored = {row["name"] for row in store.rows(table.select("name"))}
    assert special[0] in stored
    assert set(non_latin) <= stored


def test_chunks_continue_ids(tmp_path: Path) -> None:
    count = CHUNK_SIZE + 300
    folder = tmp_path / "export"
    write_export(
        folder,
        seed=5,
        sellers=4,
        months=3,
        opportunities=count,
        progress=no_progress,
        step=0,
        steps=1,
    )
    ids = {}
    for name in EXPORT_FILES[:2] + ("Task.csv", "Event.csv"):
        ids[name] = first_column(folder / name)
        assert "Id" not in ids[name], f"{name} repeats its header"
        assert len(set(ids[name])) == len(ids[name]), name
    assert len(ids["Opportunity.csv"]) == count
    history = read_rows(folder / "OpportunityHistory.csv")
    linked = {row["OpportunityId"] for row in history}
    assert linked == set(ids["Opportunity.csv"])


def test_generator_skips_database_libraries(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from revarch.demo.export import write_export\n"
        f"write_export(Path({str(tmp_path / 'x')!r}), seed=1, sellers=3, months=3,"
        " opportunities=50, progress=lambda *a: None, step=0, steps=1)\n"
        "print(sorted(m for m in ('duckdb', 'ibis') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- what the company looks like ---------------------------------------------


def test_history_irregular_moves(demo: Demo) -> None:
    order = stage_order(demo.export)
    open_stages = {label for label in order if label not in CLOSED}
    skips = backward = repeats = reopened = 0
    for rows in histories(demo.export).values():
        labels = [row["StageName"] for row in rows]
        for before, after in zip(labels, labels[1:], strict=False):
            if before == after:
                repeats += 1
            elif before in open_stages and after in open_stages:
                step = order[after] - order[before]
                skips += step > 1
                backward += step < 0
            elif before in CLOSED and after in open_stages:
                reopened += 1
    assert skips > 0
    assert backward > 0
    assert repeats > 0
    assert reopened > 0


def test_open_opportunities_stall(demo: Demo) -> None:
    grouped = histories(demo.export)
    end = max(row["CreatedDate"] for rows in grouped.values() for row in rows)
    end_day = dt.date.fromisoformat(end[:10])
    open_ids = [
        row["Id"] for row in demo.rows("Opportunity.csv") if row["IsClosed"] == "false"
    ]
    idle = [
        (end_day - dt.date.fromisoformat(grouped[i][-1]["CreatedDate"][:10])).days
        for i in open_ids
    ]
    assert max(idle) > 60


def test_top_sellers_book_more(team_export: Path) -> None:
    # Sellers employed and active over the whole history, so that tenure
    # does not explain the spread; without a skill skew, the top-to-bottom
    # ratio of this team stays below 7 (measured with all skills equal).
    opportunities = read_rows(team_export / "Opportunity.csv")
    start = min(row["CreatedDate"] for row in opportunities)[:10]
    sellers = {
        row["Id"]
        for row in read_rows(team_export / "User.csv")
        if row["Title"] == "Account Executive"
        and row["Hire_Date__c"] < start
        and row["IsActive"] == "true"
    }
    rates = eur_rates(team_export)
    bookings = {seller: 0.0 for seller in sellers}
    won: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    for row in opportunities:
        if row["OwnerId"] not in sellers or row["IsDeleted"] == "true":
            continue
        if row["StageName"] in CLOSED:
            closed[row["OwnerId"]] += 1
        if row["StageName"] == "Closed Won":
            won[row["OwnerId"]] += 1
            bookings[row["OwnerId"]] += usd_amount(row, rates)

    ranked = sorted(bookings, key=lambda seller: bookings[seller], reverse=True)
    group = math.ceil(0.1 * len(ranked))
    top, bottom = ranked[:group], ranked[-group:]
    top_bookings = sum(bookings[s] for s in top) / group
    bottom_bookings = sum(bookings[s] for s in bottom) / group
    assert top_bookings > 10 * bottom_bookings
    top_rate = sum(won[s] for s in top) / sum(closed[s] for s in top)
    bottom_rate = sum(won[s] for s in bottom) / sum(closed[s] for s in bottom)
    assert top_rate > bottom_rate


def test_activity_follows_outcome(demo: Demo) -> None:
    linked: Counter[str] = Counter()
    for name in ("Task.csv", "Event.csv"):
        for row in demo.rows(name):
            if row["WhatId"]:
                linked[row["WhatId"]] += 1
    by_stage: dict[str, list[int]] = defaultdict(list)
    for row in demo.rows("Opportunity.csv"):
        by_stage[row["StageName"]].append(linked[row["Id"]])
    won = by_stage["Closed Won"]
    lost = by_stage["Closed Lost"]
    assert sum(won) / len(won) > 2 * sum(lost) / len(lost)


def test_activity_kinds_present(demo: Demo) -> None:
    subtypes = Counter(row["TaskSubtype"] for row in demo.rows("Task.csv"))
    assert subtypes["Call"] > 0
    assert subtypes["Email"] > 0
    assert subtypes["LinkedIn"] > 0
    assert len(demo.rows("Event.csv")) > 0


def test_margin_on_most_won(demo: Demo) -> None:
    rows = demo.rows("Opportunity.csv")
    won = [row for row in rows if row["StageName"] == "Closed Won"]
    with_margin = [row for row in won if row["Gross_Margin__c"]]
    assert len(with_margin) > 0.7 * len(won)
    for row in with_margin:
        assert 0 < float(row["Gross_Margin__c"]) < float(row["Amount"])
    lost = [row for row in rows if row["StageName"] == "Closed Lost"]
    assert not any(row["Gross_Margin__c"] for row in lost)


def test_eur_rates_precede_dates(demo: Demo) -> None:
    rates = eur_rates(demo.export)
    assert all(0.7 < rate < 1.3 for _, rate in rates)
    eur = [
        row
        for row in demo.rows("Opportunity.csv")
        if row["CurrencyIsoCode"] == "EUR" and row["IsDeleted"] == "false"
    ]
    assert eur
    for row in eur:
        closed = row["StageName"] in CLOSED
        day = row["CloseDate"] if closed else row["CreatedDate"][:10]
        assert rates[0][0] <= day, row["Id"]
    currencies = {row["IsoCode"]: row for row in demo.rows("CurrencyType.csv")}
    assert currencies["USD"]["IsCorporate"] == "true"
    assert currencies["EUR"]["IsCorporate"] == "false"


# -- settings and import -------------------------------------------------------


def test_process_settings_validate(demo: Demo) -> None:
    config = demo.path / "revarch.yaml"
    settings = read_settings(config)
    process = settings.process
    assert len(process.stages) == 6
    assert settings.fields.margin == "Gross_Margin__c"
    assert settings.company.currency == "USD"
    assert process.won_labels == ["Closed Won"]
    assert process.lost_labels == ["Closed Lost"]

    labels = set(stage_order(demo.export)) - set(CLOSED)
    aliases = {alias for stage in process.stages for alias in stage.aliases}
    assert aliases == labels

    subjects = {row["Subject"] for row in demo.rows("Task.csv")}
    subjects |= {row["Subject"] for row in demo.rows("Event.csv")}
    for stage in process.stages:
        assert 3 <= len(stage.required_activities) <= 5, stage.id
        assert stage.entry_criteria, stage.id
        assert stage.exit_criteria, stage.id
        assert stage.expected_conversion is not None, stage.id
        assert stage.expected_days is not None, stage.id
        for activity in stage.required_activities:
            assert activity.subject_contains[0] in subjects, activity.name


def test_settings_keep_other_comments(demo: Demo) -> None:
    template = TEMPLATE.read_text(encoding="utf-8")
    before_process = template.split("\nprocess:")[0]
    comments = [
        line for line in before_process.splitlines() if line.lstrip().startswith("#")
    ]
    written = (demo.path / "revarch.yaml").read_text(encoding="utf-8").splitlines()
    assert comments
    for line in comments:
        assert line in written, line


def test_import_matches_export(demo: Demo) -> None:
    opportunities = [
        row for row in demo.rows("Opportunity.csv") if row["IsDeleted"] == "false"
    ]
    expected = Counter(
        {"Closed Won": "won", "Closed Lost": "lost"}.get(row["StageName"], "open")
        for row in opportunities
    )
    history = demo.rows("OpportunityHistory.csv")
    activities = len(demo.rows("Task.csv")) + len(demo.rows("Event.csv"))

    with open_workspace(demo.path) as workspace:
        store = workspace.store
        table = store.table("opportunities")
        live = table.filter(~table.is_deleted)
        stored: list[dict[str, Any]] = store.rows(
            live.group_by("status").aggregate(n=live.count())
        )
        events = store.count("stage_events")
        stored_activities = store.count("activities")
    assert {row["status"]: row["n"] for row in stored} == dict(expected)
    assert events == len(history)
    assert stored_activities == activities

    counts = demo.summary.counts
    assert counts.won == expected["won"]
    assert counts.lost == expected["lost"]
    assert counts.open == expected["open"]
    assert counts.history_rows == len(history)
    assert demo.summary.result.rejected == 0


def test_summary_lines_name_workspace(demo: Demo) -> None:
    lines = demo.summary.lines()
    assert f"Workspace: {demo.path.resolve()}" in lines
    assert any(line.startswith("Company: Northwind Analytics") for line in lines)
    rows = sum(len(demo.rows(name)) for name in EXPORT_FILES)
    assert f"Imported: {rows:,} rows read, 0 rejected" in lines


# -- bad input -----------------------------------------------------------------


def test_existing_demo_rejected(demo: Demo) -> None:
    before = sorted(p.name for p in demo.path.iterdir())
    with pytest.raises(InputError, match="choose another folder or delete"):
        make_demo(demo.path)
    assert sorted(p.name for p in demo.path.iterdir()) == before


def test_non_empty_folder_rejected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and is not a workspace"):
        make_demo(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_other_workspace_rejected(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws", name="Acme")
    before = (tmp_path / "ws" / "revarch.yaml").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="already a workspace"):
        make_demo(tmp_path / "ws")
    after = (tmp_path / "ws" / "revarch.yaml").read_text(encoding="utf-8")
    assert after == before


def test_file_path_rejected(tmp_path: Path) -> None:
    target = tmp_path / "demo.txt"
    target.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        make_demo(target)


@pytest.mark.parametrize(
    ("option", "value", "flag"),
    [
        ("sellers", 1, "--sellers"),
        ("months", 2, "--months"),
        ("seed", -1, "--seed"),
        ("scale", 0.0, "--scale"),
        ("scale", float("nan"), "--scale"),
    ],
    ids=["sellers", "months", "seed", "scale-zero", "scale-nan"],
)
def test_invalid_option_rejected(
    tmp_path: Path, option: str, value: float, flag: str
) -> None:
    with pytest.raises(InputError, match=re.escape(flag)):
        make_demo(tmp_path / "ws", **{option: value})
    assert not (tmp_path / "ws").exists()


# -- the command ---------------------------------------------------------------


def test_cli_demo_prints_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "cli-demo"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "revarch",
            "demo",
            str(folder),
            "--sellers",
            "6",
            "--months",
            "4",
            "--scale",
            "0.1",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert result.returncode == 0, result.stderr
    assert f"Workspace: {folder.resolve()}" in result.stdout
    assert (folder / "export" / "Opportunity.csv").is_file()
