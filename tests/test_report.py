"""The weekly report: same numbers as the commands, one printed page, safe names."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import ibis
import pytest

from revarch.importers.base import ImportOptions
from revarch.importers.salesforce import import_salesforce
from revarch.report.build import build_report
from revarch.report.render import render_html, render_json
from revarch.storage import TableLoad
from revarch.workspace import Workspace, init_workspace, open_workspace

from .browser import count_pages, print_pdf
from .conftest import real_data

FIXED = "2026-01-01T00:00:00+00:00"


def approx(value: float | None) -> object:
    """Match a value the report rounds to 6 decimals."""
    return None if value is None else pytest.approx(value, abs=1e-6)


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "revarch", "-w", str(workspace), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def preppin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding the preppin Salesforce export."""
    folder = tmp_path_factory.mktemp("preppin") / "ws"
    init_workspace(folder, name="Preppin")
    with open_workspace(folder) as ws:
        import_salesforce(ws, real_data("salesforce-preppin-2022w23"), ImportOptions())
    return folder


@pytest.fixture(scope="module")
def preppin_report(preppin: Path) -> dict:
    result = cli(preppin, "report", "--json", "--generated-at", FIXED)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_funnel_equals_process_command(preppin: Path, preppin_report: dict) -> None:
    window = preppin_report["windows"]["trailing"]
    result = cli(
        preppin,
        "process",
        "funnel",
        "--json",
        "--since",
        window["since"],
        "--until",
        window["until"],
        "--as-of",
        preppin_report["as_of"],
    )
    assert result.returncode == 0, result.stderr
    command = json.loads(result.stdout)
    report = preppin_report["funnel"]
    for key in ("won", "lost", "open", "without_history"):
        assert report[key] == command[key], key
    for ours, theirs in zip(report["stages"], command["stages"], strict=True):
        for key in ("stage", "reached", "advanced", "lost", "open"):
            assert ours[key] == theirs[key], (ours["stage"], key)
        assert ours["conversion"] == approx(theirs["conversion"]), ours["stage"]


def test_sellers_equal_metrics_command(preppin: Path, preppin_report: dict) -> None:
    window = preppin_report["windows"]["trailing"]
    result = cli(
        preppin,
        "metrics",
        "--by",
        "seller",
        "--json",
        "--since",
        window["since"],
        "--until",
        window["until"],
        "--as-of",
        preppin_report["as_of"],
    )
    assert result.returncode == 0, result.stderr
    command = {row["seller"]: row for row in json.loads(result.stdout)["rows"]}
    rows = preppin_report["sellers"]["rows"]
    assert {row["seller"] for row in rows} == set(command)
    for row in rows:
        expected = command[row["seller"]]
        assert row["bookings"] == approx(expected["bookings"] or 0.0)
        assert row["win_rate"] == approx(expected["win_rate"])
        assert row["cycle_days_median"] == approx(expected["cycle_days_median"])


def test_week_bookings_equal_metrics(preppin: Path, preppin_report: dict) -> None:
    week = preppin_report["windows"]["week"]
    result = cli(
        preppin,
        "metrics",
        "--by",
        "seller",
        "--json",
        "--since",
        week["since"],
        "--until",
        week["until"],
        "--as-of",
        preppin_report["as_of"],
    )
    totals = json.loads(result.stdout)["totals"]
    tile = next(t for t in preppin_report["headline"] if t["key"] == "bookings_week")
    assert tile["value"] == approx(totals["bookings"] or 0.0)


def test_default_week_ends_before_as_of(preppin_report: dict) -> None:
    import datetime as dt

    end = dt.date.fromisoformat(preppin_report["week"]["end"])
    as_of = dt.date.fromisoformat(preppin_report["as_of"])
    assert end.isoweekday() == 7
    assert end < as_of
    assert (as_of - end).days <= 7


def test_same_inputs_give_identical_output(preppin: Path) -> None:
    first = cli(
        preppin, "report", "--out", str(preppin / "a.html"), "--generated-at", FIXED
    )
    second = cli(
        preppin, "report", "--out", str(preppin / "b.html"), "--generated-at", FIXED
    )
    assert first.returncode == second.returncode == 0
    assert (preppin / "a.html").read_bytes() == (preppin / "b.html").read_bytes()
    assert "Wrote the" in first.stdout


def test_page_prints_on_one_page(preppin: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = cli(preppin, "report", "--out", str(html), "--generated-at", FIXED)
    assert result.returncode == 0, result.stderr
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "http://" not in text.replace("http://www.w3.org", "")
    for paper in ("A4", "letter"):
        pdf = print_pdf(html, tmp_path / f"report-{paper}.pdf", paper=paper)
        assert count_pages(pdf) == 1, paper


def test_seller_page_shows_one_seller(preppin: Path, preppin_report: dict) -> None:
    seller = preppin_report["sellers"]["rows"][0]["seller"]
    result = cli(
        preppin, "report", "--json", "--seller", seller, "--generated-at", FIXED
    )
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert page["seller"]["id"] == seller
    assert [row["seller"] for row in page["sellers"]["rows"]] == [seller]


def test_seller_page_by_name(preppin: Path, preppin_report: dict) -> None:
    row = preppin_report["sellers"]["rows"][0]
    name = row["seller_name"].upper()
    result = cli(preppin, "report", "--json", "--seller", name, "--generated-at", FIXED)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["seller"]["id"] == row["seller"]


def test_week_after_data_says_no_data(preppin: Path, preppin_report: dict) -> None:
    result = cli(preppin, "report", "--json", "--week", "2030-W10")
    assert result.returncode == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert any("so it has no data" in note for note in notes)


def test_unknown_seller_is_an_error(preppin: Path) -> None:
    result = cli(preppin, "report", "--json", "--seller", "nobody")
    assert result.returncode == 1
    assert "unknown --seller 'nobody'" in result.stderr


def test_bad_week_is_an_error(preppin: Path) -> None:
    result = cli(preppin, "report", "--week", "2025-14")
    assert result.returncode == 1
    assert "invalid --week '2025-14'" in result.stderr


HOSTILE = [
    "<script>alert('x')</script>",
    "Quote \"double\" & 'single'",
    "Компания Ромашка",
]


def hostile_workspace(workspace: Workspace) -> None:
    """Load opportunities whose names, accounts and sellers carry markup."""
    import datetime as dt

    created = dt.datetime(2025, 1, 6, 10)
    opportunities = ibis.memtable(
        {
            "id": ["o1", "o2", "o3"],
            "name": HOSTILE,
            "account": HOSTILE,
            "seller_id": ["s1", "s2", "s3"],
            "created_at": [created] * 3,
            "close_date": [dt.date(2025, 3, 3), None, dt.date(2025, 2, 3)],
            "amount": [1000.0, 2000.0, 3000.0],
            "stage_label": ["Closed Won", "Discovery", "Closed Lost"],
            "status": ["won", "open", "lost"],
        }
    )
    sellers = ibis.memtable({"id": ["s1", "s2", "s3"], "name": HOSTILE})
    events = ibis.memtable(
        {
            "opportunity_id": ["o1", "o1", "o2", "o3", "o3"],
            "stage_label": [
                "Discovery",
                "Closed Won",
                "Discovery",
                "Discovery",
                "Closed Lost",
            ],
            "entered_at": [
                created,
                dt.datetime(2025, 3, 3),
                created,
                created,
                dt.datetime(2025, 2, 3),
            ],
            "seq": [1, 2, 1, 1, 2],
            "source_id": ["h1", "h2", "h3", "h4", "h5"],
        }
    )
    workspace.store.apply_import(
        importer="test",
        source="test:crm",
        files=["crm.csv"],
        loads=[
            TableLoad("opportunities", opportunities, "crm.csv"),
            TableLoad("sellers", sellers, "crm.csv"),
            TableLoad("stage_events", events, "crm.csv"),
        ],
        full_export=True,
        rows_read=11,
    )


def test_names_render_as_text(workspace: Workspace) -> None:
    hostile_workspace(workspace)
    data = build_report(workspace, week="2025-W10", generated_at=FIXED)
    html = render_html(data)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "Quote &#34;double&#34; &amp; &#39;single&#39;" in html
    assert "Компания Ромашка" in html
    assert json.loads(render_json(data))["sellers"]["rows"]


@pytest.mark.parametrize(
    ("folder", "importer"),
    [
        ("salesforce-devorg-export", "salesforce"),
        ("salesforce-dtc-demo", "salesforce"),
        ("maven-crm-opportunities", "pipeline"),
        ("hubspot-ui-sample", "hubspot"),
    ],
)
def test_report_on_real_data(folder: str, importer: str, tmp_path: Path) -> None:
    data = real_data(folder)
    ws = tmp_path / "ws"
    assert cli(ws.parent, "init", str(ws)).returncode == 0
    if importer == "pipeline":
        args = [
            "import",
            "pipeline",
            str(data / "sales_pipeline.csv"),
            "--mapping",
            "maven-crm",
        ]
    elif importer == "hubspot":
        args = ["import", "hubspot", str(data / "all-deals.csv")]
    else:
        args = ["import", importer, str(data)]
    imported = cli(ws, *args)
    assert imported.returncode == 0, imported.stderr
    if importer == "hubspot":
        cli(ws, "import", "csv", str(data), "--partial")
    result = cli(ws, "report", "--json", "--generated-at", FIXED)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["headline"]
    html = cli(ws, "report", "--out", str(tmp_path / "r.html"))
    assert html.returncode == 0, html.stderr
    if folder == "salesforce-dtc-demo":
        # The DTC activities run into 2016, past the last deal, so the page notes it.
        with (data / "DTC_Opportunity.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        last = max(
            [r["CreatedDate"][:10] for r in rows]
            + [r["CloseDate"][:10] for r in rows if r["StageName"].startswith("Closed")]
        )
        assert any(f"the latest was on {last}" in n for n in report["notes"])
    if folder == "maven-crm-opportunities":
        assert (
            report["funnel"]["empty_reason"] is None
            or "history" in (report["funnel"]["empty_reason"])
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo company with assessments, a diagnosis and a roadmap."""
    from revarch.demo import create_demo

    folder = tmp_path_factory.mktemp("demo") / "ws"
    create_demo(
        folder, sellers=12, months=8, seed=11, scale=0.5, progress=lambda *args: None
    )
    return folder


@pytest.fixture(scope="module")
def demo_report(demo: Path) -> dict:
    result = cli(demo, "report", "--json", "--generated-at", FIXED)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _known_on(report: dict) -> str:
    """Return the day the report's talent and leadership sections are taken on."""
    return min(report["week"]["end"], report["as_of"])


def test_talent_equals_gaps_command(demo: Path, demo_report: dict) -> None:
    result = cli(demo, "talent", "gaps", "--json", "--as-of", _known_on(demo_report))
    assert result.returncode == 0, result.stderr
    command = {row["skill"]: row for row in json.loads(result.stdout)["skills"]}
    skills = demo_report["talent"]["skills"]
    assert {row["skill"] for row in skills} == set(command)
    for row in skills:
        assert row["tier"] == command[row["skill"]]["tier"], row["skill"]
        for key in ("gap_percent", "top_score_mean", "bottom_score_mean"):
            assert row[key] == approx(command[row["skill"]][key]), (row["skill"], key)


def test_heatmap_holds_latest_scores(demo_report: dict) -> None:
    cells = demo_report["talent"]["heatmap"]
    ranked = demo_report["talent"]["ranked_count"]
    skills = len(demo_report["talent"]["skills"])
    assert len(cells) == min(ranked, 24) * skills
    assert all(0 <= cell["score"] <= 100 for cell in cells)


def test_scorecard_equals_diagnose_command(demo: Path, demo_report: dict) -> None:
    result = cli(
        demo, "diagnose", "scorecard", "--json", "--as-of", _known_on(demo_report)
    )
    assert result.returncode == 0, result.stderr
    command = {
        f["function"]: f["maturity"] for f in json.loads(result.stdout)["functions"]
    }
    shown = {
        f["function"]: f["maturity"] for f in demo_report["diagnosis"]["functions"]
    }
    assert shown.keys() == command.keys()
    for number, maturity in shown.items():
        assert maturity == approx(command[number]), number
    assert len(shown) == 11


def test_demo_page_prints_on_one_page(demo: Path, tmp_path: Path) -> None:
    html = tmp_path / "demo.html"
    seller = tmp_path / "seller.html"
    assert cli(demo, "report", "--out", str(html)).returncode == 0
    first = json.loads(cli(demo, "report", "--json").stdout)["sellers"]["rows"][0]
    assert (
        cli(
            demo, "report", "--seller", first["seller"], "--out", str(seller)
        ).returncode
        == 0
    )
    for page in (html, seller):
        for paper in ("A4", "letter"):
            pdf = print_pdf(page, tmp_path / f"{page.stem}-{paper}.pdf", paper=paper)
            assert count_pages(pdf) == 1, (page.name, paper)


def test_inspection_equals_inspect_command(demo: Path, demo_report: dict) -> None:
    result = cli(demo, "inspect", "--json", "--as-of", _known_on(demo_report))
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["rows"]
    section = demo_report["inspection"]
    assert section["total"] == len(listed)
    assert [r["id"] for r in section["rows"]] == [r["id"] for r in listed][:8]


def test_comp_equals_comp_command(demo: Path, demo_report: dict) -> None:
    section = demo_report["comp"]
    result = cli(
        demo, "comp", "--json", "--period", section["period"],
        "--as-of", _known_on(demo_report),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    totals = {
        s["seller_name"]: s["total"] for s in json.loads(result.stdout)["statements"]
    }
    assert section["total_sellers"] == len(totals)
    for row in section["rows"]:
        assert row["total"] == approx(totals[row["seller_name"]])
    top = sorted(totals.values(), reverse=True)[: len(section["rows"])]
    assert [row["total"] for row in section["rows"]] == approx(top)


def test_seller_page_gap_equals_one_on_one(demo: Path, demo_report: dict) -> None:
    seller = demo_report["sellers"]["rows"][0]["seller"]
    week = demo_report["week"]["id"]
    page = json.loads(
        cli(demo, "report", "--json", "--seller", seller, "--week", week).stdout
    )
    meeting = cli(demo, "one-on-one", seller, "--week", week, "--json")
    assert meeting.returncode == 0, meeting.stderr
    competency = json.loads(meeting.stdout)["competency"]
    plan = page["talent"]["seller_plan"]
    assert page["forecast"] is None
    if competency["status"] == "gap":
        assert plan["top_gap"]["skill"] == competency["skill"]
        assert plan["top_gap"]["score"] == approx(competency["score"])
    else:
        assert plan.get("top_gap") is None
