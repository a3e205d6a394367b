"""Comp statements on a hand-built plan and team, every figure derived by hand.

Period 2025-Q2 (April to June), as of 2025-07-15, all amounts USD.

| seller | won in Q2 (amount, margin)              | quota  | incentive |
|--------|-----------------------------------------|--------|-----------|
| Ann    | o1 120,000 / 50,000; o2 30,000 / none   | 100,000| 10,000    |
| Bob    | o3 40,000 / 10,000 (o4 closed in Q1)    | 80,000 | 8,000     |

Plan: margin 30% (target 40,000, threshold 0.5, cap 1.5), process adherence
20% (target 0.8), competency development 10% (target 5 points), revenue 40%
(target quota, threshold 0.5, cap 2.0, tiers above 1.0 at 2x, above 1.4 at
3x).

- Ann margin: 50,000 known (o2 has none and is left out) / 40,000 = 1.25;
  10,000 x 30% x 1.25 = 3,750.00, marked incomplete.
- Ann adherence: o1's qualify visit required one call and got one: 1.0 /
  0.8 = 1.25; 10,000 x 20% x 1.25 = 2,500.00.
- Ann competency: Tier 1 mean 55 (Hunting 50, Social Selling 60 on
  2025-03-01) -> 61 (58, 64 on 2025-06-15) = +6 / 5 = 1.2; 10,000 x 10% x
  1.2 = 1,200.00.
- Ann revenue: 150,000 / 100,000 = 1.5; tiers 1.0 x 1 + 0.4 x 2 + 0.1 x 3 =
  2.1, capped at 2.0; 10,000 x 40% x 2.0 = 8,000.00. Total 15,450.00.
- Bob margin: 10,000 / 40,000 = 0.25, below the 0.5 threshold: 0.
- Bob adherence: o3's qualify visit has no call: 0 / 0.8 = 0: 0.
- Bob competency: assessed only inside the period, nothing to compare: 0,
  unavailable.
- Bob revenue: 40,000 / 80,000 = 0.5, at the threshold: 8,000 x 40% x 0.5 =
  1,600.00. Total 1,600.00.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.comp import (
    CompResult,
    compare_plans,
    compute_comp,
    export_payroll,
    payout_curve,
)
from revarch.comp.plan import read_plan_file
from revarch.config import CompComponent
from revarch.errors import ConfigError, InputError
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_leadership_support import (
    D,
    T,
    activity,
    event,
    load,
    opportunity,
    write_settings,
)

PROCESS = {
    "stages": [
        {
            "id": "qualify",
            "label": "Qualify",
            "required_activities": [{"name": "Discovery call", "type": "call"}],
        },
        {"id": "propose", "label": "Propose"},
    ],
    "won_labels": ["Won"],
    "lost_labels": ["Lost"],
}
PLAN = {
    "target_incentive": 10_000,
    "target_incentive_by_seller": {"s2": 8_000},
    "components": [
        {"measure": "margin", "weight": 30, "target": 40_000, "threshold": 0.5,
         "cap": 1.5},
        {"measure": "process_adherence", "weight": 20, "target": 0.8},
        {"measure": "competency_development", "weight": 10, "target": 5},
        {
            "measure": "revenue",
            "weight": 40,
            "target": "quota",
            "threshold": 0.5,
            "cap": 2.0,
            "curve": "tiered",
            "tiers": [{"above": 1.0, "rate": 2.0}, {"above": 1.4, "rate": 3.0}],
        },
    ],
}  # fmt: skip


def _won(id: str, seller: str, close: D, amount: float, margin: float | None) -> dict:
    return opportunity(
        id,
        seller,
        status="won",
        stage_label="Won",
        close_date=close,
        amount=amount,
        margin=margin,
        created_at=T(2025, 1, 2),
    )


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Load the team, opportunities, history, activities, quotas and scores.

    Built once for the module: the tests only read it.
    """
    folder = tmp_path_factory.mktemp("comp") / "ws"
    init_workspace(folder, name="Comp Co")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


def _fill(workspace: Workspace) -> None:
    write_settings(workspace, as_of="2025-07-15", process=PROCESS, comp=PLAN)
    load(
        workspace,
        "sellers",
        [
            {"id": "m1", "name": "Mia", "is_seller": False},
            {
                "id": "s1",
                "name": "Ann",
                "manager_id": "m1",
                "role": "AE",
                "is_seller": True,
            },
            {
                "id": "s2",
                "name": "Bob",
                "manager_id": "m1",
                "role": "AE",
                "is_seller": True,
            },
        ],
    )
    load(
        workspace,
        "opportunities",
        [
            _won("o1", "s1", D(2025, 5, 10), 120_000.0, 50_000.0),
            _won("o2", "s1", D(2025, 6, 1), 30_000.0, None),
            _won("o3", "s2", D(2025, 4, 20), 40_000.0, 10_000.0),
            _won("o4", "s2", D(2025, 3, 15), 99_000.0, 9_000.0),
        ],
    )
    load(
        workspace,
        "stage_events",
        [
            event(1, "o1", "Qualify", T(2025, 4, 1)),
            event(2, "o1", "Won", T(2025, 5, 10)),
            event(3, "o3", "Qualify", T(2025, 4, 5)),
            event(4, "o3", "Won", T(2025, 4, 20)),
        ],
    )
    load(
        workspace,
        "activities",
        [activity("a1", "s1", "call", T(2025, 4, 2, 10), opportunity_id="o1")],
    )
    load(
        workspace,
        "quotas",
        [
            {"seller_id": "s1", "period": "2025-Q2", "amount": 100_000.0},
            {"seller_id": "s2", "period": "2025-Q2", "amount": 80_000.0},
        ],
    )
    scores = [
        ("s1", "Hunting", D(2025, 3, 1), 50.0),
        ("s1", "Social Selling", D(2025, 3, 1), 60.0),
        ("s1", "Hunting", D(2025, 6, 15), 58.0),
        ("s1", "Social Selling", D(2025, 6, 15), 64.0),
        ("s2", "Hunting", D(2025, 5, 1), 70.0),
    ]
    load(
        workspace,
        "assessments",
        [
            {
                "person_id": p,
                "kind": "seller",
                "skill": s,
                "assessed_on": d,
                "score": v,
                "rater": "",
            }
            for p, s, d, v in scores
        ],
    )


def _line(statement: dict, measure: str) -> dict:
    return next(line for line in statement["components"] if line["measure"] == measure)


@pytest.fixture(scope="module")
def result(team: Workspace) -> CompResult:
    return compute_comp(team, period="2025-Q2")


@pytest.fixture(scope="module")
def statements(result: CompResult) -> dict[str, dict]:
    return {s["seller"]: s for s in result.statements}


def test_comp_margin_missing_reported(statements: dict[str, dict]) -> None:
    ann = _line(statements["s1"], "margin")
    assert ann["actual"] == 50_000.0
    assert ann["attainment"] == 1.25
    assert ann["payout"] == 3_750.00
    assert ann["status"] == "incomplete"
    assert "o2" in ann["detail"]


def test_comp_margin_below_threshold(statements: dict[str, dict]) -> None:
    bob = _line(statements["s2"], "margin")
    assert bob["attainment"] == 0.25
    assert bob["payout"] == 0.0


def test_comp_adherence_payouts(statements: dict[str, dict]) -> None:
    ann = _line(statements["s1"], "process_adherence")
    bob = _line(statements["s2"], "process_adherence")
    assert ann["actual"] == 1.0
    assert ann["payout"] == 2_500.00
    assert bob["actual"] == 0.0
    assert bob["payout"] == 0.0


def test_comp_competency_change(statements: dict[str, dict]) -> None:
    ann = _line(statements["s1"], "competency_development")
    bob = _line(statements["s2"], "competency_development")
    assert ann["actual"] == pytest.approx(61.0 - 55.0)
    assert ann["payout"] == 1_200.00
    assert bob["status"] == "unavailable"
    assert bob["payout"] == 0.0


def test_comp_revenue_accelerator_capped(statements: dict[str, dict]) -> None:
    ann = _line(statements["s1"], "revenue")
    assert ann["target"] == 100_000.0
    assert ann["target_source"] == "quota"
    assert ann["attainment"] == 1.5
    assert ann["payout_factor"] == 2.0
    assert ann["payout"] == 8_000.00


def test_comp_revenue_at_threshold(statements: dict[str, dict]) -> None:
    bob = _line(statements["s2"], "revenue")
    assert bob["attainment"] == 0.5
    assert bob["payout"] == 1_600.00


def test_comp_totals_and_review(statements: dict[str, dict]) -> None:
    assert statements["s1"]["total"] == 3_750 + 2_500 + 1_200 + 8_000
    assert statements["s2"]["total"] == 1_600.00
    assert statements["s2"]["target_incentive"] == 8_000
    assert statements["s1"]["needs_review"]
    assert statements["s1"]["review"] == ["margin"]
    assert "m1" not in statements


def test_comp_trace_redoes_payout(statements: dict[str, dict]) -> None:
    trace = statements["s1"]["trace"]
    assert "10,000.00 x 40% x 2.000000 = 8,000.00" in trace[3]
    assert "100% x 1 + 40% x 2 + 10% x 3 = 210%" in trace[3]
    assert trace[-1] == "total: 3,750.00 + 2,500.00 + 1,200.00 + 8,000.00 = 15,450.00"


def test_comp_payroll_csv(result: CompResult, tmp_path: Path) -> None:
    path = tmp_path / "payroll.csv"
    assert export_payroll(result, path, "USD") == 2
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {row["seller"]: row for row in csv.DictReader(handle)}
    assert rows["s1"]["total_payout"] == "15450.00"
    assert rows["s1"]["revenue_payout"] == "8000.00"
    assert rows["s1"]["needs_review"] == "yes"
    assert rows["s2"]["competency_development_actual"] == ""
    assert rows["s2"]["period"] == "2025-Q2"


def test_comp_what_if_side_by_side(team: Workspace, tmp_path: Path) -> None:
    other = {
        "comp": {
            "target_incentive": 10_000,
            "target_incentive_by_seller": {"s2": 8_000},
            "components": [{"measure": "revenue", "weight": 100, "target": "quota"}],
        }
    }
    path = tmp_path / "what-if.yaml"
    path.write_text(yaml.safe_dump(other), encoding="utf-8")
    comparison = compare_plans(team, read_plan_file(path), period="2025-Q2")
    rows = {row["seller"]: row for row in comparison.rows}
    # Linear revenue at 100%: Ann 1.5 x 10,000 = 15,000; Bob 0.5 x 8,000 = 4,000.
    assert rows["s1"]["total_what_if"] == 15_000.00
    assert rows["s2"]["total_what_if"] == 4_000.00
    assert rows["s1"]["difference"] == 15_000.00 - 15_450.00
    assert comparison.totals["total_current"] == 15_450.00 + 1_600.00


def test_comp_default_period_from_as_of(team: Workspace) -> None:
    result = compute_comp(team)
    assert result.period.id == "2025-Q3"
    assert result.notes


def test_comp_period_kind_mismatch(team: Workspace) -> None:
    with pytest.raises(InputError, match="comp.period is quarter"):
        compute_comp(team, period="2025-05")


def test_comp_without_plan_error(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="no comp plan"):
        compute_comp(workspace, period="2025-Q2", as_of="2025-07-01")


def test_comp_weights_not_100_error(workspace: Workspace) -> None:
    plan = yaml.safe_load(yaml.safe_dump(PLAN))
    plan["components"][0]["weight"] = 20
    with pytest.raises(ConfigError) as error:
        write_settings(workspace, comp=plan)
    message = str(error.value)
    assert "comp.components" in message
    assert "sum to 90" in message
    assert "margin 20 + process_adherence 20" in message


def test_comp_missing_target_error(workspace: Workspace) -> None:
    plan = yaml.safe_load(yaml.safe_dump(PLAN))
    del plan["components"][1]["target"]
    with pytest.raises(ConfigError) as error:
        write_settings(workspace, comp=plan)
    assert "comp.components[1].target" in str(error.value)
    assert "required" in str(error.value).lower()


def test_comp_missing_incentive_error(workspace: Workspace) -> None:
    plan = yaml.safe_load(yaml.safe_dump(PLAN))
    del plan["target_incentive"]
    plan["target_incentive_by_seller"] = {}
    with pytest.raises(ConfigError, match="target_incentive is missing"):
        write_settings(workspace, comp=plan)


def test_comp_default_weights(workspace: Workspace) -> None:
    plan = {
        "target_incentive": 1_000,
        "components": [
            {"measure": m, "target": 1}
            for m in ("margin", "process_adherence", "competency_development")
        ]
        + [{"measure": "revenue", "target": "quota"}],
    }
    write_settings(workspace, comp=plan)
    assert workspace.settings.comp is not None
    assert workspace.settings.comp.weights == {
        "margin": 0.30,
        "process_adherence": 0.20,
        "competency_development": 0.10,
        "revenue": 0.40,
    }


@pytest.mark.parametrize(
    ("attainment", "factor"),
    [
        pytest.param(0.49, 0.0, id="below-threshold"),
        pytest.param(0.5, 0.5, id="at-threshold"),
        pytest.param(1.0, 1.0, id="at-target"),
        pytest.param(1.2, 1.0 + 0.2 * 2, id="first-tier"),
        pytest.param(1.5, 2.0, id="capped"),
    ],
)
def test_payout_curve_tiers(attainment: float, factor: float) -> None:
    component = CompComponent.model_validate(
        {
            "measure": "revenue",
            "target": 1,
            "threshold": 0.5,
            "cap": 2.0,
            "curve": "tiered",
            "tiers": [{"above": 1.0, "rate": 2.0}, {"above": 1.4, "rate": 3.0}],
        }
    )
    assert payout_curve(attainment, component).factor == pytest.approx(factor)


def test_comp_cli_trace_and_csv(team: Workspace, tmp_path: Path) -> None:
    team.close()
    path = tmp_path / "payroll.csv"
    args = ["-w", str(team.path), "comp", "--period", "2025-Q2", "--seller", "Ann"]
    result = CliRunner().invoke(app, [*args, "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "total: 3,750.00 + 2,500.00 + 1,200.00 + 8,000.00 = 15,450.00" in (
        result.output
    )
    with path.open(encoding="utf-8", newline="") as handle:
        totals = [row["total_payout"] for row in csv.DictReader(handle)]
    assert sorted(float(total) for total in totals) == [1_600.0, 15_450.0]


def test_comp_cli_table_fits_80_columns(team: Workspace) -> None:
    """Ann: margin 125%, process 125%, skills 120%, revenue 150%.

    She is paid 15,450 of 10,000, 154.5%, shown as 154% (half to even).
    """
    team.close()
    args = ["-w", str(team.path), "comp", "--period", "2025-Q2"]
    result = CliRunner().invoke(app, args, terminal_width=80)
    assert result.exit_code == 0, result.output
    ann = next(line for line in result.output.splitlines() if "Ann" in line)
    assert ann.split()[1:] == [
        "125%",
        "125%",
        "120%",
        "150%",
        "15,450",
        "154%",
        "margin",
    ]
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_comp_settings_reload(team: Workspace) -> None:
    with open_workspace(team.path) as reopened:
        assert reopened.settings.comp is not None
        assert reopened.settings.comp.target_incentive_by_seller == {"s2": 8_000}


def test_comp_new_hire_prorated(tmp_path: Path) -> None:
    """A seller hired on 2025-05-17 worked 45 of Q2's 91 days.

    Incentive 10,000 x 45/91 = 4,945.05; the margin target 40,000 x 45/91 =
    19,780.22; margin 12,000 / 19,780.22 = 0.606667 (linear, over the 0.5
    threshold): 4,945.05 x 30% x 0.606667 = 900.00. The quota is the
    seller's own, so it stays 50,000: 20,000 / 50,000 = 0.4 pays nothing.
    """
    folder = tmp_path / "ws"
    init_workspace(folder, name="Comp Co")
    with open_workspace(folder) as workspace:
        write_settings(workspace, as_of="2025-07-15", process=PROCESS, comp=PLAN)
        load(
            workspace,
            "sellers",
            [
                {
                    "id": "s9",
                    "name": "Cy",
                    "is_seller": True,
                    "hire_date": D(2025, 5, 17),
                }
            ],
        )
        load(
            workspace,
            "opportunities",
            [_won("o9", "s9", D(2025, 6, 10), 20_000.0, 12_000.0)],
        )
        load(
            workspace,
            "quotas",
            [{"seller_id": "s9", "period": "2025-Q2", "amount": 50_000.0}],
        )
        (cy,) = compute_comp(workspace, period="2025-Q2").statements
        share = round(45 / 91, 6)
        incentive = round(10_000 * 45 / 91, 2)
        assert cy["employed_share"] == share
        assert cy["target_incentive"] == incentive == 4_945.05
        margin = _line(cy, "margin")
        assert margin["target"] == round(40_000 * 45 / 91, 2)
        assert margin["target_source"] == "target, prorated"
        attainment = round(12_000 / margin["target"], 6)
        assert margin["attainment"] == attainment
        assert margin["payout"] == round(incentive * 0.30 * attainment, 2) == 900.0
        revenue = _line(cy, "revenue")
        assert (revenue["target"], revenue["payout"]) == (50_000.0, 0.0)
        assert cy["trace"][0].startswith("prorated: hired 2025-05-17, employed 45")
        # With proration off, the plan pays on the full amounts.
        plan = {**PLAN, "prorate_new_hires": False}
        write_settings(workspace, as_of="2025-07-15", process=PROCESS, comp=plan)
        workspace.reload_settings()
        (full,) = compute_comp(workspace, period="2025-Q2").statements
        assert full["target_incentive"] == 10_000
        assert _line(full, "margin")["target"] == 40_000


def test_comp_hired_after_period_left_out(tmp_path: Path) -> None:
    """Dee, hired 2025-07-10, is not on Q2's plan; Cy, hired 2025-04-01, is."""
    folder = tmp_path / "ws"
    init_workspace(folder, name="Comp Co")
    with open_workspace(folder) as workspace:
        write_settings(workspace, as_of="2025-07-15", process=PROCESS, comp=PLAN)
        hires = {"s8": ("Cy", D(2025, 4, 1)), "s9": ("Dee", D(2025, 7, 10))}
        load(
            workspace,
            "sellers",
            [
                {"id": k, "name": n, "is_seller": True, "hire_date": h}
                for k, (n, h) in hires.items()
            ],
        )
        load(
            workspace,
            "opportunities",
            [_won("o8", "s8", D(2025, 6, 10), 20_000.0, 12_000.0)],
        )
        result = compute_comp(workspace, period="2025-Q2")
        assert [s["seller"] for s in result.statements] == ["s8"]
        assert result.statements[0]["target_incentive"] == 10_000
        assert any("Dee" in note for note in result.notes)
        q3 = compute_comp(workspace, period="2025-Q3")
        dee = next(s for s in q3.statements if s["seller"] == "s9")
        # Q3 has 92 days; Dee worked 2025-07-10 to 2025-09-30, 83 of them.
        assert dee["target_incentive"] == round(10_000 * 83 / 92, 2)
        assert _line(dee, "margin")["target"] == round(40_000 * 83 / 92, 2)


def test_comp_cli_unknown_seller_error(team: Workspace, tmp_path: Path) -> None:
    team.close()
    args = ["-w", str(team.path), "comp", "--period", "2025-Q2"]
    result = CliRunner().invoke(app, [*args, "--seller", "Nobody"])
    assert result.exit_code != 0
    assert "invalid --seller 'Nobody'" in str(result.exception)
    ann = CliRunner().invoke(app, [*args, "--seller", "Ann", "--json"])
    assert [s["seller"] for s in json.loads(ann.output)["statements"]] == ["s1"]
    bad = CliRunner().invoke(app, [*args, "--csv", str(tmp_path / "no" / "x.csv")])
    assert bad.exit_code != 0
    assert "cannot write --csv" in str(bad.exception)
