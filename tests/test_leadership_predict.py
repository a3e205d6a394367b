"""Out-of-sample prediction of next-quarter bookings from input metrics.

Four sellers log ``calls(s, q)`` calls in quarter q (2024-Q1 to 2025-Q1) and
book exactly 1,000 x calls(s, q) in quarter q + 1. As of 2025-04-15 the
complete quarters give 4 x 4 = 16 seller-quarters with a following quarter.
Training needs at least 7 rows (5 inputs plus the intercept, plus one), so
the splits test 2024-Q3 (8 training rows) and 2024-Q4 (12): 8 tested rows.
The model recovers bookings = 1,000 x calls exactly; the naive baseline
(this quarter's bookings, 1,000 x calls(s, q - 1)) misses by the change.
"""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from revarch.metrics.predict import compute_prediction
from revarch.workspace import Workspace
from tests.test_leadership_support import T, activity, load, opportunity, write_settings

QUARTER_STARTS = [dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2024, 7, 1),
                  dt.date(2024, 10, 1), dt.date(2025, 1, 1)]  # fmt: skip
SELLERS = ["s0", "s1", "s2", "s3"]


def calls(seller: int, quarter: int) -> int:
    return 2 + seller + 3 * quarter + (seller * quarter) % 4


def _fill(workspace: Workspace) -> None:
    write_settings(workspace, as_of="2025-04-15")
    load(
        workspace, "sellers", [{"id": s, "name": s, "is_seller": True} for s in SELLERS]
    )
    activities = []
    won = []
    for s, seller in enumerate(SELLERS):
        for q, start in enumerate(QUARTER_STARTS):
            day = dt.datetime.combine(start, dt.time(9))
            activities += [
                activity(
                    f"{seller}-{q}-{n}", seller, "call", day + dt.timedelta(minutes=n)
                )
                for n in range(calls(s, q))
            ]
            if q + 1 < len(QUARTER_STARTS):
                close = QUARTER_STARTS[q + 1] + dt.timedelta(days=40)
                won.append(
                    opportunity(
                        f"o-{seller}-{q}",
                        seller,
                        status="won",
                        stage_label="Won",
                        created_at=T(2024, 1, 1),
                        close_date=close,
                        amount=1_000.0 * calls(s, q),
                    )
                )
    load(workspace, "activities", activities)
    load(workspace, "opportunities", won)


def test_predict_beats_naive_baseline(workspace: Workspace) -> None:
    _fill(workspace)
    result = compute_prediction(workspace)
    expected_baseline = statistics.fmean(
        1_000 * abs(calls(s, q) - calls(s, q - 1)) for s in range(4) for q in (2, 3)
    )
    assert not result.too_thin
    assert result.summary["seller_periods"] == 16
    assert result.summary["tested"] == 8
    assert [f["test_period"] for f in result.folds] == ["2024-Q3", "2024-Q4"]
    assert result.summary["mae_model"] == pytest.approx(0.0, abs=0.01)
    assert result.summary["mae_baseline"] == pytest.approx(expected_baseline)
    assert result.summary["mae_improvement"] == pytest.approx(1.0)
    assert "better than the naive baseline" in result.verdict


def test_predict_too_thin(workspace: Workspace) -> None:
    # One seller active in 2024-Q1 and 2024-Q2, each followed by a complete
    # quarter: two seller-quarters.
    write_settings(workspace, as_of="2024-10-15")
    load(workspace, "sellers", [{"id": "s0", "name": "s0", "is_seller": True}])
    load(
        workspace,
        "activities",
        [
            activity("a1", "s0", "call", T(2024, 1, 1)),
            activity("a2", "s0", "call", T(2024, 4, 5)),
        ],
    )
    result = compute_prediction(workspace)
    assert result.too_thin
    assert result.summary["tested"] == 0
    assert result.verdict.startswith("The data is too thin: 2 seller-quarters")
