"""The csv importer: CSV files in revarch's own table layout."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.importers.csvtables import import_tables
from revarch.storage import ImportResult
from revarch.workspace import Workspace

FX_RATES = """\
currency,date,rate
EUR,2025-01-01,1.08
EUR,2025-02-01,1.1
GBP,2025-01-01,1.27
"""

QUOTAS = """\
seller_id,period,amount,currency
s1,2025-Q1,100000,
s1,2025-CQ2,120000,USD
s2,FY2025,400000,EUR
s2,2025-03,30000,
s3,2025-W14,5000,
s3,2020-W53,5000,
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run_import(ws: Workspace, folder: Path, **options: Any) -> ImportResult:
    return import_tables(ws, folder, ImportOptions(**options))


def table_rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.store.rows(ws.store.table(name))


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture
def finance(tmp_path: Path, workspace: Workspace) -> Path:
    """A folder with fx_rates.csv and quotas.csv, imported once."""
    folder = write(
        tmp_path / "finance", {"fx_rates.csv": FX_RATES, "quotas.csv": QUOTAS}
    )
    run_import(workspace, folder)
    return folder


def test_fx_rates_match_file(finance: Path, workspace: Workspace) -> None:
    expected = {
        (row["currency"], dt.date.fromisoformat(row["date"])): float(row["rate"])
        for row in csv_rows(FX_RATES)
    }
    got = {
        (row["currency"], row["date"]): row["rate"]
        for row in table_rows(workspace, "fx_rates")
    }
    assert got == expected


def test_quotas_match_file(finance: Path, workspace: Workspace) -> None:
    expected = {
        (row["seller_id"], row["period"]): (
            float(row["amount"]),
            row["currency"] or "USD",
        )
        for row in csv_rows(QUOTAS)
    }
    got = {
        (row["seller_id"], row["period"]): (row["amount"], row["currency"])
        for row in table_rows(workspace, "quotas")
    }
    assert got == expected


def test_reimport_changes_nothing(finance: Path, workspace: Workspace) -> None:
    before = workspace.store.snapshot()
    result = run_import(workspace, finance)
    assert workspace.store.snapshot() == before
    assert result.total("unchanged") == len(csv_rows(FX_RATES)) + len(csv_rows(QUOTAS))
    assert result.total("inserted") == 0
    assert result.total("updated") == 0


def test_missing_quota_row_deleted(finance: Path, workspace: Workspace) -> None:
    lines = QUOTAS.splitlines(keepends=True)
    write(finance, {"quotas.csv": "".join(lines[:-1])})
    run_import(workspace, finance, partial=True)
    assert not any(row["is_deleted"] for row in table_rows(workspace, "quotas"))
    run_import(workspace, finance)
    deleted = [
        (row["seller_id"], row["period"])
        for row in table_rows(workspace, "quotas")
        if row["is_deleted"]
    ]
    assert deleted == [("s3", "2020-W53")]


BAD_INPUTS = {
    "missing column": (
        {"fx_rates.csv": "currency,date\nEUR,2025-01-01\n"},
        [
            "fx_rates.csv: missing required column 'rate'",
            "the file has: currency, date",
        ],
    ),
    "malformed date": (
        {"fx_rates.csv": "currency,date,rate\nEUR,2025-01-01,1.1\nEUR,2025-13-45,1\n"},
        ["fx_rates.csv, row 3, column 'date'", "'2025-13-45'"],
    ),
    "unreadable date": (
        {"fx_rates.csv": "currency,date,rate\nEUR,2025-01-01,1.1\nEUR,soon,1\n"},
        ["fx_rates.csv, row 3, column 'date'", "'soon'"],
    ),
    "duplicate key": (
        {"fx_rates.csv": FX_RATES + "EUR,2025-02-01,1.2\n"},
        ["fx_rates.csv: duplicate currency, date", "EUR/2025-02-01", "rows [3, 5]"],
    ),
    "negative rate": (
        {"fx_rates.csv": "currency,date,rate\nEUR,2025-01-01,-1.1\n"},
        ["fx_rates.csv, row 2, column 'rate'", "'-1.1'", "positive rate"],
    ),
    "zero rate": (
        {"fx_rates.csv": "currency,date,rate\nEUR,2025-01-01,0\n"},
        ["row 2, column 'rate'", "positive rate"],
    ),
    "lower-case currency": (
        {"fx_rates.csv": "currency,date,rate\neur,2025-01-01,1.1\n"},
        ["row 2, column 'currency'", "'eur'", "upper-case"],
    ),
    "rate not a number": (
        {"fx_rates.csv": "currency,date,rate\nEUR,2025-01-01,about one\n"},
        ["row 2, column 'rate'", "'about one'", "a number"],
    ),
    "bad period": (
        {"quotas.csv": "seller_id,period,amount\ns1,2025-Q1,10\ns1,Q2 2025,10\n"},
        ["quotas.csv, row 3, column 'period'", "'Q2 2025'", "2025-W14"],
    ),
    "week 53 in a 52-week year": (
        {"quotas.csv": "seller_id,period,amount\ns1,2021-W53,10\n"},
        ["quotas.csv, row 2, column 'period'", "'2021-W53'"],
    ),
    "negative quota": (
        {"quotas.csv": "seller_id,period,amount\ns1,2025-Q1,-10\n"},
        ["row 2, column 'amount'", "zero or more"],
    ),
    "empty required cell": (
        {"quotas.csv": "seller_id,period,amount\n,2025-Q1,10\n"},
        ["quotas.csv, row 2, column 'seller_id'", "needs seller_id"],
    ),
    "empty file": (
        {"quotas.csv": ""},
        ["quotas.csv: the file is empty"],
    ),
    "bad status": (
        {"opportunities.csv": "id,status\no1,open\no2,closed\n"},
        ["opportunities.csv, row 3, column 'status'", "'closed'", "open, won or lost"],
    ),
    "no status or stage": (
        {"opportunities.csv": "id,amount\no1,10\n"},
        ["missing required column 'status or stage_label'"],
    ),
    "bad activity type": (
        {"activities.csv": "id,type\na1,call\na2,fax\n"},
        ["activities.csv, row 3, column 'type'", "'fax'", "meeting"],
    ),
    "bad boolean": (
        {"sellers.csv": "id,is_seller\nu1,true\nu2,maybe\n"},
        ["sellers.csv, row 3, column 'is_seller'", "'maybe'"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS), ids=str)
def test_bad_input_changes_nothing(
    case: str, finance: Path, workspace: Workspace, tmp_path: Path
) -> None:
    files, expected = BAD_INPUTS[case]
    folder = write(tmp_path / "bad", files)
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    for part in expected:
        assert part in message
    assert workspace.store.snapshot() == before


def test_folder_without_tables(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(tmp_path / "other", {"readme.txt": "hello"})
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    for name in ("sellers.csv", "opportunities.csv", "fx_rates.csv", "quotas.csv"):
        assert name in message


def test_unknown_file_and_column_noted(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(
        tmp_path / "mixed",
        {
            "fx_rates.csv": "currency,date,rate,comment\nEUR,2025-01-01,1.1,x\n",
            "budget.csv": "a\n1\n",
        },
    )
    result = run_import(workspace, folder)
    assert any("ignored budget.csv" in note for note in result.notes)
    assert any("ignored columns comment" in note for note in result.notes)
    assert workspace.store.count("fx_rates") == 1


def test_unknown_sellers_noted(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(
        tmp_path / "crm",
        {
            "sellers.csv": "id,name\ns1,Ana\n",
            "quotas.csv": QUOTAS,
        },
    )
    result = run_import(workspace, folder)
    unknown = sorted({row["seller_id"] for row in csv_rows(QUOTAS)} - {"s1"})
    notes = [note for note in result.notes if "match no seller" in note]
    assert len(notes) == 1
    assert notes[0].startswith(f"quotas.csv: {len(unknown)} seller_id values")
    for seller in unknown:
        assert repr(seller) in notes[0]
    assert "'s1'" not in notes[0]
    # Once imported, s1 is known to the workspace without a sellers.csv.
    again = run_import(
        workspace, write(tmp_path / "again" / "crm", {"quotas.csv": QUOTAS})
    )
    notes = [note for note in again.notes if "match no seller" in note]
    assert len(notes) == 1
    assert "'s1'" not in notes[0]


OPPORTUNITIES = """\
id,stage_label,status,amount,created_at,close_date
o1,Closed Won,,"1,000",03/02/2025 14:30,28/02/2025
o2,Discovery,,,14/01/2025 09:00,
o3,Closed Lost,lost,0,20/01/2025 10:00,15/03/2025
"""

STAGE_EVENTS = """\
opportunity_id,stage_label,entered_at
o1,Discovery,2025-02-03 14:30
o1,Discovery,2025-02-03 14:30
o1,Closed Won,2025-02-28
o2,Discovery,2025-01-14 09:00
"""


def test_opportunities_and_events(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(
        tmp_path / "crm",
        {"opportunities.csv": OPPORTUNITIES, "stage_events.csv": STAGE_EVENTS},
    )
    run_import(workspace, folder, timezone="Europe/Berlin")
    opportunities = {row["id"]: row for row in table_rows(workspace, "opportunities")}
    statuses = [opportunities[i]["status"] for i in ("o1", "o2", "o3")]
    assert statuses == ["won", "open", "lost"]
    assert opportunities["o1"]["amount"] == 1000
    assert opportunities["o1"]["currency"] == "USD"
    # 14:30 in Berlin (UTC+1 in February) is 13:30 UTC; dates are not shifted.
    assert opportunities["o1"]["created_at"] == dt.datetime(2025, 2, 3, 13, 30)
    assert opportunities["o1"]["close_date"] == dt.date(2025, 2, 28)
    events = sorted(
        table_rows(workspace, "stage_events"),
        key=lambda row: row["seq"],
    )
    assert [row["seq"] for row in events] == [2, 3, 4, 5]
    assert [row["opportunity_id"] for row in events] == ["o1", "o1", "o1", "o2"]
    assert len({row["source_id"] for row in events}) == 4
    before = workspace.store.snapshot()
    run_import(workspace, folder, timezone="Europe/Berlin")
    assert workspace.store.snapshot() == before


def test_status_from_labels_noted(tmp_path: Path, workspace: Workspace) -> None:
    empty = sum(not row["status"] for row in csv_rows(OPPORTUNITIES))
    folder = write(tmp_path / "crm", {"opportunities.csv": OPPORTUNITIES})
    result = run_import(workspace, folder, timezone="Europe/Berlin")
    notes = [note for note in result.notes if "comes from the stage label" in note]
    assert notes == [
        f"opportunities.csv: {empty} rows have no status and the process defines "
        "no won or lost labels, so their status comes from the stage label: "
        "labels containing 'won' are won, those containing 'lost' lost, the rest "
        "open"
    ]
    filled = OPPORTUNITIES.replace("Closed Won,,", "Closed Won,won,").replace(
        "Discovery,,", "Discovery,open,"
    )
    folder = write(tmp_path / "filled" / "crm", {"opportunities.csv": filled})
    result = run_import(workspace, folder, timezone="Europe/Berlin")
    assert not [note for note in result.notes if "stage label" in note]


def test_ambiguous_dates_need_order(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(
        tmp_path / "crm",
        {"fx_rates.csv": "currency,date,rate\nEUR,03/02/2025,1.1\nEUR,04/02/2025,1\n"},
    )
    with pytest.raises(InputError, match="--day-first or --month-first"):
        run_import(workspace, folder)
    run_import(workspace, folder, order="day")
    dates = sorted(row["date"] for row in table_rows(workspace, "fx_rates"))
    assert dates == [dt.date(2025, 2, 3), dt.date(2025, 2, 4)]


def test_seller_list_fills_other_source(tmp_path: Path, workspace: Workspace) -> None:
    """A seller list adds hire dates to the sellers a CRM export brought."""
    crm = write(
        tmp_path / "crm",
        {"sellers.csv": "id,name,email,team\ns1,Ann,ann@x.com,East\ns2,Bob,,\n"},
    )
    run_import(workspace, crm, source="crm")

    people = write(
        tmp_path / "hr",
        {
            "sellers.csv": "id,name,email,team,hire_date\n"
            "a9,Ann B,ANN@x.com,West,2025-03-01\n"
            "s2,Bob,,North,2024-11-15\n"
        },
    )
    result = run_import(workspace, people, source="hr", partial=True)
    (counts,) = result.tables
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 2, 0)

    rows = {row["id"]: row for row in table_rows(workspace, "sellers")}
    assert set(rows) == {"s1", "s2"}
    # Ann was matched by email: her name and team stay the CRM's.
    assert (rows["s1"]["name"], rows["s1"]["team"]) == ("Ann", "East")
    assert rows["s1"]["hire_date"] == dt.date(2025, 3, 1)
    # Bob had no team, so the seller list's team fills it.
    assert (rows["s2"]["team"], rows["s2"]["hire_date"]) == (
        "North",
        dt.date(2024, 11, 15),
    )

    before = workspace.store.snapshot()
    again = run_import(workspace, people, source="hr", partial=True)
    assert (again.tables[0].updated, again.tables[0].unchanged) == (0, 2)
    assert workspace.store.snapshot() == before
