"""The demo's leadership records and the report sections built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from markupsafe import escape

from revarch.comp.report import report_section_comp
from revarch.demo import create_demo
from revarch.leadership import compute_forecast_accuracy, compute_inspection
from revarch.leadership.demo import write_demo_leadership
from revarch.leadership.report import (
    report_section_forecast,
    report_section_inspection,
)
from revarch.report.render import _ENV
from revarch.workspace import Workspace, open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A small demo company with its leadership records (read only)."""
    folder = tmp_path_factory.mktemp("demo") / "ws"
    create_demo(folder, sellers=8, months=9, seed=3)
    with open_workspace(folder) as workspace:
        write_demo_leadership(workspace, 3)
        yield workspace


def _dates(workspace: Workspace) -> SimpleNamespace:
    from revarch.timeframe import period_of, resolve_as_of

    as_of = resolve_as_of(workspace)
    week_end = as_of - dt.timedelta(days=as_of.isoweekday())
    quarter = period_of(week_end, "quarter")
    return SimpleNamespace(week_end=week_end, quarter_id=quarter.id, as_of=as_of)


def _render(name: str, **sections: object) -> str:
    report = {"seller": None, **sections}
    return _ENV.get_template(f"sections/{name}.html.j2").render(report=report)


def test_demo_forecasts_within_and_outside(demo: Workspace) -> None:
    result = compute_forecast_accuracy(demo)
    within = {m["manager"] for m in result.managers if m["within_tolerance"]}
    outside = {
        m["manager"]
        for m in result.managers
        if m["scored"] > m["within_tolerance"] + m["actual_zero"]
    }
    assert within
    assert outside
    assert any(row["status"] == "late" for row in result.rows)
    assert any(row["status"] == "missing" for row in result.rows)


def test_demo_comp_plan_loaded(demo: Workspace) -> None:
    plan = demo.settings.comp
    assert plan is not None
    assert plan.weights == {
        "margin": 0.30,
        "process_adherence": 0.20,
        "competency_development": 0.10,
        "revenue": 0.40,
    }


def test_demo_answers_recorded(demo: Workspace) -> None:
    rows = compute_inspection(demo).rows
    answered = [a for row in rows for a in row["answers"].values() if a is not None]
    assert answered
    assert set(answered) <= {"yes", "no", "unknown"}


def test_forecast_section_renders(demo: Workspace) -> None:
    section = report_section_forecast(demo, _dates(demo))
    assert section is not None
    assert section["empty_reason"] is None
    html = _render("forecast", forecast=section)
    for row in section["rows"]:
        assert row["manager_name"] in html


def test_inspection_section_renders(demo: Workspace) -> None:
    section = report_section_inspection(demo, _dates(demo))
    assert section is not None
    html = _render("inspection", inspection=section)
    assert f"riskiest of {section['total']} open" in html
    assert len(section["rows"]) <= 8
    for row in section["rows"][:6]:
        assert str(escape(row["name"])) in html
    risks = [row["risk"] for row in section["rows"]]
    assert risks == sorted(risks, reverse=True)


def test_seller_sections_hold_only_the_seller(demo: Workspace) -> None:
    dates = _dates(demo)
    listed = compute_inspection(demo, as_of=dates.week_end).rows
    assert listed
    seller_id = listed[0]["seller"]
    own = report_section_inspection(demo, dates, seller_id)
    assert own is not None
    assert own["total"] == sum(1 for r in listed if r["seller"] == seller_id)
    assert {r["id"] for r in own["rows"]} <= {
        r["id"] for r in listed if r["seller"] == seller_id
    }
    comp = report_section_comp(demo, dates, seller_id)
    assert comp is not None
    assert [r["seller"] for r in comp["rows"]] == [seller_id]


def test_comp_section_renders(demo: Workspace) -> None:
    section = report_section_comp(demo, _dates(demo))
    assert section is not None
    assert section["empty_reason"] is None
    totals = [row["total"] for row in section["rows"]]
    assert totals == sorted(totals, reverse=True)
    html = _render("comp", comp=section)
    assert "margin attainment" in html
    for row in section["rows"][:6]:
        assert str(escape(row["seller_name"])) in html
        if row["target_incentive"]:
            assert row["of_target"] == pytest.approx(
                row["total"] / row["target_incentive"]
            )


def test_sections_empty_reason(workspace: Workspace) -> None:
    dates = SimpleNamespace(
        week_end=dt.date(2025, 6, 1), quarter_id="2025-Q2", as_of=dt.date(2025, 6, 1)
    )
    comp = report_section_comp(workspace, dates)
    forecast = report_section_forecast(workspace, dates)
    assert comp is not None and forecast is not None
    assert "No comp plan" in _render("comp", comp=comp)
    assert "No commit forecasts recorded" in _render("forecast", forecast=forecast)


def test_section_escapes_names() -> None:
    section = {
        "category": "commit",
        "tolerance": 0.1,
        "current_period": "2025-Q2",
        "previous_period": "2025-Q1",
        "empty_reason": None,
        "rows": [
            {
                "manager_name": "<script>x</script>",
                "forecast": 1.0,
                "actual": 1.0,
                "previous_status": "scored",
                "previous_forecast": 1.0,
                "previous_actual": 1.0,
                "previous_accuracy": 1.0,
                "previous_within": True,
                "mape": 0.0,
            }
        ],
    }
    html = _render("forecast", forecast=section)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
