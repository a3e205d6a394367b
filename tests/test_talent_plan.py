"""One seller against the team: weak skills, compounded gap, #1 gap and plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from revarch.config import Settings
from revarch.talent import seller_profile
from revarch.talent.plans import compound
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_talent_support import (
    AS_OF,
    SELLERS,
    add_sellers,
    by_group,
    import_rows,
    long_rows,
    twelve_sellers,
)

ACTIVITIES = {skill.name: skill.activities for skill in Settings().skills.catalog}


def test_compound_framework_example() -> None:
    product, additive = compound(
        [("Social Selling", 600.0, "prior"), ("Hunting", 400.0, "prior")]
    )
    assert product == pytest.approx(6 * 4)
    assert additive == pytest.approx(6 + 4)


def test_compound_none_is_one() -> None:
    assert compound([]) == (1, 0)


# Five sellers (a low-confidence team, so every skill keeps its prior tier and
# published prior gap). Team percentiles by hand, linear interpolation over
# five sorted scores: p25 is the 2nd value, p50 the 3rd, p75 the 4th.
SCORES = {
    # sorted 10, 50, 60, 70, 80: p25 50, p75 70; w is weak, 60 short.
    "Social Selling": {"a": 80, "b": 70, "c": 60, "d": 50, "w": 10},
    # sorted 20, 60, 80, 85, 90: p25 60, p75 85; w is weak, 65 short.
    "Hunting": {"a": 90, "b": 85, "c": 80, "d": 60, "w": 20},
    # sorted 10, 90, 90, 90, 90: p25 90; w is weak, 80 short, Tier 2, no prior.
    "Qualifying": {"a": 90, "b": 90, "c": 90, "d": 90, "w": 10},
    # sorted 65, 70, 70, 70, 70: p25 70; w is weak, 5 short, Tier 3.
    "Presentation": {"a": 70, "b": 70, "c": 70, "d": 70, "w": 65},
    # Everyone scores 50, so no seller is below any percentile.
    "CRM Savvy": {"a": 50, "b": 50, "c": 50, "d": 50, "w": 50},
}


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One five-seller team for the read-only tests of this module."""
    folder = tmp_path_factory.mktemp("plan")
    init_workspace(folder / "ws")
    with open_workspace(folder / "ws") as workspace:
        add_sellers(workspace, {"a": 500, "b": 400, "c": 300, "d": 200, "w": 100})
        scores: dict[str, dict[str, float]] = {}
        for skill, per_seller in SCORES.items():
            for seller, score in per_seller.items():
                scores.setdefault(seller, {})[skill] = score
        import_rows(workspace, folder, long_rows(scores))
        yield workspace


def test_seller_compounded_gap_priors(profiled: Workspace) -> None:
    profile = seller_profile(profiled, "w", as_of=AS_OF)
    data = profile.to_dict()
    assert data["compounded_gap_x"] == pytest.approx(24.0)
    assert data["additive_gap_x"] == pytest.approx(10.0)
    assert [
        s["skill"] for s in data["skills"] if s["skill"] in SCORES and s["weak"]
    ] == [
        "Social Selling",
        "Hunting",
        "Qualifying",
        "Presentation",
    ]
    assert data["other_weak_skills"] == ["Qualifying", "Presentation"]


def test_seller_quartiles_by_hand(profiled: Workspace) -> None:
    skills = {
        s["skill"]: s
        for s in seller_profile(profiled, "w", as_of=AS_OF).to_dict()["skills"]
    }
    hunting = skills["Hunting"]
    assert hunting["team_weak_cut"] == pytest.approx(60)
    assert hunting["team_median"] == pytest.approx(80)
    assert hunting["team_top_cut"] == pytest.approx(85)
    assert hunting["quartile"] == "bottom"
    assert skills["CRM Savvy"]["quartile"] == "top"
    assert skills["Farming"]["score"] is None


def test_seller_top_gap_and_plan(profiled: Workspace) -> None:
    data = seller_profile(profiled, "w", as_of=AS_OF).to_dict()
    # Tier 1 first, then the largest shortfall: Hunting (65) before Social
    # Selling (60), although Qualifying (Tier 2) is 80 short.
    assert data["top_gap"]["skill"] == "Hunting"
    plan = [(item["skill"], item["tier"], item["action"]) for item in data["plan"]]
    assert plan == [
        ("Hunting", 1, "develop"),
        ("Social Selling", 1, "develop"),
        ("Qualifying", 2, "develop"),
        ("Presentation", 3, "maintain"),
    ]
    assert data["plan"][0]["shortfall"] == pytest.approx(65)
    for item in data["plan"]:
        assert item["activity"] in ACTIVITIES[item["skill"]]


def test_seller_top_performer_no_plan(profiled: Workspace) -> None:
    data = seller_profile(profiled, "a", as_of=AS_OF).to_dict()
    assert data["compounded_gap_x"] == 1
    assert data["additive_gap_x"] == 0
    assert data["plan"] == []
    assert data["top_gap"] is None
    assert data["ranking"]["rank"] == 1


def test_seller_unknown_lists_assessed(profiled: Workspace) -> None:
    from revarch.errors import InputError

    with pytest.raises(
        InputError, match="seller 'zz' has no seller assessment.*a, b, c"
    ):
        seller_profile(profiled, "zz", as_of=AS_OF)


def test_seller_compounded_measured_gaps(workspace: Workspace, tmp_path: Path) -> None:
    # Twelve sellers are enough for measured gaps to set tiers. s12 is below
    # the team's 25th percentile (50 on each skill) in all three skills.
    twelve_sellers(
        workspace,
        tmp_path,
        {
            "Hunting": by_group(SELLERS, [80, 70, 60], 50, [20, 10]),
            "Qualifying": by_group(SELLERS, [75, 75, 75], 50, [30, 30]),
            "Closing": by_group(SELLERS, [60, 60, 60], 50, [40, 40]),
        },
    )
    data = seller_profile(workspace, "s12", as_of=AS_OF).to_dict()
    hunting = (70 - 15) / 15
    qualifying = (75 - 30) / 30
    assert data["compounded_gap_x"] == pytest.approx(hunting * qualifying)
    assert data["additive_gap_x"] == pytest.approx(hunting + qualifying)
    sources = {item["skill"]: item["gap_source"] for item in data["compounded_skills"]}
    assert sources == {"Hunting": "measured", "Qualifying": "measured"}
    assert data["other_weak_skills"] == ["Closing"]
