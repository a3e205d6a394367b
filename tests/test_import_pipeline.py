"""The pipeline importer (flat CSVs through a mapping) and date detection."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.base import ImportOptions
from revarch.importers.mapping import (
    Mapping,
    OpportunityColumns,
    SellerColumns,
    SellersFile,
)
from revarch.importers.pipeline import import_pipeline
from revarch.storage import ImportResult, Store
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import REPO, real_data

MAVEN = "maven-crm-opportunities"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def table_rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.store.rows(ws.store.table(name))


def run_import(
    ws: Workspace, file: Path, mapping: str = "maven-crm", **options: Any
) -> ImportResult:
    return import_pipeline(ws, file, mapping, ImportOptions(**options))


@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the whole Maven export imported once."""
    folder = real_data(MAVEN)
    path = tmp_path_factory.mktemp("maven") / "ws"
    init_workspace(path, name="Maven")
    ws = open_workspace(path)
    run_import(ws, folder / "sales_pipeline.csv")
    yield ws
    ws.close()


def maven_subset(folder: Path, rows: int) -> Path:
    """Write the first rows of the Maven export, with its sellers file, to folder."""
    source = real_data(MAVEN)
    write_rows(folder / "sales_teams.csv", read_rows(source / "sales_teams.csv"))
    first_rows = read_rows(source / "sales_pipeline.csv")[:rows]
    return write_rows(folder / "sales_pipeline.csv", first_rows)


# -- Maven through the preset --------------------------------------------------


@pytest.mark.realdata
def test_maven_opportunities_and_status(maven: Workspace) -> None:
    expected = read_rows(real_data(MAVEN) / "sales_pipeline.csv")
    imported = {row["id"]: row for row in table_rows(maven, "opportunities")}
    assert len(imported) == len(expected)
    status = {"Won": "won", "Lost": "lost"}
    expected_status = Counter(status.get(row["deal_stage"], "open") for row in expected)
    got = Counter(row["status"] for row in imported.values())
    assert got == expected_status
    for row in expected:
        opportunity = imported[row["opportunity_id"]]
        assert opportunity["stage_label"] == row["deal_stage"]
        assert opportunity["seller_id"] == row["sales_agent"]
        assert opportunity["account"] == (row["account"] or None)
        assert opportunity["currency"] == "USD"


@pytest.mark.realdata
def test_maven_dates_and_lost_zero(maven: Workspace) -> None:
    expected = read_rows(real_data(MAVEN) / "sales_pipeline.csv")
    imported = {row["id"]: row for row in table_rows(maven, "opportunities")}
    for row in expected:
        opportunity = imported[row["opportunity_id"]]
        engaged = row["engage_date"]
        created = opportunity["created_at"]
        if engaged:
            assert created == dt.datetime.fromisoformat(engaged)
        else:
            assert created is None
        closed = row["close_date"]
        expected_close = dt.date.fromisoformat(closed) if closed else None
        assert opportunity["close_date"] == expected_close
        if row["deal_stage"] == "Lost":
            assert opportunity["amount"] == 0
    prospecting = [r for r in expected if r["deal_stage"] == "Prospecting"]
    assert all(not r["engage_date"] for r in prospecting)


@pytest.mark.realdata
def test_maven_bookings_per_seller(maven: Workspace) -> None:
    expected: dict[str, float] = defaultdict(float)
    for row in read_rows(real_data(MAVEN) / "sales_pipeline.csv"):
        if row["deal_stage"] == "Won":
            expected[row["sales_agent"]] += float(row["close_value"])
    got: dict[str, float] = defaultdict(float)
    for row in table_rows(maven, "opportunities"):
        if row["status"] == "won":
            got[row["seller_id"]] += row["amount"]
    assert got.keys() == expected.keys()
    for seller, bookings in expected.items():
        assert got[seller] == pytest.approx(bookings)


@pytest.mark.realdata
def test_maven_sellers_and_managers(maven: Workspace) -> None:
    folder = real_data(MAVEN)
    teams = read_rows(folder / "sales_teams.csv")
    owners = {row["sales_agent"] for row in read_rows(folder / "sales_pipeline.csv")}
    managers = {row["manager"] for row in teams}
    sellers = {row["id"]: row for row in table_rows(maven, "sellers")}
    assert set(sellers) == {row["sales_agent"] for row in teams} | managers
    idle = [row["sales_agent"] for row in teams if row["sales_agent"] not in owners]
    assert len(idle) == 5
    for name in idle:
        assert sellers[name]["is_seller"] is False
    for row in teams:
        seller = sellers[row["sales_agent"]]
        assert seller["name"] == row["sales_agent"]
        assert seller["manager_id"] == row["manager"]
        assert seller["region"] == row["regional_office"]
        assert seller["team"] == row["regional_office"]
        assert seller["is_seller"] is (row["sales_agent"] in owners)
    for name in managers:
        assert sellers[name]["is_seller"] is False
        assert sellers[name]["role"] == "manager"


@pytest.mark.realdata
def test_maven_stage_events(maven: Workspace) -> None:
    expected = read_rows(real_data(MAVEN) / "sales_pipeline.csv")
    engaged = sum(1 for row in expected if row["engage_date"])
    closed = sum(
        1
        for row in expected
        if row["deal_stage"] in ("Won", "Lost") and row["close_date"]
    )
    events = table_rows(maven, "stage_events")
    assert len(events) == engaged + closed
    labels = Counter(event["stage_label"] for event in events)
    assert labels["Engaging"] == engaged
    assert labels["Won"] + labels["Lost"] == closed
    by_id = {row["opportunity_id"]: row for row in expected}
    for event in events:
        row = by_id[event["opportunity_id"]]
        column = "engage_date" if event["stage_label"] == "Engaging" else "close_date"
        assert event["entered_at"] == dt.datetime.fromisoformat(row[column])


@pytest.mark.realdata
def test_maven_reimport_changes_nothing(tmp_path: Path, workspace: Workspace) -> None:
    file = maven_subset(tmp_path, 400)
    run_import(workspace, file)
    before = workspace.store.snapshot()
    result = run_import(workspace, file)
    assert workspace.store.snapshot() == before
    assert result.total("inserted") == 0
    assert result.total("updated") == 0
    assert result.total("deleted") == 0


@pytest.mark.realdata
def test_maven_missing_row_deleted(tmp_path: Path, workspace: Workspace) -> None:
    file = maven_subset(tmp_path, 300)
    run_import(workspace, file)
    rows = read_rows(file)
    removed = next(row for row in rows if row["deal_stage"] == "Won")
    write_rows(file, [row for row in rows if row is not removed])

    run_import(workspace, file, partial=True)
    deleted = [
        row for row in table_rows(workspace, "opportunities") if row["is_deleted"]
    ]
    assert deleted == []

    run_import(workspace, file)
    opportunities = table_rows(workspace, "opportunities")
    deleted_ids = [row["id"] for row in opportunities if row["is_deleted"]]
    assert deleted_ids == [removed["opportunity_id"]]
    events = table_rows(workspace, "stage_events")
    deleted_events = [e for e in events if e["is_deleted"]]
    assert len(deleted_events) == 2
    assert {e["opportunity_id"] for e in deleted_events} == {removed["opportunity_id"]}


@pytest.mark.realdata
def test_maven_partial_changes_nothing(tmp_path: Path, workspace: Workspace) -> None:
    file = maven_subset(tmp_path, 200)
    run_import(workspace, file)
    before = workspace.store.snapshot()
    write_rows(file, read_rows(file)[1:])
    run_import(workspace, file, partial=True)
    assert workspace.store.snapshot() == before


@pytest.mark.realdata
def test_cli_imports_maven_preset(tmp_path: Path) -> None:
    file = maven_subset(tmp_path, 50)
    init_workspace(tmp_path / "ws")
    command = [sys.executable, "-m", "revarch", "-w", str(tmp_path / "ws")]
    result = subprocess.run(
        [*command, "import", "pipeline", str(file), "--mapping", "maven-crm", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"inserted": ' in result.stdout
    ws = open_workspace(tmp_path / "ws")
    assert ws.store.count("opportunities") == 50
    ws.close()


# -- mapping errors ---------------------------------------------------------------

OPPORTUNITIES = """\
Deal ID,Owner,Stage,Created,Closed,Value,Currency
D1,Ann Lee,Closed Won,03/02/2025,28/02/2025,"1,200.50",EUR
D2,Bob Roy,Negotiation,14/01/2025,,800,usd
D3,Ann Lee,Closed Lost,20/01/2025,15/03/2025,0,
"""

GENERIC_MAPPING = """\
columns:
  id: Deal ID
  seller: Owner
  stage: Stage
  created_at: Created
  close_date: Closed
  amount: Value
  currency: Currency
stage_dates:
  Negotiation: Created
outcome_date: Closed
won_labels: [Closed Won]
lost_labels: [Closed Lost]
"""


@pytest.fixture
def generic(tmp_path: Path, workspace: Workspace) -> tuple[Path, Path]:
    """A small export and its mapping, imported once into the workspace."""
    file = tmp_path / "deals.csv"
    file.write_text(OPPORTUNITIES, encoding="utf-8")
    mapping = tmp_path / "deals.yaml"
    mapping.write_text(GENERIC_MAPPING, encoding="utf-8")
    run_import(workspace, file, str(mapping))
    return file, mapping


def test_generic_mapping_reads_values(
    generic: tuple[Path, Path], workspace: Workspace
) -> None:
    opportunities = {row["id"]: row for row in table_rows(workspace, "opportunities")}
    assert opportunities["D1"]["amount"] == 1200.50
    assert opportunities["D1"]["currency"] == "EUR"
    assert opportunities["D2"]["currency"] == "USD"
    assert opportunities["D3"]["currency"] == "USD"
    assert opportunities["D1"]["close_date"] == dt.date(2025, 2, 28)
    assert opportunities["D1"]["created_at"] == dt.datetime(2025, 2, 3)
    assert [opportunities[i]["status"] for i in ("D1", "D2", "D3")] == [
        "won",
        "open",
        "lost",
    ]
    sellers = {row["id"]: row for row in table_rows(workspace, "sellers")}
    assert set(sellers) == {"Ann Lee", "Bob Roy"}
    assert all(row["is_seller"] for row in sellers.values())


def test_generic_mapping_events(
    generic: tuple[Path, Path], workspace: Workspace
) -> None:
    events = sorted(
        (row["opportunity_id"], row["stage_label"], row["entered_at"])
        for row in table_rows(workspace, "stage_events")
    )
    assert events == [
        ("D1", "Closed Won", dt.datetime(2025, 2, 28)),
        ("D1", "Negotiation", dt.datetime(2025, 2, 3)),
        ("D2", "Negotiation", dt.datetime(2025, 1, 14)),
        ("D3", "Closed Lost", dt.datetime(2025, 3, 15)),
        ("D3", "Negotiation", dt.datetime(2025, 1, 20)),
    ]


def write_mapping(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_missing_column(
    generic: tuple[Path, Path], workspace: Workspace, tmp_path: Path
) -> None:
    file, _mapping = generic
    mapping = write_mapping(
        tmp_path / "typo.yaml", GENERIC_MAPPING.replace("amount: Value", "amount: Amt")
    )
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, file, str(mapping))
    message = str(caught.value)
    assert str(mapping) in message
    assert "key columns.amount" in message
    assert "'Amt'" in message
    assert "Deal ID, Owner, Stage, Created, Closed, Value, Currency" in message
    assert workspace.store.snapshot() == before


def test_mapping_missing_stage_date_column(
    generic: tuple[Path, Path], workspace: Workspace, tmp_path: Path
) -> None:
    file, _mapping = generic
    mapping = write_mapping(
        tmp_path / "typo.yaml",
        GENERIC_MAPPING.replace("Negotiation: Created", "Negotiation: Negotiated"),
    )
    before = workspace.store.snapshot()
    with pytest.raises(InputError, match="key stage_dates.Negotiation names column"):
        run_import(workspace, file, str(mapping))
    assert workspace.store.snapshot() == before


def test_mapping_unknown_key(
    generic: tuple[Path, Path], workspace: Workspace, tmp_path: Path
) -> None:
    file, _mapping = generic
    mapping = write_mapping(
        tmp_path / "typo.yaml", GENERIC_MAPPING.replace("amount: Value", "amout: Value")
    )
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, file, str(mapping))
    message = str(caught.value)
    assert str(mapping) in message
    assert "columns.amout: unknown key" in message
    assert "amount" in message.split("allowed keys are:")[1]
    assert workspace.store.snapshot() == before


def test_mapping_unknown_preset(
    generic: tuple[Path, Path], workspace: Workspace
) -> None:
    file, _mapping = generic
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, file, "salesforce-classic")
    message = str(caught.value)
    assert "'salesforce-classic': unknown preset" in message
    assert "the presets are: maven-crm" in message
    assert workspace.store.snapshot() == before


def test_cli_unknown_preset_exits_one(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    file = tmp_path / "deals.csv"
    file.write_text(OPPORTUNITIES, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "revarch", "-w", str(tmp_path / "ws"), "import"]
        + ["pipeline", str(file), "--mapping", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --mapping 'nope': unknown preset")
    assert "maven-crm" in result.stderr


def test_mapping_invalid_amount_row(
    generic: tuple[Path, Path], workspace: Workspace
) -> None:
    file, mapping = generic
    file.write_text(OPPORTUNITIES.replace("800,usd", "eight hundred,usd"))
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, file, str(mapping))
    message = str(caught.value)
    assert "deals.csv, row 3, column 'Value'" in message
    assert "'eight hundred'" in message
    assert workspace.store.snapshot() == before


def test_mapping_empty_id_rejected(
    generic: tuple[Path, Path], workspace: Workspace
) -> None:
    file, mapping = generic
    file.write_text(OPPORTUNITIES.replace("D2,", ","))
    before = workspace.store.snapshot()
    with pytest.raises(InputError, match=r"row 3, column 'Deal ID'.*missing_id"):
        run_import(workspace, file, str(mapping))
    assert workspace.store.snapshot() == before


def test_missing_id_generated_stable(workspace: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "deals.csv"
    file.write_text(
        OPPORTUNITIES.replace("D2,", ",").replace("D3,", ","), encoding="utf-8"
    )
    mapping = write_mapping(
        tmp_path / "deals.yaml", GENERIC_MAPPING + "missing_id: generate\n"
    )
    result = run_import(workspace, file, str(mapping))
    ids = sorted(row["id"] for row in table_rows(workspace, "opportunities"))
    assert ids[0] == "D1"
    assert all(i.startswith("gen-") for i in ids[1:])
    assert len(set(ids)) == 3
    assert any("2 opportunities" in note for note in result.notes)
    before = workspace.store.snapshot()
    run_import(workspace, file, str(mapping))
    assert workspace.store.snapshot() == before


def test_sellers_file_by_id(workspace: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "deals.csv"
    file.write_text(
        "id,owner,stage\n1,u1,Won\n2,u2,Open\n3,u1,Open\n", encoding="utf-8"
    )
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "users.csv").write_text(
        "user,full name,boss,hired\nu1,Ann Lee,u9,2024-02-01\n"
        "u2,Bob Roy,u9,2023-11-15\nu3,Cy Diaz,u1,\n",
        encoding="utf-8",
    )
    mapping = write_mapping(
        tmp_path / "deals.yaml",
        "columns: {id: id, seller: owner, stage: stage}\n"
        "won_labels: [Won]\nseller_key: id\n"
        "sellers:\n  file: people/users.csv\n"
        "  columns: {id: user, name: full name, manager: boss, hire_date: hired}\n",
    )
    run_import(workspace, file, str(mapping))

    sellers = {row["id"]: row for row in table_rows(workspace, "sellers")}
    assert set(sellers) == {"u1", "u2", "u3", "u9"}
    assert sellers["u1"]["name"] == "Ann Lee"
    assert sellers["u1"]["hire_date"] == dt.date(2024, 2, 1)
    assert sellers["u3"]["manager_id"] == "u1"
    assert [sellers[i]["is_seller"] for i in ("u1", "u2", "u3", "u9")] == [
        True,
        True,
        False,
        False,
    ]
    assert sellers["u9"]["name"] is None


def test_mapping_keys_documented() -> None:
    docs = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")
    models = (Mapping, OpportunityColumns, SellersFile, SellerColumns)
    keys = {key for model in models for key in model.model_fields}
    undocumented = sorted(key for key in keys if f"`{key}`" not in docs)
    assert undocumented == []


# -- date detection -------------------------------------------------------------

dates = st.lists(
    st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2068, 12, 31)),
    min_size=1,
    max_size=12,
)
STYLES = {
    "iso": lambda d: d.isoformat(),
    "iso-time": lambda d: f"{d.isoformat()} 9:05:00",
    "day-first": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "month-first": lambda d: f"{d.month}/{d.day}/{d.year}",
    "month-first-short": lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
}


@pytest.fixture(scope="module")
def date_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("dates") / "ws"
    init_workspace(path)
    ws = open_workspace(path)
    yield ws.store
    ws.close()


def parse_column(store: Store, values: list[str]) -> list[dt.date | None]:
    """Stage one date column, detect its format and return the parsed dates."""
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, encoding="utf-8"
    ) as handle:
        handle.write("n,when\n")
        handle.writelines(f"{i},{value}\n" for i, value in enumerate(values))
    raw = store.read_csv(Path(handle.name))
    Path(handle.name).unlink()
    formats = parsing.detect_date_formats(store, raw.table, ["when"], file="dates.csv")
    parsed = raw.table.order_by("_row").select(
        day=parsing.date(raw.table["when"], formats["when"])
    )
    return [row["day"] for row in store.rows(parsed)]


@settings(max_examples=60, deadline=None)
@given(days=dates, style=st.sampled_from(sorted(STYLES)))
def test_detection_returns_dates(
    date_store: Store, days: list[dt.date], style: str
) -> None:
    values = [STYLES[style](day) for day in days]
    settled = style.startswith("iso") or any(day.day > 12 for day in days)
    if settled:
        assert parse_column(date_store, values) == days
        return
    with pytest.raises(InputError) as caught:
        parse_column(date_store, values)
    message = str(caught.value)
    assert "--day-first" in message
    assert "--month-first" in message
    assert "column 'when'" in message


@settings(max_examples=30, deadline=None)
@given(
    days=st.lists(
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31)),
        min_size=1,
        max_size=8,
    )
)
def test_ambiguous_column_raises(date_store: Store, days: list[dt.date]) -> None:
    values = [f"{min(d.day, 12):02d}/{d.month:02d}/{d.year}" for d in days]
    with pytest.raises(InputError, match="pass --day-first or --month-first"):
        parse_column(date_store, values)
