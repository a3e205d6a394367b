"""Skill gaps: groups with ties, gap percent, intervals, tiers and the ranking."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from revarch.talent import TeamFilter, compute_gaps
from revarch.talent.stats import bootstrap_gaps, form_groups, group_size, percentile
from revarch.workspace import Workspace
from tests.test_talent_support import (
    AS_OF,
    BOOKINGS,
    SELLERS,
    add_sellers,
    by_group,
    import_rows,
    load,
    long_rows,
    twelve_sellers,
)


def test_group_size_ceil_and_minimum() -> None:
    assert group_size(12, 0.1) == 2
    assert group_size(30, 0.1) == 3
    assert group_size(31, 0.1) == 4
    assert group_size(3, 0.1) == 1
    assert group_size(1, 0.1) == 1


def test_groups_tie_at_bottom_boundary() -> None:
    groups = form_groups(np.array([5.0, 4.0, 3.0, 2.0, 1.0, 1.0]), 0.1)
    assert groups.top.tolist() == [True, False, False, False, False, False]
    assert groups.bottom.tolist() == [False, False, False, False, True, True]


def test_gaps_twelve_sellers_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    skills = {
        "Hunting": by_group(SELLERS, [80, 70, 60], 50, [20, 10]),
        "Negotiating": by_group(SELLERS, [60, 60, 60], 40, [20, 20]),
        "Qualifying": by_group(SELLERS, [75, 75, 75], 50, [30, 30]),
        "Desire": by_group(SELLERS, [40, 40, 40], 30, [20, 20]),
        "Closing": by_group(SELLERS, [60, 60, 60], 50, [40, 40]),
        "Presentation": by_group(SELLERS, [66, 66, 66], 63, [60, 60]),
    }
    twelve_sellers(workspace, tmp_path, skills)

    report = compute_gaps(workspace, as_of=AS_OF)

    assert [m.seller for m in report.team.ranked][:3] == ["s01", "s02", "s03"]
    hunting = report.get("Hunting")
    assert hunting.gap.top_size == 3
    assert hunting.gap.bottom_size == 2
    assert hunting.gap.top_mean == pytest.approx(70.0)
    assert hunting.gap.bottom_mean == pytest.approx(15.0)
    assert hunting.percent == pytest.approx((70 - 15) / 15 * 100)
    assert hunting.low_confidence is False
    assert (hunting.tier, hunting.tier_source) == (1, "measured")
    # Exactly 200% is Tier 1 and exactly 100% Tier 2.
    assert report.get("Negotiating").percent == pytest.approx(200.0)
    assert report.get("Negotiating").tier == 1
    assert report.get("Desire").percent == pytest.approx(100.0)
    assert report.get("Desire").tier == 2
    assert report.get("Qualifying").percent == pytest.approx(150.0)
    assert report.get("Qualifying").tier == 2
    closing = report.get("Closing")
    assert closing.percent == pytest.approx(50.0)
    assert (closing.prior_tier, closing.measured_tier, closing.tier) == (2, 3, 3)
    assert closing.to_dict()["overrides_prior"] is True
    assert report.get("Presentation").percent == pytest.approx(10.0)
    assert report.get("Presentation").tier == 3


def test_gap_interval_brackets_resamples(workspace: Workspace, tmp_path: Path) -> None:
    twelve_sellers(
        workspace, tmp_path, {"Hunting": by_group(SELLERS, [80, 70, 60], 50, [20, 10])}
    )
    report = compute_gaps(workspace, as_of=AS_OF)
    hunting = report.get("Hunting")
    assert hunting.interval is not None
    assert hunting.interval.low is not None and hunting.interval.high is not None
    assert hunting.interval.low <= hunting.interval.high
    assert report.settings["bootstrap_resamples"] == 2000
    # Skills without any score have no gap and keep their prior tier.
    social = report.get("Social Selling")
    assert social.gap.status == "undefined"
    assert (social.tier, social.tier_source) == (1, "prior")


def _gap_by_loop(
    performance: list[float], scores: list[float], draw: list[int]
) -> float:
    sample = [(performance[i], scores[i]) for i in draw]
    size = math.ceil(len(sample) / 10)
    descending = sorted((p for p, _ in sample), reverse=True)
    ascending = sorted(p for p, _ in sample)
    top = [s for p, s in sample if p >= descending[size - 1]]
    bottom = [s for p, s in sample if p <= ascending[size - 1]]
    if descending[size - 1] <= ascending[size - 1]:
        return math.nan
    top_mean = sum(top) / len(top)
    bottom_mean = sum(bottom) / len(bottom)
    if bottom_mean == 0:
        return math.inf if top_mean > 0 else math.nan
    return (top_mean - bottom_mean) / bottom_mean * 100


def test_bootstrap_matches_loop() -> None:
    performance = [float(v) for v in BOOKINGS.values()]
    scores = [80.0, 70, 60, 50, 50, 50, 50, 50, 50, 0, 20, 0]
    gaps = bootstrap_gaps(
        np.array(performance), np.array(scores), 0.1, resamples=300, seed=11
    )
    draws = np.random.default_rng(11).integers(0, 12, size=(300, 12))
    expected = [_gap_by_loop(performance, scores, list(row)) for row in draws]
    for got, want in zip(gaps.tolist(), expected, strict=True):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want)
    assert any(math.isinf(v) for v in expected)


def test_percentile_linear_and_infinite() -> None:
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    for q in (5, 25, 50, 90, 95):
        assert percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert percentile(np.array([1.0, 2.0, math.inf]), 95) == math.inf
    assert percentile(np.array([1.0, 2.0, math.inf]), 25) == pytest.approx(1.5)


def test_gaps_three_sellers_low_confidence(
    workspace: Workspace, tmp_path: Path
) -> None:
    add_sellers(workspace, {"a": 300, "b": 200, "c": 100})
    scores = {"a": {"Closing": 90}, "b": {"Closing": 50}, "c": {"Closing": 30}}
    import_rows(workspace, tmp_path, long_rows(scores))

    report = compute_gaps(workspace, as_of=AS_OF)

    closing = report.get("Closing")
    assert closing.gap.top_size == 1
    assert closing.gap.bottom_size == 1
    assert closing.percent == pytest.approx(200.0)
    assert closing.low_confidence is True
    assert closing.measured_tier == 1
    assert (closing.tier, closing.tier_source) == (2, "prior")
    assert closing.to_dict()["overrides_prior"] is False
    assert all(gap.low_confidence for gap in report.gaps)
    assert any("fewer than 10" in note for note in report.notes)


def test_gaps_bottom_zero_unbounded(workspace: Workspace, tmp_path: Path) -> None:
    twelve_sellers(
        workspace, tmp_path, {"Account Management": by_group(SELLERS, [50], 40, [0, 0])}
    )
    report = compute_gaps(workspace, as_of=AS_OF)
    gap = report.get("Account Management")
    assert gap.gap.status == "unbounded"
    assert gap.gap.bottom_mean == 0
    assert gap.to_dict()["gap_percent"] == "unbounded"
    assert (gap.tier, gap.tier_source) == (1, "measured")


def test_gaps_overlapping_groups_undefined(
    workspace: Workspace, tmp_path: Path
) -> None:
    add_sellers(workspace, {"a": 0, "b": 0})
    import_rows(
        workspace, tmp_path, long_rows({"a": {"Hunting": 70}, "b": {"Hunting": 20}})
    )
    gap = compute_gaps(workspace, as_of=AS_OF).get("Hunting")
    assert gap.gap.status == "undefined"
    assert gap.gap.reason == "the top and bottom groups overlap"
    assert gap.to_dict()["gap_percent"] is None
    assert gap.tier_source == "prior"


def test_ranking_ramp_and_inactive(workspace: Workspace, tmp_path: Path) -> None:
    # Ramp is 6 months: hired on 2025-06-30 is ramped on 2025-12-31, a day
    # later is not; no hire date counts as ramped.
    add_sellers(
        workspace,
        {"old": 100, "edge": 200, "new": 900, "none": 50},
        hire_dates={
            "old": dt.date(2020, 1, 1),
            "edge": dt.date(2025, 6, 30),
            "new": dt.date(2025, 7, 1),
        },
    )
    load(workspace, "sellers", [{"id": "gone", "active": False, "is_seller": True}])
    people = ["old", "edge", "new", "none", "gone", "unlisted"]
    import_rows(workspace, tmp_path, long_rows({p: {"Hunting": 50} for p in people}))

    team = compute_gaps(workspace, as_of=AS_OF, with_interval=False).team

    assert [m.seller for m in team.ranked] == ["edge", "old", "none", "unlisted"]
    reasons = {row["seller"]: row["reason"] for row in team.excluded}
    assert reasons == {"new": "ramping: hired 2025-07-01", "gone": "inactive"}


def test_bookings_window_status_currency(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"a": 0, "b": 0})
    load(
        workspace,
        "fx_rates",
        [{"currency": "EUR", "date": dt.date(2024, 1, 1), "rate": 1.5}],
    )
    base = {
        "created_at": dt.datetime(2024, 1, 1),
        "currency": "USD",
        "is_merged": False,
    }
    opportunities = [
        {
            "id": "in",
            "seller_id": "a",
            "status": "won",
            "close_date": dt.date(2025, 1, 1),
            "amount": 100.0,
        },
        {
            "id": "edge",
            "seller_id": "a",
            "status": "won",
            "close_date": AS_OF,
            "amount": 10.0,
        },
        {
            "id": "before",
            "seller_id": "a",
            "status": "won",
            "close_date": dt.date(2024, 12, 31),
            "amount": 1000.0,
        },
        {
            "id": "lost",
            "seller_id": "a",
            "status": "lost",
            "close_date": dt.date(2025, 5, 1),
            "amount": 1000.0,
        },
        {
            "id": "merged",
            "seller_id": "a",
            "status": "won",
            "close_date": dt.date(2025, 5, 1),
            "amount": 1000.0,
            "is_merged": True,
        },
        {
            "id": "eur",
            "seller_id": "b",
            "status": "won",
            "close_date": dt.date(2025, 3, 1),
            "amount": 200.0,
            "currency": "EUR",
        },
    ]
    load(workspace, "opportunities", [{**base, **row} for row in opportunities])
    import_rows(
        workspace, tmp_path, long_rows({"a": {"Hunting": 50}, "b": {"Hunting": 40}})
    )

    team = compute_gaps(workspace, as_of=AS_OF, with_interval=False).team

    bookings = {m.seller: m.bookings for m in team.ranked}
    assert bookings == {"a": pytest.approx(110.0), "b": pytest.approx(300.0)}
    assert team.window.since == dt.date(2025, 1, 1)


def test_attainment_prorates_quotas(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"a": 600, "b": 300}, close_date=dt.date(2025, 6, 30))
    load(
        workspace,
        "quotas",
        [
            {"seller_id": "a", "period": "FY2025", "amount": 3650.0},
            {"seller_id": "b", "period": "2025-Q2", "amount": 1000.0},
        ],
    )
    scores = {"a": {"Hunting": 50}, "b": {"Hunting": 40}}
    import_rows(workspace, tmp_path, long_rows(scores, day="2025-11-01"))
    as_of = dt.date(2025, 11, 15)

    team = compute_gaps(
        workspace, measure="attainment", as_of=as_of, with_interval=False
    ).team

    # The window is 2024-11-16 to 2025-11-15: 319 of FY2025's 365 days, and
    # all of 2025-Q2.
    assert team.excluded == []
    quotas = {m.seller: m.quota for m in team.ranked}
    assert quotas["a"] == pytest.approx(3650 * 319 / 365)
    assert quotas["b"] == pytest.approx(1000.0)
    attainment = {m.seller: m.performance for m in team.ranked}
    assert attainment["a"] == pytest.approx(600 / (3650 * 319 / 365))
    assert attainment["b"] == pytest.approx(0.3)
    assert [m.seller for m in team.ranked] == ["b", "a"]


def test_attainment_without_quota_left_out(
    workspace: Workspace, tmp_path: Path
) -> None:
    add_sellers(workspace, {"a": 600, "b": 300})
    load(workspace, "quotas", [{"seller_id": "a", "period": "FY2025", "amount": 1.0}])
    import_rows(
        workspace, tmp_path, long_rows({"a": {"Hunting": 50}, "b": {"Hunting": 40}})
    )
    team = compute_gaps(
        workspace, measure="attainment", as_of=AS_OF, with_interval=False
    ).team
    assert [m.seller for m in team.ranked] == ["a"]
    assert team.excluded[0]["reason"] == "no quota in the window"


def test_latest_assessment_as_of(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"a": 100})
    rows = long_rows({"a": {"Hunting": 30}}, day="2025-03-01") + long_rows(
        {"a": {"Hunting": 70}}, day="2025-09-01"
    )
    import_rows(workspace, tmp_path, rows)
    early = compute_gaps(workspace, as_of=dt.date(2025, 6, 30), with_interval=False)
    late = compute_gaps(workspace, as_of=AS_OF, with_interval=False)
    assert early.team.scores["a"]["Hunting"] == 30
    assert late.team.scores["a"]["Hunting"] == 70


def test_team_filter_by_manager(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"a": 100, "b": 200, "c": 300})
    load(
        workspace,
        "sellers",
        [
            {"id": "boss", "name": "Pat Boss", "is_seller": False},
            {"id": "a", "name": "Name a", "manager_id": "boss", "is_seller": True},
            {"id": "b", "name": "Name b", "manager_id": "boss", "is_seller": True},
        ],
        source="sellers",
    )
    scores = {p: {"Hunting": 50} for p in ("a", "b", "c")}
    import_rows(workspace, tmp_path, long_rows(scores))
    team = compute_gaps(
        workspace,
        as_of=AS_OF,
        team_filter=TeamFilter(manager="pat boss"),
        with_interval=False,
    ).team
    assert sorted(m.seller for m in team.ranked) == ["a", "b"]


def test_team_filter_by_team(workspace: Workspace, tmp_path: Path) -> None:
    load(
        workspace,
        "sellers",
        [
            {"id": "a", "team": "East", "is_seller": True},
            {"id": "b", "team": "east", "is_seller": True},
            {"id": "c", "team": "West", "is_seller": True},
        ],
    )
    scores = {p: {"Hunting": 50} for p in ("a", "b", "c", "unlisted")}
    import_rows(workspace, tmp_path, long_rows(scores))
    team = compute_gaps(
        workspace, as_of=AS_OF, team_filter=TeamFilter(team="EAST"), with_interval=False
    ).team
    assert sorted(m.seller for m in team.ranked) == ["a", "b"]
