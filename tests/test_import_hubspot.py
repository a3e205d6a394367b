"""The HubSpot importer: Fivetran table folders and deals CSVs from the HubSpot UI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.importers.hubspot import import_hubspot
from revarch.storage import ImportResult
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.conftest import real_data

SEEDS = "hubspot-fivetran-seeds"
UI = "hubspot-ui-sample"

# The Fivetran tables the importer reads, by name without the seeds' `_data`.
READ_TABLES = {
    "deal",
    "deal_pipeline",
    "deal_pipeline_stage",
    "deal_stage",
    "owner",
    "engagement",
    "engagement_call",
    "engagement_email",
    "engagement_meeting",
    "engagement_note",
    "engagement_task",
    "engagement_deal",
    "merged_deal",
    "deal_property_history",
}
ENGAGEMENT_FILES = {
    "engagement": "id",
    "engagement_call": "engagement_id",
    "engagement_email": "engagement_id",
    "engagement_meeting": "engagement_id",
    "engagement_note": "engagement_id",
    "engagement_task": "engagement_id",
}
DATE_ENTERED = re.compile(r'^Date entered "(.+) \((.+)\)"$')


# -- helpers ---------------------------------------------------------------------


def run_import(ws: Workspace, path: Path, **options: Any) -> ImportResult:
    return import_hubspot(ws, path, ImportOptions(**options))


def table_rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.store.rows(ws.store.table(name))


def by_id(ws: Workspace, name: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in table_rows(ws, name)}


def findings(result: ImportResult) -> dict[str, int]:
    return {finding.kind: finding.count for finding in result.findings}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def table_name(path: Path) -> str:
    return path.stem.lower().removesuffix("_data")


def seed_file(name: str) -> Path:
    return real_data(SEEDS) / f"{name}_data.csv"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def shared_workspace(factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Yield a new workspace that read-only tests share, so they import once."""
    path = factory.mktemp("shared") / "ws"
    init_workspace(path, name="Test Co")
    ws = open_workspace(path)
    yield ws
    ws.close()


def utc(text: str, zone: str) -> dt.datetime:
    """Read a UI export time as wall time in ``zone`` and return naive UTC."""
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    aware = local.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


# -- Fivetran seeds --------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from shared_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def seeds_result(seeds_ws: Workspace) -> ImportResult:
    return run_import(seeds_ws, real_data(SEEDS))


def test_seeds_read_expected_tables(seeds_result: ImportResult) -> None:
    folder = real_data(SEEDS)
    expected = sorted(
        p.name for p in folder.glob("*.csv") if table_name(p) in READ_TABLES
    )
    assert sorted(seeds_result.files) == expected
    rows = sum(len(read_rows(folder / name)) for name in expected)
    assert seeds_result.rows_read == rows


def test_seeds_unknown_files_noted(seeds_result: ImportResult) -> None:
    folder = real_data(SEEDS)
    unused = [p.name for p in folder.iterdir() if table_name(p) not in READ_TABLES]
    assert unused
    note = next(n for n in seeds_result.notes if n.startswith("not read"))
    for name in unused:
        assert name in note


def test_seeds_row_counts_match_csv(
    seeds_result: ImportResult, seeds_ws: Workspace
) -> None:
    deals = read_rows(seed_file("deal"))
    assert len(by_id(seeds_ws, "opportunities")) == len({r["deal_id"] for r in deals})

    engagement_ids: set[str] = set()
    for name, column in ENGAGEMENT_FILES.items():
        engagement_ids |= {r[column] for r in read_rows(seed_file(name))}
    assert set(by_id(seeds_ws, "activities")) == engagement_ids

    pipelines = {
        r["pipeline_id"]: r["label"] for r in read_rows(seed_file("deal_pipeline"))
    }
    stages = read_rows(seed_file("deal_pipeline_stage"))
    labels = {
        (pipelines.get(r["pipeline_id"], r["pipeline_id"]), r["label"]) for r in stages
    }
    stored = {(r["pipeline"], r["label"]) for r in table_rows(seeds_ws, "stage_labels")}
    assert stored == labels


def test_seeds_sellers_own_deals_or_engagements(
    seeds_result: ImportResult, seeds_ws: Workspace
) -> None:
    owners = {r["owner_id"] for r in read_rows(seed_file("deal")) if r["owner_id"]}
    for name in ENGAGEMENT_FILES:
        for row in read_rows(seed_file(name)):
            owner = row.get("property_hubspot_owner_id") or row.get("owner_id")
            if owner:
                owners.add(owner)
    assert set(by_id(seeds_ws, "sellers")) == owners
    in_owner_table = {r["owner_id"] for r in read_rows(seed_file("owner"))}
    assert findings(seeds_result)["owners_unknown"] == len(owners - in_owner_table)


def test_seeds_report_missing_pieces(seeds_result: ImportResult) -> None:
    deals = read_rows(seed_file("deal"))
    deal_ids = {r["deal_id"] for r in deals}
    found = findings(seeds_result)
    assert found["deals_no_stage"] == sum(
        not r["deal_pipeline_stage_id"] for r in deals
    )
    assert found["deals_no_amount"] == sum(not r["property_amount"] for r in deals)
    assert found["deals_no_close_date"] == sum(
        not r["property_closedate"] for r in deals
    )

    history = read_rows(seed_file("deal_stage"))
    orphans = [r for r in history if r["deal_id"] not in deal_ids]
    assert orphans
    assert found["stage_history_unknown_deal"] == len(orphans)
    assert seeds_result.rejected == len(orphans)

    links = read_rows(seed_file("engagement_deal"))
    assert found["engagement_unknown_deal"] == sum(
        r["deal_id"] not in deal_ids for r in links
    )
    merged = {r["merged_deal_id"] for r in read_rows(seed_file("merged_deal"))}
    assert found["merged_unknown"] == len(merged - deal_ids)


def test_seeds_stage_history_not_imported(
    seeds_result: ImportResult, seeds_ws: Workspace
) -> None:
    assert table_rows(seeds_ws, "stage_events") == []
    statuses = Counter(r["status"] for r in table_rows(seeds_ws, "opportunities"))
    assert statuses == {"open": len(read_rows(seed_file("deal")))}


def test_seeds_reimport_changes_nothing(
    seeds_result: ImportResult, seeds_ws: Workspace
) -> None:
    before = seeds_ws.store.snapshot()
    again = run_import(seeds_ws, real_data(SEEDS))
    assert seeds_ws.store.snapshot() == before
    assert again.total("inserted") == 0
    assert again.total("updated") == 0
    assert again.total("deleted") == 0


def test_table_names_without_data_suffix(tmp_path: Path, workspace: Workspace) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    for name in ("deal", "deal_pipeline", "deal_pipeline_stage", "owner"):
        shutil.copy(seed_file(name), folder / f"{name}.csv")
    result = run_import(workspace, folder)
    assert sorted(result.files) == [
        "deal.csv",
        "deal_pipeline.csv",
        "deal_pipeline_stage.csv",
        "owner.csv",
    ]
    deals = {r["deal_id"] for r in read_rows(folder / "deal.csv")}
    assert set(by_id(workspace, "opportunities")) == deals


def progress_calls(ws: Workspace, path: Path) -> list[tuple[str, int, int]]:
    calls: list[tuple[str, int, int]] = []
    import_hubspot(ws, path, ImportOptions(progress=lambda *c: calls.append(c)))
    return calls


def test_progress_reaches_total(crm: Path, workspace: Workspace) -> None:
    for path in (crm, ui_file()):
        calls = progress_calls(workspace, path)
        done = [d for _, d, _ in calls]
        assert done == sorted(done)
        assert calls[-1][1] == calls[-1][2]


# -- Fivetran tables that join ----------------------------------------------------

PIPELINES = """\
pipeline_id,_fivetran_deleted,label,display_order
sales,false,Sales Pipeline,0
renewals,false,Renewals,1
"""

STAGES = """\
stage_id,_fivetran_deleted,label,pipeline_id,display_order,probability,closed_won,is_closed
appointmentscheduled,false,Appointment Scheduled,sales,0,0.2,false,false
qualified,false,Qualified,sales,1,0.4,false,false
closedwon,false,Closed Won,sales,2,1.0,true,true
closedlost,false,Closed Lost,sales,3,0.0,false,true
signed,false,Signed,renewals,0,1.0,true,true
churned,false,Churned,renewals,1,0.0,false,true
mislabeled,false,Closed Lost,renewals,2,1.0,true,true
retired,true,Retired,renewals,3,0.5,false,false
"""

DEALS = """\
deal_id,is_deleted,deal_pipeline_id,deal_pipeline_stage_id,owner_id,property_dealname,\
property_amount,property_closedate,property_createdate,property_deal_currency_code,\
property_dealtype
101,false,sales,closedwon,11,Alpha,1000,2024-03-01 00:00:00,2024-01-10 9:05:00,USD,new
102,false,sales,qualified,12,Beta,2500.5,,2024-02-01 14:00:00,EUR,existing
103,false,renewals,signed,11,Gamma,300,2024-04-15 00:00:00,2024-02-20 08:00:00,,renewal
104,false,renewals,churned,12,Delta,,2024-05-01 00:00:00,2024-03-01 10:00:00,USD,renewal
105,false,renewals,mislabeled,12,Epsilon,50,2024-05-02 00:00:00,2024-03-02 10:00:00,USD,
106,true,sales,closedlost,13,Zeta,70,2024-06-01 00:00:00,2024-03-05 10:00:00,USD,new
"""

DEAL_STAGES = """\
_fivetran_start,deal_id,_fivetran_active,_fivetran_end,date_entered,value
2024-01-10 9:05:00,101,FALSE,2024-02-01 12:00:00,2024-01-10 9:05:00,appointmentscheduled
2024-02-01 12:00:00,101,FALSE,2024-03-01 16:30:00,2024-02-01 12:00:00,qualified
2024-03-01 16:30:00,101,TRUE,2050-01-01 00:00:00,2024-03-01 16:30:00,closedwon
2024-02-01 14:00:00,102,TRUE,2050-01-01 00:00:00,2024-02-01 14:00:00,qualified
2024-02-02 00:00:00,999,TRUE,2050-01-01 00:00:00,2024-02-02 00:00:00,qualified
2024-02-03 00:00:00,103,TRUE,2050-01-01 00:00:00,2024-02-03 00:00:00,nosuchstage
"""

OWNERS = """\
owner_id,first_name,last_name,email,type
11,Ada,Lovelace,ada@example.com,PERSON
12,Grace,Hopper,grace@example.com,PERSON
14,Idle,Person,idle@example.com,PERSON
"""

ENGAGEMENTS = """\
id,type,timestamp,owner_id
501,CALL,2024-01-11 10:00:00,11
502,NOTE,2024-01-12 10:00:00,12
503,MEETING,,11
504,TASK,2024-01-13 10:00:00,12
"""

MEETINGS = """\
engagement_id,start_time,end_time,title
503,2024-01-15 15:00:00,2024-01-15 15:45:00,Kickoff
505,2024-01-16 15:00:00,2024-01-16 16:00:00,Demo
"""

ENGAGEMENT_DEALS = """\
deal_id,engagement_id
101,501
102,502
102,503
101,503
999,504
"""


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Fivetran folder whose tables join."""
    return write(
        tmp_path_factory.mktemp("crm"),
        {
            "deal_pipeline.csv": PIPELINES,
            "deal_pipeline_stage.csv": STAGES,
            "deal.csv": DEALS,
            "deal_stage.csv": DEAL_STAGES,
            "owner.csv": OWNERS,
            "engagement.csv": ENGAGEMENTS,
            "engagement_meeting.csv": MEETINGS,
            "engagement_deal.csv": ENGAGEMENT_DEALS,
        },
    )


@pytest.fixture(scope="module")
def crm_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from shared_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def crm_result(crm: Path, crm_ws: Workspace) -> ImportResult:
    return run_import(crm_ws, crm)


def test_fivetran_deals_map_fields(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    got = by_id(crm_ws, "opportunities")
    for row in read_rows(crm / "deal.csv"):
        opp = got[row["deal_id"]]
        assert opp["name"] == row["property_dealname"]
        assert opp["seller_id"] == row["owner_id"]
        amount = float(row["property_amount"]) if row["property_amount"] else None
        assert opp["amount"] == amount
        assert opp["currency"] == (row["property_deal_currency_code"] or "USD")
        assert opp["type"] == (row["property_dealtype"] or None)
        created = dt.datetime.strptime(row["property_createdate"], "%Y-%m-%d %H:%M:%S")
        assert opp["created_at"] == created
        closed = row["property_closedate"][:10]
        assert opp["close_date"] == (dt.date.fromisoformat(closed) if closed else None)
        assert opp["is_deleted"] == (row["is_deleted"] == "true")


def test_fivetran_labels_from_stage_table(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    pipelines = {
        r["pipeline_id"]: r["label"] for r in read_rows(crm / "deal_pipeline.csv")
    }
    stages = {r["stage_id"]: r for r in read_rows(crm / "deal_pipeline_stage.csv")}
    got = by_id(crm_ws, "opportunities")
    for row in read_rows(crm / "deal.csv"):
        opp = got[row["deal_id"]]
        stage = stages[row["deal_pipeline_stage_id"]]
        assert opp["pipeline"] == pipelines[row["deal_pipeline_id"]]
        assert opp["stage_label"] == stage["label"]
        assert opp["probability"] == float(stage["probability"])


@pytest.mark.parametrize(
    ("deal", "status", "corrected"),
    [
        ("101", "won", False),
        ("102", "open", False),
        ("103", "won", False),
        ("104", "lost", False),
        ("105", "lost", True),
        ("106", "lost", False),
    ],
    ids=["won label", "open", "won flag", "closed flag", "label beats flag", "lost"],
)
def test_fivetran_status_from_stage(
    crm: Path,
    crm_ws: Workspace,
    crm_result: ImportResult,
    deal: str,
    status: str,
    corrected: bool,
) -> None:
    opp = by_id(crm_ws, "opportunities")[deal]
    assert opp["status"] == status
    assert opp["status_corrected"] is corrected
    assert findings(crm_result)["status_corrected"] == 1


def test_fivetran_stage_labels_order_and_flags(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    pipelines = {
        r["pipeline_id"]: r["label"] for r in read_rows(crm / "deal_pipeline.csv")
    }
    got = {(r["pipeline"], r["label"]): r for r in table_rows(crm_ws, "stage_labels")}
    for stage in read_rows(crm / "deal_pipeline_stage.csv"):
        row = got[(pipelines[stage["pipeline_id"]], stage["label"])]
        assert row["sort_order"] == int(stage["display_order"])
        assert row["is_deleted"] == (stage["_fivetran_deleted"] == "true")
    assert got[("Sales Pipeline", "Closed Won")]["is_won"] is True
    assert got[("Sales Pipeline", "Closed Lost")]["is_closed"] is True
    assert got[("Sales Pipeline", "Closed Lost")]["is_won"] is False
    assert got[("Renewals", "Signed")]["is_won"] is True
    assert got[("Sales Pipeline", "Qualified")]["is_closed"] is False


def test_fivetran_stage_events_from_history(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    stages = {r["stage_id"]: r for r in read_rows(crm / "deal_pipeline_stage.csv")}
    deals = {r["deal_id"] for r in read_rows(crm / "deal.csv")}
    expected = []
    for row in read_rows(crm / "deal_stage.csv"):
        if row["deal_id"] not in deals:
            continue
        stage = stages.get(row["value"])
        label = stage["label"] if stage else row["value"]
        entered = dt.datetime.strptime(row["date_entered"], "%Y-%m-%d %H:%M:%S")
        expected.append((row["deal_id"], label, entered))
    got = [
        (r["opportunity_id"], r["stage_label"], r["entered_at"])
        for r in table_rows(crm_ws, "stage_events")
    ]
    assert sorted(got) == sorted(expected)
    found = findings(crm_result)
    assert found["stage_history_unknown_deal"] == 1
    assert found["stage_history_unknown_stage"] == 1


def test_fivetran_stage_events_numbered(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    events = [
        r for r in table_rows(crm_ws, "stage_events") if r["opportunity_id"] == "101"
    ]
    events.sort(key=lambda r: r["seq"])
    assert [r["seq"] for r in events] == [1, 2, 3]
    times = [r["entered_at"] for r in events]
    assert times == sorted(times)


def test_fivetran_activities_from_engagements(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    got = by_id(crm_ws, "activities")
    assert set(got) == {"501", "502", "503", "504", "505"}
    assert {k: v["type"] for k, v in got.items()} == {
        "501": "call",
        "502": "other",
        "503": "meeting",
        "504": "other",
        "505": "meeting",
    }
    assert got["502"]["subtype"] == "note"
    assert got["501"]["opportunity_id"] == "101"
    assert got["502"]["opportunity_id"] == "102"
    # Linked to 101 and 102: the lowest id.
    assert got["503"]["opportunity_id"] == "101"
    assert got["504"]["opportunity_id"] is None
    assert got["503"]["occurred_at"] == dt.datetime(2024, 1, 15, 15, 0)
    assert got["503"]["duration_minutes"] == 45
    assert got["503"]["subject"] == "Kickoff"
    assert got["505"]["seller_id"] is None
    assert got["501"]["occurred_at"] == dt.datetime(2024, 1, 11, 10, 0)
    found = findings(crm_result)
    assert found["engagement_unknown_deal"] == 1
    assert found["engagement_several_deals"] == 1


def test_fivetran_sellers_from_owners(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    got = by_id(crm_ws, "sellers")
    owners = {r["owner_id"]: r for r in read_rows(crm / "owner.csv")}
    used = {r["owner_id"] for r in read_rows(crm / "deal.csv")}
    used |= {r["owner_id"] for r in read_rows(crm / "engagement.csv")}
    assert set(got) == used
    for owner_id in used & set(owners):
        owner = owners[owner_id]
        assert got[owner_id]["name"] == f"{owner['first_name']} {owner['last_name']}"
        assert got[owner_id]["email"] == owner["email"]
    assert got["13"]["name"] is None
    assert findings(crm_result)["owners_unknown"] == 1


def test_fivetran_reimport_changes_nothing(
    crm: Path, crm_ws: Workspace, crm_result: ImportResult
) -> None:
    before = crm_ws.store.snapshot()
    again = run_import(crm_ws, crm)
    assert crm_ws.store.snapshot() == before
    assert again.total("unchanged") == crm_result.total("inserted")


# -- history mode, deletes and merges -------------------------------------------

HISTORY_DEALS = """\
deal_id,_fivetran_start,_fivetran_end,_fivetran_active,property_dealname,property_amount
201,2024-01-01 9:00:00,2024-02-01 10:00:00,FALSE,Old name,100
201,2024-02-01 10:00:00,2050-01-01 00:00:00,TRUE,New name,150
202,2024-01-05 6:49:18,2024-01-05 10:00:00,FALSE,Morning,10
202,2024-01-05 10:00:00,2024-01-06 00:00:00,FALSE,Late morning,20
203,2024-03-01 00:00:00,2050-01-01 00:00:00,TRUE,Only,5
204,2024-03-01 00:00:00,2050-01-01 00:00:00,TRUE,Active and older,1
204,2024-04-01 00:00:00,2024-04-02 00:00:00,FALSE,Inactive and newer,2
"""


def expected_versions(path: Path) -> dict[str, tuple[dict[str, str], bool]]:
    """Return each id's kept version and whether it is deleted, from the CSV."""
    versions: dict[str, list[dict[str, str]]] = {}
    for row in read_rows(path):
        versions.setdefault(row["deal_id"], []).append(row)

    def start(row: dict[str, str]) -> dt.datetime:
        return dt.datetime.strptime(row["_fivetran_start"], "%Y-%m-%d %H:%M:%S")

    kept = {}
    for deal_id, rows in versions.items():
        active = [r for r in rows if r["_fivetran_active"] == "TRUE"]
        chosen = max(active or rows, key=start)
        kept[deal_id] = (chosen, not active)
    return kept


def test_history_mode_keeps_active_version(
    tmp_path: Path, workspace: Workspace
) -> None:
    folder = write(tmp_path / "history", {"deal.csv": HISTORY_DEALS})
    result = run_import(workspace, folder)
    got = by_id(workspace, "opportunities")
    expected = expected_versions(folder / "deal.csv")
    assert set(got) == set(expected)
    for deal_id, (row, deleted) in expected.items():
        assert got[deal_id]["name"] == row["property_dealname"]
        assert got[deal_id]["amount"] == float(row["property_amount"])
        assert got[deal_id]["is_deleted"] is deleted
    older = len(read_rows(folder / "deal.csv")) - len(expected)
    assert any(f"{older} older versions" in note for note in result.notes)


def test_fivetran_deleted_rows_flagged(tmp_path: Path, workspace: Workspace) -> None:
    deals = "deal_id,_fivetran_deleted,property_dealname\n1,false,Kept\n2,true,Gone\n"
    engagements = "id,type,_fivetran_deleted\n7,CALL,TRUE\n8,EMAIL,FALSE\n"
    folder = write(tmp_path / "f", {"deal.csv": deals, "engagement.csv": engagements})
    run_import(workspace, folder)
    opportunities = by_id(workspace, "opportunities")
    assert opportunities["1"]["is_deleted"] is False
    assert opportunities["2"]["is_deleted"] is True
    activities = by_id(workspace, "activities")
    assert activities["7"]["is_deleted"] is True
    assert activities["8"]["is_deleted"] is False


def test_repeated_id_without_history_rejected(
    tmp_path: Path, workspace: Workspace
) -> None:
    folder = write(
        tmp_path / "f", {"deal.csv": "deal_id,property_dealname\n1,A\n1,B\n"}
    )
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    assert "deal.csv, column 'deal_id'" in message
    assert "the id '1' appears 2 times (rows 2, 3)" in message


MERGED_DEALS = "deal_id,property_dealname\n301,Survivor\n302,Merged away\n303,Other\n"
MERGES = "deal_id,merged_deal_id\n301,302\n"


def test_merged_deal_flagged(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(
        tmp_path / "m", {"deal.csv": MERGED_DEALS, "merged_deal.csv": MERGES}
    )
    run_import(workspace, folder)
    merges = {
        r["merged_deal_id"]: r["deal_id"] for r in read_rows(folder / "merged_deal.csv")
    }
    for deal_id, opp in by_id(workspace, "opportunities").items():
        assert opp["is_merged"] is (deal_id in merges)
        assert opp["merged_into"] == merges.get(deal_id)
        assert opp["is_deleted"] is False


def test_merged_deal_kept_after_it_leaves(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(tmp_path / "m", {"deal.csv": MERGED_DEALS})
    run_import(workspace, folder)
    later = MERGED_DEALS.replace("302,Merged away\n", "")
    write(folder, {"deal.csv": later, "merged_deal.csv": MERGES})
    result = run_import(workspace, folder)
    got = by_id(workspace, "opportunities")
    assert got["302"]["is_merged"] is True
    assert got["302"]["merged_into"] == "301"
    assert got["302"]["is_deleted"] is False
    assert got["302"]["name"] == "Merged away"
    assert result.total("deleted") == 0


def test_partial_history_joins_stored_deals(
    tmp_path: Path, workspace: Workspace
) -> None:
    folder = write(tmp_path / "p", {"deal.csv": "deal_id\n1\n2\n"})
    run_import(workspace, folder)
    history = "deal_id,value,date_entered\n1,s1,2024-01-01 00:00:00\n"
    write(folder, {"deal.csv": "deal_id\n2\n", "deal_stage.csv": history})
    run_import(workspace, folder, partial=True)
    events = table_rows(workspace, "stage_events")
    assert [(r["opportunity_id"], r["stage_label"]) for r in events] == [("1", "s1")]


PROPERTY_HISTORY = """\
deal_id,timestamp,source,name,value
1,2024-01-01 09:00:00,CRM_UI,amount,100
1,2024-02-01 09:00:00,CRM_UI,amount,250
1,2024-03-01 09:00:00,CRM_UI,amount,
1,2024-01-01 09:00:00,CRM_UI,dealstage,appointmentscheduled
1,2024-02-15 9:30:00,CRM_UI,dealstage,closedwon
2,2024-01-01 09:00:00,CRM_UI,amount,40
"""


def test_property_history_fills_missing_amount(
    tmp_path: Path, workspace: Workspace
) -> None:
    deals = "deal_id,property_amount\n1,\n2,75\n"
    files = {"deal.csv": deals, "deal_property_history.csv": PROPERTY_HISTORY}
    result = run_import(workspace, write(tmp_path / "h", files))
    got = by_id(workspace, "opportunities")
    # The latest non-empty amount of deal 1; deal 2 keeps its own.
    assert got["1"]["amount"] == 250
    assert got["2"]["amount"] == 75
    assert findings(result)["amount_from_history"] == 1


def test_property_history_stands_in_for_stages(
    tmp_path: Path, workspace: Workspace
) -> None:
    deals = "deal_id,deal_pipeline_stage_id\n1,closedwon\n"
    files = {"deal.csv": deals, "deal_property_history.csv": PROPERTY_HISTORY}
    run_import(workspace, write(tmp_path / "h", files))
    events = sorted(
        (r["seq"], r["stage_label"], r["entered_at"])
        for r in table_rows(workspace, "stage_events")
    )
    assert events == [
        (1, "appointmentscheduled", dt.datetime(2024, 1, 1, 9, 0)),
        (2, "closedwon", dt.datetime(2024, 2, 15, 9, 30)),
    ]
    # Without a stage table, the default pipeline's stage ids set the status.
    assert by_id(workspace, "opportunities")["1"]["status"] == "won"


# -- UI deals export -------------------------------------------------------------


def ui_file() -> Path:
    return real_data(UI) / "all-deals.csv"


def stage_columns(path: Path) -> list[tuple[str, str, str]]:
    """Return (header, stage, pipeline) for each Date entered column."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        headers = next(csv.reader(handle))
    found = []
    for header in headers:
        match = DATE_ENTERED.match(header)
        if match:
            found.append((header, match.group(1), match.group(2)))
    return found


ZONE = "America/Chicago"


@pytest.fixture(scope="module")
def ui_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from shared_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def ui_result(ui_ws: Workspace) -> ImportResult:
    return run_import(ui_ws, ui_file(), timezone=ZONE)


def test_ui_opportunities_match_csv(ui_result: ImportResult, ui_ws: Workspace) -> None:
    got = by_id(ui_ws, "opportunities")
    rows = read_rows(ui_file())
    assert set(got) == {r["Record ID"] for r in rows}
    for row in rows:
        opp = got[row["Record ID"]]
        assert opp["name"] == row["Deal Name"]
        assert opp["seller_id"] == row["Deal owner"]
        assert opp["pipeline"] == row["Pipeline"]
        assert opp["stage_label"] == row["Deal Stage"]
        assert opp["amount"] == (float(row["Amount"]) if row["Amount"] else None)
        assert opp["currency"] == (row["Deal currency code"] or "USD")
        assert opp["type"] == row["Deal Type"]
        assert opp["created_at"] == utc(row["Create Date"], ZONE)
        close = row["Close Date"]
        assert opp["close_date"] == (
            dt.date.fromisoformat(close[:10]) if close else None
        )


def test_ui_status_from_stage_label(ui_result: ImportResult, ui_ws: Workspace) -> None:
    names = {"Closed Won": "won", "Closed Lost": "lost"}
    expected = Counter(names.get(r["Deal Stage"], "open") for r in read_rows(ui_file()))
    got = Counter(r["status"] for r in table_rows(ui_ws, "opportunities"))
    assert got == expected
    assert set(expected) == {"won", "lost", "open"}


def test_ui_stage_events_per_deal(ui_result: ImportResult, ui_ws: Workspace) -> None:
    columns = stage_columns(ui_file())
    expected: dict[str, list[tuple[str, dt.datetime]]] = {}
    for row in read_rows(ui_file()):
        events = expected.setdefault(row["Record ID"], [])
        for header, stage, _pipeline in columns:
            if row[header]:
                events.append((stage, utc(row[header], ZONE)))
        events.sort(key=lambda e: e[1])
    got: dict[str, list[tuple[int, str, dt.datetime]]] = {}
    for event in table_rows(ui_ws, "stage_events"):
        got.setdefault(event["opportunity_id"], []).append(
            (event["seq"], event["stage_label"], event["entered_at"])
        )
    assert set(got) == {k for k, v in expected.items() if v}
    for deal_id, stored in got.items():
        stored.sort()
        assert [(s, t) for _, s, t in stored] == expected[deal_id]
        assert [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))


def test_ui_times_shift_to_utc(workspace: Workspace) -> None:
    run_import(workspace, ui_file(), timezone="Asia/Kolkata")
    got = by_id(workspace, "opportunities")
    row = read_rows(ui_file())[0]
    local = dt.datetime.strptime(row["Create Date"], "%Y-%m-%d %H:%M")
    # Kolkata is UTC+5:30 all year.
    assert got[row["Record ID"]]["created_at"] == local - dt.timedelta(
        hours=5, minutes=30
    )


def test_ui_default_timezone_is_workspace(workspace: Workspace) -> None:
    config = workspace.config_path
    config.write_text(
        config.read_text().replace("timezone: UTC", "timezone: Europe/Berlin")
    )
    workspace.reload_settings()
    run_import(workspace, ui_file())
    got = by_id(workspace, "opportunities")
    for row in read_rows(ui_file()):
        expected = utc(row["Create Date"], "Europe/Berlin")
        assert got[row["Record ID"]]["created_at"] == expected


def test_ui_stage_labels_follow_columns(
    ui_result: ImportResult, ui_ws: Workspace
) -> None:
    expected = {
        (pipeline, stage): index
        for index, (_h, stage, pipeline) in enumerate(stage_columns(ui_file()))
    }
    got = {(r["pipeline"], r["label"]): r for r in table_rows(ui_ws, "stage_labels")}
    assert {key: row["sort_order"] for key, row in got.items()} == expected
    assert got[("New Business", "Closed Won")]["is_won"] is True
    assert got[("New Business", "Closed Lost")]["is_closed"] is True


def test_ui_sellers_keyed_by_name(ui_result: ImportResult, ui_ws: Workspace) -> None:
    owners = {r["Deal owner"] for r in read_rows(ui_file())}
    got = by_id(ui_ws, "sellers")
    assert set(got) == owners
    assert all(row["name"] == seller for seller, row in got.items())


def test_ui_reimport_changes_nothing(ui_result: ImportResult, ui_ws: Workspace) -> None:
    before = ui_ws.store.snapshot()
    run_import(ui_ws, ui_file(), timezone=ZONE)
    assert ui_ws.store.snapshot() == before


UI_HEADER = (
    "Record ID,Deal Name,Deal Stage,Pipeline,Amount,Create Date,Close Date,"
    'Deal owner,"Date entered ""Qualified (Sales (EU))""",'
    '"Date entered ""Closed Won (Sales (EU))"""\n'
)


def test_ui_label_beats_history(tmp_path: Path, workspace: Workspace) -> None:
    text = UI_HEADER + (
        "1,Reopened,Qualified,Sales (EU),10,2025-01-02 10:00,,Ann,"
        "2025-01-02 10:00,2025-01-20 10:00\n"
        "2,Won,Closed Won,Sales (EU),20,2025-01-03 10:00,2025-01-30 10:00,Bo,"
        "2025-01-03 10:00,2025-01-30 10:00\n"
    )
    path = write(tmp_path, {"deals.csv": text}) / "deals.csv"
    result = run_import(workspace, path)
    got = by_id(workspace, "opportunities")
    assert got["1"]["status"] == "open"
    assert got["1"]["status_corrected"] is True
    assert got["2"]["status"] == "won"
    assert got["2"]["status_corrected"] is False
    assert findings(result)["status_corrected"] == 1
    labels = {
        (r["pipeline"], r["label"]) for r in table_rows(workspace, "stage_labels")
    }
    assert labels == {("Sales (EU)", "Qualified"), ("Sales (EU)", "Closed Won")}


def test_ui_process_labels_set_status(tmp_path: Path, workspace: Workspace) -> None:
    config = workspace.config_path
    config.write_text(
        config.read_text().replace("won_labels: []", "won_labels: [Signed]")
    )
    workspace.reload_settings()
    text = "Record ID,Deal Stage\n1,Signed\n2,Closed Lost\n3,Demo\n"
    path = write(tmp_path, {"deals.csv": text}) / "deals.csv"
    run_import(workspace, path)
    got = by_id(workspace, "opportunities")
    assert [got[k]["status"] for k in ("1", "2", "3")] == ["won", "lost", "open"]


def test_ui_header_without_pipeline(tmp_path: Path, workspace: Workspace) -> None:
    text = (
        'Record ID,Pipeline,Deal Stage,"Date entered ""Demo"""\n'
        "1,Inbound,Demo,2025-01-02 10:00\n"
    )
    run_import(workspace, write(tmp_path, {"deals.csv": text}) / "deals.csv")
    events = table_rows(workspace, "stage_events")
    assert [(r["stage_label"], r["entered_at"]) for r in events] == [
        ("Demo", dt.datetime(2025, 1, 2, 10, 0))
    ]
    labels = table_rows(workspace, "stage_labels")
    assert [(r["pipeline"], r["label"]) for r in labels] == [("", "Demo")]


# -- bad input -------------------------------------------------------------------


def sample_text() -> str:
    return ui_file().read_text(encoding="utf-8")


def replace_cell(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: replace_cell(t, "Record ID,", "Record,"),
            "missing required column for Record ID",
        ),
        (
            lambda t: replace_cell(t, "2025-02-05 13:47", "5th of Feb"),
            "all-deals.csv, row 3, column 'Create Date': invalid value '5th of Feb'",
        ),
        (
            lambda t: replace_cell(t, "2025-02-05 13:47", "2025-02-30 13:47"),
            "all-deals.csv, row 3, column 'Create Date': invalid value "
            "'2025-02-30 13:47'",
        ),
        (
            lambda t: replace_cell(t, "21450004,", "21450001,"),
            "column 'Record ID': the Record ID '21450001' appears 2 times (rows 2, 5)",
        ),
        (lambda t: "", "the file is empty"),
        (lambda t: t.splitlines()[0] + "\n", "has a header but no deals"),
    ],
    ids=[
        "missing record id",
        "unreadable date",
        "impossible date",
        "duplicate record id",
        "empty file",
        "header only",
    ],
)
def test_ui_bad_input_changes_nothing(
    tmp_path: Path,
    ui_ws: Workspace,
    ui_result: ImportResult,
    edit: Any,
    message: str,
) -> None:
    before = ui_ws.store.snapshot()
    path = write(tmp_path / "bad", {"all-deals.csv": edit(sample_text())})
    with pytest.raises(InputError) as caught:
        run_import(ui_ws, path / "all-deals.csv", timezone=ZONE)
    assert message in str(caught.value)
    assert ui_ws.store.snapshot() == before


def test_ui_unknown_timezone_rejected(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="unknown --timezone 'Mars/Base'"):
        run_import(workspace, ui_file(), timezone="Mars/Base")


def test_folder_without_deal_table(tmp_path: Path, workspace: Workspace) -> None:
    folder = write(tmp_path / "x", {"owner.csv": OWNERS})
    with pytest.raises(InputError) as caught:
        run_import(workspace, folder)
    message = str(caught.value)
    assert "no deal table (deal.csv or deal_data.csv)" in message
    assert "or a deals CSV exported from the HubSpot UI" in message


def test_path_not_csv(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match="not a CSV file; expected a folder"):
        run_import(workspace, path)


def test_missing_path(tmp_path: Path, workspace: Workspace) -> None:
    with pytest.raises(InputError, match="not found; expected a folder"):
        run_import(workspace, tmp_path / "nowhere")


def test_fivetran_deal_file_passed_alone(tmp_path: Path, workspace: Workspace) -> None:
    with pytest.raises(InputError, match="Fivetran deal table, not a UI export"):
        run_import(workspace, seed_file("deal"))


# -- CLI -------------------------------------------------------------------------


def test_cli_imports_ui_export_as_json(workspace: Workspace) -> None:
    args = ["-w", str(workspace.path), "import", "hubspot", str(ui_file())]
    result = CliRunner().invoke(app, [*args, "--timezone", ZONE, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["importer"] == "hubspot"
    assert summary["source"] == "hubspot:all-deals.csv"
    assert summary["rows_read"] == len(read_rows(ui_file()))
    inserted = {t["table"]: t["inserted"] for t in summary["tables"]}
    assert inserted["opportunities"] == len(read_rows(ui_file()))


def test_cli_imports_fx_rates_beside_export(
    tmp_path: Path, workspace: Workspace
) -> None:
    folder = tmp_path / "finance"
    folder.mkdir()
    shutil.copy(real_data(UI) / "fx_rates.csv", folder / "fx_rates.csv")
    args = ["-w", str(workspace.path), "import", "csv", str(folder)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = {
        (r["currency"], dt.date.fromisoformat(r["date"])): float(r["rate"])
        for r in read_rows(folder / "fx_rates.csv")
    }
    got = {
        (r["currency"], r["date"]): r["rate"] for r in table_rows(workspace, "fx_rates")
    }
    assert got == expected
