"""The Salesforce importer on real exports, edited copies of them and generated data.

Expected numbers come from the CSV files, read here with Python's csv
module, or from values worked out by hand; never from the importer itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.importers.salesforce import import_salesforce
from revarch.importers.salesforce_files import classify
from revarch.storage import ImportResult
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import real_data

PREPPIN = "salesforce-preppin-2022w23"
DEVORG = "salesforce-devorg-export"
DTC = "salesforce-dtc-demo"
SENTINEL = "000000000000000AAA"

pytestmark = pytest.mark.realdata


# -- helpers ---------------------------------------------------------------------


def read_rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Read a CSV file with the csv module, headers stripped of spaces."""
    with path.open(encoding=encoding, newline="") as handle:
        return [
            {key.strip(): value for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def write_rows(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def text_status(label: str) -> str:
    """Return the status a stage label's text means, as Salesforce names it."""
    return {"Closed Won": "won", "Closed Lost": "lost"}.get(label, "open")


def copy_data(name: str, tmp_path: Path) -> Path:
    """Copy a real export folder into tmp_path (writable) and return the copy."""
    target = tmp_path / name
    shutil.copytree(real_data(name), target)
    for path in target.iterdir():
        path.chmod(0o644)
    target.chmod(0o755)
    return target


def run_import(ws: Workspace, folder: Path, **options: Any) -> ImportResult:
    return import_salesforce(ws, folder, ImportOptions(**options))


def table_rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.store.rows(ws.store.table(name))


def table_counts(result: ImportResult) -> dict[str, int]:
    return {t.table: t.inserted for t in result.tables}


def finding(result: ImportResult, kind: str) -> Any:
    found = [f for f in result.findings if f.kind == kind]
    assert found, f"no {kind} finding in {[f.kind for f in result.findings]}"
    return found[0]


@pytest.fixture(scope="module")
def imported(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], tuple[Workspace, ImportResult]]]:
    """Import each real data set once per module, into its own workspace."""
    cache: dict[str, tuple[Workspace, ImportResult]] = {}

    def get(name: str) -> tuple[Workspace, ImportResult]:
        if name not in cache:
            folder = real_data(name)
            path = tmp_path_factory.mktemp(name) / "ws"
            init_workspace(path)
            ws = open_workspace(path)
            cache[name] = (ws, run_import(ws, folder))
        return cache[name]

    yield get
    for ws, _result in cache.values():
        ws.close()


# -- file names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Opportunity.csv", "opportunity"),
        ("opportunity.CSV", "opportunity"),
        ("DTC_Opportunity.csv", "opportunity"),
        ("Opportunity History.csv", "history"),
        ("OpportunityHistory.csv", "history"),
        ("opportunity_history.csv", "history"),
        ("DTC_OpportunityHistory.csv", "history"),
        ("OpportunityStage.csv", "stage"),
        ("User.csv", "user"),
        ("UserRole.csv", "role"),
        ("Task.csv", "task"),
        ("DTC_Event.csv", "event"),
        ("DTC_Telephony.csv", "call"),
        ("Call Log.csv", "call"),
        ("DatedConversionRate.csv", "dated_rate"),
        ("CurrencyType.csv", "currency"),
        ("account.csv", None),
        ("LoginEvent.csv", None),
        ("OpportunityFieldHistory.csv", None),
        ("Cleaned Salesforce Data (expected output).csv", None),
        ("Opportunity.xlsx", None),
    ],
    ids=lambda value: str(value),
)
def test_classify_file_names(name: str, kind: str | None) -> None:
    assert classify(Path(name)) == kind


def test_renamed_files_import(workspace: Workspace, tmp_path: Path) -> None:
    source = real_data(PREPPIN)
    folder = tmp_path / "renamed"
    folder.mkdir()
    shutil.copy(source / "Opportunity.csv", folder / "ACME_opportunity.CSV")
    shutil.copy(source / "Opportunity History.csv", folder / "opportunity_history.csv")
    result = run_import(workspace, folder)
    assert result.files == ["ACME_opportunity.CSV", "opportunity_history.csv"]
    assert table_counts(result)["stage_events"] == len(
        read_rows(source / "Opportunity History.csv")
    )


def test_missing_opportunity_file_lists_files(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = copy_data(DEVORG, tmp_path)
    (folder / "opportunity.csv").unlink()
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    assert str(folder) in message
    assert "no Opportunity file" in message
    assert "OpportunityHistory.csv" in message


def test_ignored_files_noted(imported: Callable[..., Any]) -> None:
    _ws, result = imported(DEVORG)
    note = next(n for n in result.notes if "ignored" in n)
    for name in ("PricebookEntry.csv", "Product2.csv", "account.csv"):
        assert name in note


# -- preppin: report headers, day-first dates, contradicting flags ---------------


def test_preppin_counts(imported: Callable[..., Any]) -> None:
    ws, result = imported(PREPPIN)
    folder = real_data(PREPPIN)
    opportunities = read_rows(folder / "Opportunity.csv")
    history = read_rows(folder / "Opportunity History.csv")
    stored = table_rows(ws, "opportunities")
    expected = Counter(text_status(r["StageName"]) for r in opportunities)
    assert len(stored) == len(opportunities)
    assert Counter(r["status"] for r in stored) == expected
    assert ws.store.count("stage_events") == len(history)
    assert ws.store.count("sellers") == len({r["OwnerId"] for r in opportunities})
    assert ws.store.count("activities") == 0
    assert result.rejected == 0


def test_preppin_status_corrections(imported: Callable[..., Any]) -> None:
    ws, result = imported(PREPPIN)
    opportunities = read_rows(real_data(PREPPIN) / "Opportunity.csv")
    contradicted = set()
    for row in opportunities:
        closed, won = row["IsClosed"] == "TRUE", row["IsWon"] == "TRUE"
        flags = "open"
        if closed:
            flags = "lost"
        if won:
            flags = "won"
        if flags != text_status(row["StageName"]):
            contradicted.add(row["Id"])
    corrected = {
        r["id"] for r in table_rows(ws, "opportunities") if r["status_corrected"]
    }
    found = finding(result, "status_flags_contradict_stage")
    assert contradicted
    assert corrected == contradicted
    assert found.count == len(contradicted)
    assert set(found.examples) <= contradicted


def test_preppin_backward_moves_kept(imported: Callable[..., Any]) -> None:
    ws, _result = imported(PREPPIN)
    rows = read_rows(real_data(PREPPIN) / "Opportunity History.csv")

    def backward(events: list[tuple[Any, int, int]]) -> int:
        by_opportunity = defaultdict(list)
        for opportunity, when, seq, order in events:
            by_opportunity[opportunity].append((when, seq, order))
        moves = 0
        for visits in by_opportunity.values():
            visits.sort()
            moves += sum(b[2] < a[2] for a, b in zip(visits, visits[1:], strict=False))
        return moves

    from_file = [
        (
            r["OppID"],
            dt.datetime.strptime(r["CreatedDate"], "%d/%m/%Y"),
            number,
            int(r["SortOrder"]),
        )
        for number, r in enumerate(rows, start=1)
    ]
    stored = [
        (r["opportunity_id"], r["entered_at"], r["seq"], r["sort_order"])
        for r in table_rows(ws, "stage_events")
    ]
    assert backward(from_file) == 72
    assert backward(stored) == 72
    assert sorted((o, w, s) for o, w, _n, s in stored) == sorted(
        (o, w, s) for o, w, _n, s in from_file
    )


def test_preppin_day_first_dates(imported: Callable[..., Any]) -> None:
    ws, _result = imported(PREPPIN)
    opportunities = {r["id"]: r for r in table_rows(ws, "opportunities")}
    # File row 2: CreatedDate 14/03/2022, CloseDate 24/03/2022.
    first = opportunities["0068d000002OrZqAAK"]
    assert first["created_at"] == dt.datetime(2022, 3, 14)
    assert first["close_date"] == dt.date(2022, 3, 24)
    # File row 3: 01/05/2022 is the 1st of May, not the 5th of January.
    assert opportunities["0068d000002OrZrAAK"]["created_at"] == dt.datetime(2022, 5, 1)
    events = [
        r
        for r in table_rows(ws, "stage_events")
        if r["opportunity_id"] == "0068d000002OrbYAAS"
    ]
    # History rows 2-4: 06/04/2022, 02/07/2022, 07/07/2022.
    assert sorted((r["entered_at"], r["stage_label"]) for r in events) == [
        (dt.datetime(2022, 4, 6), "Negotiation/Review"),
        (dt.datetime(2022, 7, 2), "Prospecting"),
        (dt.datetime(2022, 7, 7), "Closed Won"),
    ]


def test_preppin_month_first_rejected(workspace: Workspace) -> None:
    with pytest.raises(InputError) as caught:
        run_import(workspace, real_data(PREPPIN), order="month")
    message = str(caught.value)
    assert "Opportunity.csv, row 2, column 'CreatedDate'" in message
    assert "'14/03/2022'" in message
    assert workspace.store.count("opportunities") == 0


def test_preppin_stage_sort_order(imported: Callable[..., Any]) -> None:
    ws, _result = imported(PREPPIN)
    history = read_rows(real_data(PREPPIN) / "Opportunity History.csv")
    expected = {r["StageName"]: int(r["SortOrder"]) for r in history}
    stored = {r["label"]: r["sort_order"] for r in table_rows(ws, "stage_labels")}
    assert stored == expected


# -- dev org: Data Export with users, sentinels and repeated history -------------


def test_devorg_counts(imported: Callable[..., Any]) -> None:
    ws, _result = imported(DEVORG)
    folder = real_data(DEVORG)
    opportunities = read_rows(folder / "opportunity.csv")
    users = {r["Id"]: r for r in read_rows(folder / "User.csv")}
    owners = {r["OwnerId"] for r in opportunities}
    managers = {users[o]["ManagerId"] for o in owners} - {SENTINEL, ""}
    stored = table_rows(ws, "opportunities")
    expected = Counter(text_status(r["StageName"]) for r in opportunities)
    assert Counter(r["status"] for r in stored) == expected
    assert ws.store.count("stage_events") == len(
        read_rows(folder / "OpportunityHistory.csv")
    )
    sellers = table_rows(ws, "sellers")
    assert {s["id"] for s in sellers if s["is_seller"]} == owners
    assert {s["id"] for s in sellers if not s["is_seller"]} == managers


def test_devorg_duplicate_history_rows_both_import(
    imported: Callable[..., Any],
) -> None:
    ws, _result = imported(DEVORG)
    history = read_rows(real_data(DEVORG) / "OpportunityHistory.csv")
    repeated = Counter(
        (r["OpportunityId"], r["CreatedDate"], r["StageName"]) for r in history
    )
    stored = {r["source_id"] for r in table_rows(ws, "stage_events")}
    assert set(repeated.values()) == {2}
    assert stored == {r["Id"] for r in history}


def test_devorg_system_users_not_sellers(imported: Callable[..., Any]) -> None:
    ws, result = imported(DEVORG)
    folder = real_data(DEVORG)
    owners = {r["OwnerId"] for r in read_rows(folder / "opportunity.csv")}
    users = read_rows(folder / "User.csv")
    idle = {u["Id"] for u in users} - owners
    stored = {s["id"] for s in table_rows(ws, "sellers")}
    assert idle
    assert not idle & stored
    assert any(f"{len(idle)} of {len(users)} users" in n for n in result.notes)


def test_devorg_sentinel_ids_null(imported: Callable[..., Any]) -> None:
    ws, _result = imported(DEVORG)
    users = {r["Id"]: r for r in read_rows(real_data(DEVORG) / "User.csv")}
    sellers = table_rows(ws, "sellers")
    assert sellers
    for seller in sellers:
        assert users[seller["id"]]["ManagerId"] == SENTINEL
        assert users[seller["id"]]["UserRoleId"] == SENTINEL
        assert seller["manager_id"] is None
        assert seller["role"] is None
    assert all(r["seller_id"] != SENTINEL for r in table_rows(ws, "opportunities"))


def test_devorg_iso_times_stay_utc(workspace: Workspace) -> None:
    run_import(workspace, real_data(DEVORG), timezone="America/New_York")
    created = {r["created_at"] for r in table_rows(workspace, "opportunities")}
    # Every CreatedDate in the file is 2023-10-28 20:45:25, written in UTC.
    assert created == {dt.datetime(2023, 10, 28, 20, 45, 25)}


# -- DTC: no ids, names as references, call logs ---------------------------------


def test_dtc_counts(imported: Callable[..., Any]) -> None:
    ws, result = imported(DTC)
    folder = real_data(DTC)
    opportunities = read_rows(folder / "DTC_Opportunity.csv")
    activity_files = ["DTC_Task.csv", "DTC_Event.csv", "DTC_Telephony.csv"]
    activities = [r for name in activity_files for r in read_rows(folder / name)]
    owners = {r["Owner.Name"] for r in opportunities} | {
        r["OwnerId"] for r in activities
    }
    stored = table_rows(ws, "opportunities")
    expected = Counter(text_status(r["StageName"]) for r in opportunities)
    assert Counter(r["status"] for r in stored) == expected
    assert ws.store.count("stage_events") == len(
        read_rows(folder / "DTC_OpportunityHistory.csv")
    )
    assert {s["id"] for s in table_rows(ws, "sellers")} == owners
    assert ws.store.count("activities") == len(activities)
    assert any("no Id column" in n for n in result.notes)


def test_dtc_activities_resolved_by_name(imported: Callable[..., Any]) -> None:
    ws, result = imported(DTC)
    folder = real_data(DTC)
    names = {r["Name"] for r in read_rows(folder / "DTC_Opportunity.csv")}
    activity_files = ["DTC_Task.csv", "DTC_Event.csv", "DTC_Telephony.csv"]
    activities = [r for name in activity_files for r in read_rows(folder / name)]
    unresolved = sum(r["WhatId"] not in names for r in activities)
    stored = table_rows(ws, "activities")
    assert unresolved == 1838
    assert finding(result, "activity_opportunity_unresolved").count == unresolved
    assert sum(r["opportunity_id"] is None for r in stored) == unresolved
    # First row of DTC_Task.csv.
    task = next(r for r in stored if r["subject"] == "Task exec hidli [5796]")
    assert task["opportunity_id"] == "Opportunity for Greer1"
    assert task["seller_id"] == "Harold Campbell"
    assert task["occurred_at"] == dt.datetime(2015, 6, 24)


def test_dtc_activity_types(imported: Callable[..., Any]) -> None:
    ws, _result = imported(DTC)
    folder = real_data(DTC)
    tasks = read_rows(folder / "DTC_Task.csv")
    calls = read_rows(folder / "DTC_Telephony.csv")
    by_subtype = Counter(r["TaskSubtype"] for r in tasks)
    stored = Counter(r["type"] for r in table_rows(ws, "activities"))
    assert stored["email"] == by_subtype["Email"]
    assert stored["call"] == by_subtype["Call"] + len(calls)
    assert stored["meeting"] == len(read_rows(folder / "DTC_Event.csv"))
    assert stored["other"] == by_subtype["Task"]


def test_dtc_call_duration_and_outcome(imported: Callable[..., Any]) -> None:
    ws, _result = imported(DTC)
    first = read_rows(real_data(DTC) / "DTC_Telephony.csv")[0]
    stored = [
        r
        for r in table_rows(ws, "activities")
        if r["import_file"] == "DTC_Telephony.csv"
        and r["seller_id"] == first["OwnerId"]
        and r["outcome"] == first["Call Result"]
        and r["subtype"] == first["Call Type"]
        and r["occurred_at"] == dt.datetime.fromisoformat(first["ActivityDate"])
    ]
    minutes = int(first["CallDurationInSeconds"]) / 60
    assert any(r["duration_minutes"] == pytest.approx(minutes) for r in stored)


# -- re-import and deletion ------------------------------------------------------


@pytest.mark.parametrize("name", [PREPPIN, DEVORG, DTC])
def test_reimport_changes_nothing(imported: Callable[..., Any], name: str) -> None:
    ws, _result = imported(name)
    before = ws.store.snapshot()
    again = run_import(ws, real_data(name))
    assert ws.store.snapshot() == before
    assert again.total("inserted") == 0
    assert again.total("updated") == 0
    assert again.total("deleted") == 0


def drop_opportunity_row(folder: Path, file: str, index: int) -> str:
    """Remove the data row ``index`` (0-based) from a file and return its Id."""
    lines = (folder / file).read_text(encoding="utf-8-sig").splitlines(keepends=True)
    removed = lines.pop(index + 1)
    (folder / file).write_text("".join(lines), encoding="utf-8")
    return next(csv.reader([removed]))[1]


def test_full_reimport_marks_removed_deleted(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    run_import(workspace, folder)
    removed = drop_opportunity_row(folder, "Opportunity.csv", 3)
    history = read_rows(folder / "Opportunity History.csv")
    orphans = sum(r["OppID"] == removed for r in history)

    partial = run_import(workspace, folder, partial=True)
    rows = {r["id"]: r for r in table_rows(workspace, "opportunities")}
    assert partial.total("deleted") == 0
    assert partial.rejected == 0
    assert rows[removed]["is_deleted"] is False

    full = run_import(workspace, folder)
    rows = {r["id"]: r for r in table_rows(workspace, "opportunities")}
    deleted = {t.table: t.deleted for t in full.tables}
    assert rows[removed]["is_deleted"] is True
    assert sum(r["is_deleted"] for r in rows.values()) == 1
    assert deleted["opportunities"] == 1
    assert deleted["stage_events"] == orphans
    assert full.rejected == orphans
    assert finding(full, "history_unknown_opportunity").count == orphans


def test_is_deleted_flag_kept(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    edit_cell(folder / "Opportunity.csv", 4, "IsDeleted", "TRUE")
    deleted_id = read_rows(folder / "Opportunity.csv")[2]["Id"]
    run_import(workspace, folder)
    rows = table_rows(workspace, "opportunities")
    assert {r["id"] for r in rows if r["is_deleted"]} == {deleted_id}


# -- bad input: the message names the place, and nothing is written --------------


@pytest.fixture(scope="module")
def preppin_workspace(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    """A workspace holding the preppin export imported as source 'preppin'.

    Tests that expect an import to fail share it: each checks that its
    failed import left every table unchanged.
    """
    path = tmp_path_factory.mktemp("preppin") / "ws"
    init_workspace(path)
    with open_workspace(path) as ws:
        run_import(ws, real_data(PREPPIN), source="preppin")
        yield ws


@pytest.fixture
def preppin_copy(tmp_path: Path) -> Path:
    return copy_data(PREPPIN, tmp_path)


def import_fails(ws: Workspace, folder: Path) -> str:
    """Import ``folder`` as source 'preppin', expect an InputError, return it."""
    before = ws.store.snapshot()
    assert before["opportunities"]
    with pytest.raises(InputError) as caught:
        run_import(ws, folder, source="preppin")
    assert ws.store.snapshot() == before
    return str(caught.value)


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts the header as row 1, like the messages."""
    rows = read_rows(path)
    rows[row - 2][column] = value
    write_rows(path, rows)


def test_missing_column_names_file(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    rows = read_rows(path)
    write_rows(path, [{k: v for k, v in r.items() if k != "StageName"} for r in rows])
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv: missing required column" in message
    assert "'StageName'" in message


def test_malformed_date_names_row(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    edit_cell(preppin_copy / "Opportunity.csv", 5, "CreatedDate", "31/02/2022")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv, row 5, column 'CreatedDate'" in message
    assert "'31/02/2022'" in message


def test_unreadable_date_names_row(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    edit_cell(preppin_copy / "Opportunity History.csv", 7, "CreatedDate", "soon")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity History.csv, row 7, column 'CreatedDate'" in message
    assert "'soon'" in message


def test_text_amount_names_row(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    edit_cell(preppin_copy / "Opportunity.csv", 9, "Amount", "lots")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv, row 9, column 'Amount'" in message
    assert "'lots'" in message


def test_duplicate_ids_name_rows(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    rows = read_rows(path)
    write_rows(path, [*rows, rows[0]])
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv: duplicate id" in message
    assert rows[0]["Id"] in message
    assert f"rows [2, {len(rows) + 2}]" in message


def test_empty_file_rejected(preppin_workspace: Workspace, preppin_copy: Path) -> None:
    (preppin_copy / "Opportunity.csv").write_bytes(b"")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv: the file is empty" in message


def test_header_only_file_rejected(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n", encoding="utf-8")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv: the file has a header but no opportunities" in message


def test_cp1252_file_imports_with_note(
    workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    rows = read_rows(path)
    rows[0]["Name"] = "Café Société – renewal"
    write_rows(path, rows, encoding="cp1252")
    result = run_import(workspace, preppin_copy, source="preppin")
    names = {r["id"]: r["name"] for r in table_rows(workspace, "opportunities")}
    assert names[rows[0]["Id"]] == "Café Société – renewal"
    assert "Opportunity.csv was read as cp1252 and converted to UTF-8" in result.notes


def test_invalid_bytes_rejected(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    data = path.read_bytes().replace(b"seize dot-com", b"seize \x81\x8d-com", 1)
    path.write_bytes(data)
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv" in message
    assert "byte 0x81 is invalid in both UTF-8 and cp1252" in message


def test_mixed_encodings_name_the_line(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    rows = read_rows(path)
    rows[0]["Name"] = "Naïve renewal"
    write_rows(path, rows)
    lines = path.read_bytes().split(b"\n")
    lines[6] = lines[6].replace(b",", b",Caf\xe9 ", 1)
    path.write_bytes(b"\n".join(lines))
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv, line 7: byte 0xe9 is not UTF-8" in message
    assert "line 2 contains the UTF-8 letter 'ï'" in message


@pytest.mark.parametrize("renamed", ["Name", "name "])
def test_repeated_header_rejected(
    preppin_workspace: Workspace, preppin_copy: Path, renamed: str
) -> None:
    path = preppin_copy / "Opportunity.csv"
    text = path.read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    cells = next(csv.reader([header]))
    cells[cells.index("NextStep")] = renamed
    path.write_text(",".join(cells) + "\n" + rest, encoding="utf-8")
    message = import_fails(preppin_workspace, preppin_copy)
    assert f"the header {renamed.strip()!r} appears twice" in message


def test_empty_value_named_as_empty(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    edit_cell(preppin_copy / "Opportunity.csv", 5, "StageName", "  ")
    message = import_fails(preppin_workspace, preppin_copy)
    assert "row 5, column 'StageName': invalid value (empty)" in message
    assert "None" not in message


def test_file_cut_mid_row_rejected(
    preppin_workspace: Workspace, preppin_copy: Path
) -> None:
    path = preppin_copy / "Opportunity.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\n", 20000) - 30])
    message = import_fails(preppin_workspace, preppin_copy)
    assert "Opportunity.csv" in message
    assert "truncated" in message


def test_file_cut_in_quote_rejected(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    run_import(workspace, folder)
    before = workspace.store.snapshot()
    path = folder / "opportunity.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"Closed Won"', 3000) + 5])
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    assert "opportunity.csv" in str(caught.value)
    assert "truncated" in str(caught.value)
    assert workspace.store.snapshot() == before


# -- stage meaning, margin, currencies, activities on edited copies --------------


def relabel(folder: Path, old: str, new: str) -> None:
    for name in ("Opportunity.csv", "Opportunity History.csv"):
        path = folder / name
        path.write_text(
            path.read_text(encoding="utf-8-sig").replace(old, new), encoding="utf-8"
        )


def set_process(ws: Workspace, won: list[str], lost: list[str]) -> None:
    text = ws.config_path.read_text(encoding="utf-8")
    text = text.replace("won_labels: []", f"won_labels: {json.dumps(won)}")
    text = text.replace("lost_labels: []", f"lost_labels: {json.dumps(lost)}")
    ws.config_path.write_text(text, encoding="utf-8")
    ws.reload_settings()


def test_label_meaning_precedence(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    relabel(folder, "Closed Won", "Signed")
    signed = sum(
        r["StageName"] == "Signed" for r in read_rows(folder / "Opportunity.csv")
    )

    def signed_statuses() -> Counter[str]:
        rows = table_rows(workspace, "opportunities")
        return Counter(r["status"] for r in rows if r["stage_label"] == "Signed")

    run_import(workspace, folder)
    assert signed_statuses() == {"open": signed}

    set_process(workspace, won=["signed"], lost=[])
    run_import(workspace, folder)
    assert signed_statuses() == {"won": signed}

    write_rows(
        folder / "OpportunityStage.csv",
        [
            {
                "Id": "01J1",
                "ApiName": "Signed",
                "MasterLabel": "Signed",
                "SortOrder": "9",
                "IsClosed": "1",
                "IsWon": "0",
            }
        ],
    )
    run_import(workspace, folder)
    labels = {r["label"]: r for r in table_rows(workspace, "stage_labels")}
    assert signed_statuses() == {"lost": signed}
    assert labels["Signed"]["is_closed"] is True
    assert labels["Signed"]["is_won"] is False


def test_closed_history_beats_record(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    history = read_rows(folder / "Opportunity History.csv")
    # 0068d000002OrbYAAS ends in Closed Won (history rows 2-4); its record
    # is set back to Prospecting with flags that agree with the record.
    edit_cell(folder / "Opportunity.csv", 99, "StageName", "Prospecting")
    edit_cell(folder / "Opportunity.csv", 99, "IsClosed", "FALSE")
    edit_cell(folder / "Opportunity.csv", 99, "IsWon", "FALSE")
    assert history[2]["StageName"] == "Closed Won"
    result = run_import(workspace, folder)
    rows = {r["id"]: r for r in table_rows(workspace, "opportunities")}
    assert rows["0068d000002OrbYAAS"]["status"] == "won"
    assert rows["0068d000002OrbYAAS"]["status_corrected"] is True
    assert finding(result, "status_from_history").examples == ["0068d000002OrbYAAS"]


def set_margin_field(ws: Workspace, field: str) -> None:
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(text.replace("margin: null", f"margin: {field}"))
    ws.reload_settings()


def test_margin_field_read(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    path = folder / "Opportunity.csv"
    rows = read_rows(path)
    for number, row in enumerate(rows):
        row["Gross_Margin__c"] = str(number * 10) if number % 2 else ""
    write_rows(path, rows)
    set_margin_field(workspace, "Gross_Margin__c")
    run_import(workspace, folder)
    stored = {r["id"]: r["margin"] for r in table_rows(workspace, "opportunities")}
    assert stored[rows[1]["Id"]] == 10.0
    assert stored[rows[0]["Id"]] is None


def test_margin_field_missing(workspace: Workspace) -> None:
    set_margin_field(workspace, "Gross_Margin__c")
    with pytest.raises(InputError) as caught:
        run_import(workspace, real_data(PREPPIN))
    assert "Opportunity.csv: the margin field 'Gross_Margin__c'" in str(caught.value)
    assert workspace.store.count("opportunities") == 0


def write_rates(folder: Path, corporate: str = "USD") -> None:
    write_rows(
        folder / "DatedConversionRate.csv",
        [
            {
                "Id": "04w1",
                "IsoCode": "EUR",
                "StartDate": "2023-01-01",
                "NextStartDate": "2023-07-01",
                "ConversionRate": "0.8",
            },
            {
                "Id": "04w2",
                "IsoCode": "EUR",
                "StartDate": "2023-07-01",
                "NextStartDate": "",
                "ConversionRate": "0.9",
            },
        ],
    )
    write_rows(
        folder / "CurrencyType.csv",
        [
            {
                "Id": "02c1",
                "IsoCode": "USD",
                "ConversionRate": "1",
                "IsCorporate": str(corporate == "USD").lower(),
            },
            {
                "Id": "02c2",
                "IsoCode": "EUR",
                "ConversionRate": "0.85",
                "IsCorporate": str(corporate == "EUR").lower(),
            },
            {
                "Id": "02c3",
                "IsoCode": "GBP",
                "ConversionRate": "0.5",
                "IsCorporate": "false",
            },
        ],
    )


def test_fx_rates_inverted(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_rates(folder)
    opportunities = read_rows(folder / "opportunity.csv")
    history = read_rows(folder / "OpportunityHistory.csv")
    earliest = min(
        dt.date.fromisoformat(value[:10])
        for value in [r["CreatedDate"] for r in opportunities]
        + [r["CloseDate"] for r in opportunities]
        + [r["CreatedDate"] for r in history]
    )
    run_import(workspace, folder)
    rates = {
        (r["currency"], r["date"]): r["rate"] for r in table_rows(workspace, "fx_rates")
    }
    assert rates == {
        ("EUR", dt.date(2023, 1, 1)): pytest.approx(1.25),
        ("EUR", dt.date(2023, 7, 1)): pytest.approx(1 / 0.9),
        ("USD", earliest): pytest.approx(1.0),
        ("GBP", earliest): pytest.approx(2.0),
    }


def test_fx_corporate_currency_mismatch(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_rates(folder, corporate="EUR")
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    assert "CurrencyType.csv, row 3, column 'IsoCode'" in message
    assert "corporate currency is 'EUR'" in message
    assert "base currency is 'USD'" in message
    assert workspace.store.count("opportunities") == 0


def test_task_types_and_owners(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    owner = "005Hp00000hnUYPIA2"
    admin = "005Hp00000hjWWsIAM"
    opportunity = read_rows(folder / "opportunity.csv")[0]["Id"]
    rows = [
        ("00T1", "Call", "", owner, opportunity),
        ("00T2", "Email", "", owner, opportunity),
        ("00T3", "LinkedIn", "", owner, ""),
        ("00T4", "Task", "Meeting", admin, "001Hp00002g1VGeIAM"),
        ("00T5", "Task", "Other", "005UNKNOWN000000AA", SENTINEL),
    ]
    write_rows(
        folder / "Task.csv",
        [
            {
                "Id": i,
                "WhatId": what,
                "OwnerId": who,
                "Subject": f"{sub} {i}",
                "TaskSubtype": sub,
                "Type": kind,
                "ActivityDate": "2023-11-02",
                "CreatedDate": "2023-11-01 10:00:00",
                "IsDeleted": "0",
            }
            for i, sub, kind, who, what in rows
        ],
    )

    result = run_import(workspace, folder)

    stored = {r["id"]: r for r in table_rows(workspace, "activities")}
    sellers = {r["id"]: r for r in table_rows(workspace, "sellers")}
    assert {i: r["type"] for i, r in stored.items()} == {
        "00T1": "call",
        "00T2": "email",
        "00T3": "social",
        "00T4": "meeting",
        "00T5": "other",
    }
    assert stored["00T1"]["opportunity_id"] == opportunity
    assert stored["00T4"]["opportunity_id"] is None
    assert stored["00T5"]["opportunity_id"] is None
    assert stored["00T5"]["seller_id"] is None
    assert sellers[admin]["is_seller"] is True
    assert finding(result, "activity_owner_unresolved").count == 1
    assert finding(result, "activity_opportunity_unresolved").count == 1


def write_activities(
    folder: Path, tasks: int, events: int, *, ids: bool = True
) -> None:
    """Write Task.csv and Event.csv rows owned by a devorg user."""
    owner = "005Hp00000hnUYPIA2"
    task_rows = [
        {
            "Id": f"00T{i:05d}" if ids else "",
            "WhatId": "",
            "OwnerId": owner,
            "Subject": f"Call {i}",
            "TaskSubtype": "Call",
            "Type": "Call",
            "ActivityDate": "2023-11-02",
            "CreatedDate": "2023-11-01 10:00:00",
        }
        for i in range(tasks)
    ]
    event_rows = [
        {
            "Id": f"00U{i:05d}",
            "WhatId": "",
            "OwnerId": owner,
            "Subject": f"Visit {i}",
            "ActivityDateTime": "2023-11-03 15:00:00",
            "CreatedDate": "2023-11-01 10:00:00",
        }
        for i in range(events)
    ]
    for name, rows in (("Task.csv", task_rows), ("Event.csv", event_rows)):
        if rows:
            write_rows(folder / name, rows)
        else:
            (folder / name).write_text(
                "Id,WhatId,OwnerId,Subject,ActivityDate,CreatedDate\n", encoding="utf-8"
            )


def test_emptied_task_file_refused(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_activities(folder, tasks=3, events=2)
    run_import(workspace, folder)
    write_activities(folder, tasks=0, events=2)
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    assert workspace.store.snapshot() == before
    message = str(caught.value)
    assert "Task.csv: no rows" in message
    assert "mark all 3 activities" in message
    assert "--partial" in message
    partial = run_import(workspace, folder, partial=True)
    assert partial.total("deleted") == 0
    assert workspace.store.count("activities") == 5


def test_tasks_without_id_noted(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_activities(folder, tasks=4, events=1, ids=False)
    first = run_import(workspace, folder)
    assert "4 of 4 rows of Task.csv have no Id" in " ".join(first.notes)
    assert workspace.store.count("activities") == 5
    before = workspace.store.snapshot()
    again = run_import(workspace, folder)
    assert workspace.store.snapshot() == before
    assert again.total("updated") + again.total("inserted") == 0


def test_duplicate_across_files_names_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_activities(folder, tasks=2, events=1)
    rows = read_rows(folder / "Event.csv")
    rows[0]["Id"] = "00T00001"
    write_rows(folder / "Event.csv", rows)
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    assert "duplicate id for table activities" in message
    assert "00T00001 (2 times, Event.csv row 2, Task.csv row 3)" in message


def test_utf16_file_imports_with_note(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(DEVORG, tmp_path)
    write_activities(folder, tasks=2, events=1)
    rows = read_rows(folder / "Task.csv")
    rows[0]["Subject"] = "Café visit"
    write_rows(folder / "Task.csv", rows, encoding="utf-16")
    result = run_import(workspace, folder)
    stored = {r["id"]: r for r in table_rows(workspace, "activities")}
    assert stored[rows[0]["Id"]]["subject"] == "Café visit"
    assert "Task.csv was read as utf-16 and converted to UTF-8" in result.notes


def test_partial_without_users_keeps_sellers(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = copy_data(DEVORG, tmp_path)
    run_import(workspace, folder, source="devorg")
    sellers = table_rows(workspace, "sellers")
    labels = table_rows(workspace, "stage_labels")
    assert any(r["name"] for r in sellers)
    only = tmp_path / "only-opportunities"
    only.mkdir()
    rows = read_rows(folder / "opportunity.csv")
    rows[0]["Amount"] = "123456"
    write_rows(only / "opportunity.csv", rows)
    result = run_import(workspace, only, source="devorg", partial=True)
    counts = {t.table: (t.inserted, t.updated) for t in result.tables}
    assert counts["opportunities"] == (0, 1)
    assert counts["sellers"] == (0, 0)
    assert counts["stage_labels"] == (0, 0)
    assert table_rows(workspace, "sellers") == sellers
    assert table_rows(workspace, "stage_labels") == labels


def test_moved_history_rows_unchanged(workspace: Workspace, tmp_path: Path) -> None:
    folder = copy_data(PREPPIN, tmp_path)
    run_import(workspace, folder)
    path = folder / "Opportunity History.csv"
    rows = read_rows(path)
    write_rows(path, rows[::-1])
    again = run_import(workspace, folder)
    events = {t.table: t for t in again.tables}["stage_events"]
    assert (events.inserted, events.updated, events.deleted) == (0, 0, 0)
    assert events.unchanged == len(rows)


def test_report_export_local_times(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    write_rows(
        folder / "Opportunity.csv",
        [
            {
                "Opportunity ID": "006A",
                "Opportunity Name": "Acme renewal",
                "Account.Name": "Acme",
                "Owner.Name": "Ada Lovelace",
                "Stage": "Won",
                "Amount": "$12,500.00",
                "Created Date": "3/4/2025, 9:15 AM",
                "Close Date": "4/1/2025",
            },
            {
                "Opportunity ID": "006B",
                "Opportunity Name": "Beta",
                "Account.Name": "Beta",
                "Owner.Name": "Grace Hopper",
                "Stage": "Lost",
                "Amount": "900",
                "Created Date": "3/10/2025, 12:05 PM",
                "Close Date": "4/2/2025",
            },
        ],
    )

    run_import(workspace, folder, order="month", timezone="America/New_York")

    rows = {r["id"]: r for r in table_rows(workspace, "opportunities")}
    sellers = {r["id"]: r["name"] for r in table_rows(workspace, "sellers")}
    # 9:15 in New York on 4 March 2025 (EST, UTC-5) and 12:05 on 10 March
    # (EDT, UTC-4, after the 9 March change).
    assert rows["006A"]["created_at"] == dt.datetime(2025, 3, 4, 14, 15)
    assert rows["006B"]["created_at"] == dt.datetime(2025, 3, 10, 16, 5)
    assert rows["006A"]["close_date"] == dt.date(2025, 4, 1)
    assert rows["006A"]["amount"] == 12500.0
    assert rows["006A"]["status"] == "won"
    assert rows["006B"]["status"] == "lost"
    assert rows["006A"]["seller_id"] == "Ada Lovelace"
    assert sellers == {"Ada Lovelace": "Ada Lovelace", "Grace Hopper": "Grace Hopper"}


# -- progress and CLI ------------------------------------------------------------


def test_progress_reaches_total(workspace: Workspace) -> None:
    calls: list[tuple[str, int, int]] = []
    options = ImportOptions(
        progress=lambda step, done, total: calls.append((step, done, total))
    )
    import_salesforce(workspace, real_data(DEVORG), options)
    totals = {total for _step, _done, total in calls}
    done = [d for _step, d, _total in calls]
    assert len(totals) == 1
    assert done == sorted(done)
    assert calls[-1][1] == calls[-1][2]
    assert any(step == "reading User.csv" for step, _d, _t in calls)
    assert any(step == "sellers" for step, _d, _t in calls)


def test_cli_prints_json_summary(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "revarch",
            "-w",
            str(tmp_path / "ws"),
            "import",
            "salesforce",
            str(real_data(DEVORG)),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    opportunities = read_rows(real_data(DEVORG) / "opportunity.csv")
    assert summary["importer"] == "salesforce"
    assert summary["source"] == f"salesforce:{DEVORG}"
    counts = {t["table"]: t["inserted"] for t in summary["tables"]}
    assert counts["opportunities"] == len(opportunities)


# -- generated data --------------------------------------------------------------

STAGES = [
    "Prospecting",
    "Qualification",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]

opportunity_record = st.fixed_dictionaries(
    {
        "name": st.text(
            st.characters(
                whitelist_categories=("L", "N"), whitelist_characters=" ,'\"-&/"
            ),
            min_size=1,
            max_size=20,
        ),
        "stage": st.sampled_from(STAGES),
        "amount": st.one_of(st.none(), st.integers(0, 10**7)),
        "created": st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31)),
        "close_days": st.integers(0, 400),
        "owner": st.sampled_from(["A", "B", "C"]),
        "history": st.lists(
            st.tuples(st.integers(0, 30), st.sampled_from(STAGES)), max_size=4
        ),
    }
)


def write_generated(folder: Path, records: list[dict[str, Any]], prefix: str) -> None:
    """Write Opportunity and OpportunityHistory files; ids start with ``prefix``."""
    opportunities = []
    history = []
    for number, record in enumerate(records):
        key = f"006{prefix}{number:010d}"
        close = record["created"] + dt.timedelta(days=record["close_days"])
        opportunities.append(
            {
                "Id": key,
                "Name": record["name"],
                "StageName": record["stage"],
                "Amount": "" if record["amount"] is None else str(record["amount"]),
                "CreatedDate": f"{record['created']}T08:30:00Z",
                "CloseDate": close.isoformat(),
                "OwnerId": f"005{prefix}{record['owner']}",
            }
        )
        for days, stage in record["history"]:
            when = record["created"] + dt.timedelta(days=days)
            history.append(
                {
                    "OpportunityId": key,
                    "CreatedDate": f"{when} 09:00:00",
                    "StageName": stage,
                }
            )
    write_rows(folder / "Opportunity.csv", opportunities)
    if history:
        write_rows(folder / "OpportunityHistory.csv", history)


@pytest.fixture(scope="module")
def generated_workspace(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    """One workspace for every generated example; each uses its own source and ids."""
    path = tmp_path_factory.mktemp("generated") / "ws"
    init_workspace(path)
    with open_workspace(path) as ws:
        yield ws


example_numbers = itertools.count()


@settings(max_examples=10, deadline=None)
@given(st.lists(opportunity_record, min_size=1, max_size=6))
def test_generated_reimport_idempotent(
    generated_workspace: Workspace, records: list[dict[str, Any]]
) -> None:
    ws = generated_workspace
    prefix = f"G{next(example_numbers):04d}"
    stages = {r["stage"] for r in records}
    stages |= {stage for r in records for _days, stage in r["history"]}
    expected = {
        "opportunities": len(records),
        "stage_events": sum(len(r["history"]) for r in records),
        "sellers": len({r["owner"] for r in records}),
        "stage_labels": len(stages),
    }
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        write_generated(folder, records, prefix)
        first = run_import(ws, folder, source=prefix)
        before = ws.store.snapshot()
        again = run_import(ws, folder, source=prefix)
        assert ws.store.snapshot() == before
    inserted = {k: v for k, v in table_counts(first).items() if v}
    assert inserted == {k: v for k, v in expected.items() if v}
    assert again.total("inserted") == 0
    assert again.total("updated") == 0
