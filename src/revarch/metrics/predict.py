"""Out-of-sample test of input metrics as predictors of next-period bookings.

The rows are sellers and complete periods (fiscal quarters by default) in
which the seller logged an activity, ended a stage visit or booked. Each row
has the inputs of that period (calls, emails, social touches, meetings,
stage advance rate, and the mean latest assessment score where assessments
exist). Its target is the seller's bookings in the next period.

Time-ordered splits: for each period ``t`` after the first, a least-squares
model with an intercept is fitted on the rows of the periods before ``t``
and tested on the rows of ``t``. A missing input (no stage visit ended, no
assessment yet) takes the training rows' mean. Predictions below 0 are
raised to 0, since bookings cannot be negative. The naive baseline predicts
next period's bookings as this period's. Errors: MAE over every tested row,
and MAPE over the rows whose actual is above 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from revarch.timeframe import Period, Window, period_of, resolve_as_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

MIN_SELLER_PERIODS = 6
ACTIVITY_FEATURES = ("calls", "emails", "social", "meetings")
KIND_OF = {
    "call": "calls",
    "email": "emails",
    "social": "social",
    "meeting": "meetings",
}
PeriodName = Literal["quarter", "month"]


@dataclass
class PredictionResult:
    """Out-of-sample errors of the input model beside the naive baseline."""

    period: str
    features: list[str]
    rows: list[dict[str, Any]]
    folds: list[dict[str, Any]]
    summary: dict[str, Any]
    too_thin: bool
    verdict: str
    window: Window
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "features": self.features,
            "summary": self.summary,
            "too_thin": self.too_thin,
            "verdict": self.verdict,
            "folds": self.folds,
            "rows": self.rows,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }


def _complete_periods(
    first: dt.date, as_of: dt.date, kind: PeriodName, start_month: int
) -> list[Period]:
    """Return every period from the one holding ``first`` that ended by as-of."""
    periods: list[Period] = []
    day = first
    while True:
        period = period_of(day, kind, start_month)
        if period.end > as_of:
            return periods
        periods.append(period)
        day = period.end + dt.timedelta(days=1)


def _competency(
    workspace: Workspace, periods: list[Period]
) -> dict[tuple[str, str], float]:
    """Return each seller's mean latest score per skill at each period's end."""
    from revarch.talent import Catalog
    from revarch.talent.assessments import assessment_rows

    if not periods:
        return {}
    catalog = Catalog.from_settings(workspace.settings)
    table, _notes = assessment_rows(
        workspace, catalog, kind="seller", as_of=periods[-1].end
    )
    rows = workspace.store.rows(
        table.select("person_id", "skill", "assessed_on", "score")
    )
    result: dict[tuple[str, str], float] = {}
    for period in periods:
        latest: dict[tuple[str, str], tuple[dt.date, list[float]]] = {}
        for row in rows:
            if row["assessed_on"] > period.end:
                continue
            key = (row["person_id"], row["skill"])
            day, scores = latest.get(key, (dt.date.min, []))
            if row["assessed_on"] > day:
                latest[key] = (row["assessed_on"], [float(row["score"])])
            elif row["assessed_on"] == day:
                scores.append(float(row["score"]))
        per_person: dict[str, list[float]] = {}
        for (person, _skill), (_day, scores) in latest.items():
            per_person.setdefault(person, []).append(statistics.fmean(scores))
        for person, means in per_person.items():
            result[(person, period.id)] = statistics.fmean(means)
    return result


def _has_assessments(workspace: Workspace) -> bool:
    table = workspace.store.table("assessments")
    found = table.filter(~table.is_deleted, table.kind == "seller")
    return bool(workspace.store.rows(found.select("person_id"), limit=1))


def seller_periods(
    workspace: Workspace, as_of: dt.date, kind: PeriodName
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the seller-period rows (inputs, bookings, next bookings) and features."""
    from revarch.leadership.inputs import activity_inputs, stage_inputs
    from revarch.leadership.outcomes import seller_period_bookings

    start_month = workspace.settings.company.fiscal_year_start_month
    activity = activity_inputs(workspace, until=as_of, period=kind)
    stages = stage_inputs(workspace, since=None, until=as_of, period=kind)
    bookings = seller_period_bookings(workspace, kind, as_of)
    keys = set(activity) | set(stages) | set(bookings)
    features = [*ACTIVITY_FEATURES, "conversion"]
    if not keys:
        return [], features
    first = _first_event(workspace)
    starts = [_period_start(p, start_month) for _, p in keys]
    periods = _complete_periods(min(starts), as_of, kind, start_month)
    # A period that began before the data did is only partly recorded.
    periods = [p for p in periods if first is None or p.start >= first]
    competency: dict[tuple[str, str], float] = {}
    if _has_assessments(workspace):
        features.append("competency")
        competency = _competency(workspace, periods)
    rows = []
    for this, after in zip(periods, periods[1:], strict=False):
        for seller in sorted({s for s, p in keys if p == this.id}):
            counts = activity.get((seller, this.id), {})
            row: dict[str, Any] = {"seller": seller, "period": this.id}
            for kind_name, feature in KIND_OF.items():
                row[feature] = counts.get(kind_name, 0)
            row["conversion"] = stages.get((seller, this.id), {}).get("conversion")
            if "competency" in features:
                row["competency"] = competency.get((seller, this.id))
            row["bookings"] = bookings.get((seller, this.id), 0.0)
            row["next_bookings"] = bookings.get((seller, after.id), 0.0)
            rows.append(row)
    return rows, features


def _first_event(workspace: Workspace) -> dt.date | None:
    """Return the first day with an activity or a created opportunity."""
    from revarch.metrics.opportunities import read_summary
    from revarch.timeframe import local_date

    zone = workspace.settings.company.timezone
    activities = workspace.store.table("activities")
    activities = activities.filter(~activities.is_deleted)
    summary = read_summary(workspace)
    days = [
        workspace.store.rows(
            activities.aggregate(day=local_date(activities.occurred_at, zone).min())
        )[0]["day"],
        workspace.store.rows(
            summary.aggregate(day=local_date(summary.created_at, zone).min())
        )[0]["day"],
    ]
    known = [day for day in days if day is not None]
    return min(known) if known else None


def _period_start(period_id: str, start_month: int) -> dt.date:
    from revarch.timeframe import parse_period

    return parse_period(period_id, start_month).start


def _matrix(
    rows: list[dict[str, Any]], features: list[str], means: dict[str, float]
) -> np.ndarray:
    data = [
        [1.0, *(float(r[f]) if r[f] is not None else means[f] for f in features)]
        for r in rows
    ]
    return np.array(data, dtype=np.float64)


def _means(rows: list[dict[str, Any]], features: list[str]) -> dict[str, float]:
    means = {}
    for feature in features:
        known = [float(r[feature]) for r in rows if r[feature] is not None]
        means[feature] = statistics.fmean(known) if known else 0.0
    return means


def fit_predict(
    train: list[dict[str, Any]], test: list[dict[str, Any]], features: list[str]
) -> list[float]:
    """Fit least squares with an intercept on ``train``; predict ``test`` (>= 0)."""
    means = _means(train, features)
    x_train = _matrix(train, features, means)
    y_train = np.array([r["next_bookings"] for r in train], dtype=np.float64)
    coefficients, *_ = np.linalg.lstsq(x_train, y_train, rcond=None)
    predicted = _matrix(test, features, means) @ coefficients
    return [max(0.0, float(value)) for value in predicted]


def _errors(actual: list[float], predicted: list[float]) -> dict[str, Any]:
    absolute = [abs(a - p) for a, p in zip(actual, predicted, strict=True)]
    relative = [abs(a - p) / a for a, p in zip(actual, predicted, strict=True) if a > 0]
    return {
        "mae": round(statistics.fmean(absolute), 2) if absolute else None,
        "mape": round(statistics.fmean(relative), 6) if relative else None,
        "mape_rows": len(relative),
    }


def _folds(
    rows: list[dict[str, Any]], features: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[float, float, float]]]:
    """Run every time-ordered split.

    Returns the fold summaries and the (actual, model, naive) triples tested.
    """
    periods = sorted({r["period"] for r in rows})
    folds = []
    tested: list[tuple[float, float, float]] = []
    for test_period in periods[1:]:
        train = [r for r in rows if r["period"] < test_period]
        test = [r for r in rows if r["period"] == test_period]
        if len(train) < len(features) + 2:
            continue
        predicted = fit_predict(train, test, features)
        actual = [float(r["next_bookings"]) for r in test]
        naive = [float(r["bookings"]) for r in test]
        tested += list(zip(actual, predicted, naive, strict=True))
        model_errors = _errors(actual, predicted)
        naive_errors = _errors(actual, naive)
        folds.append(
            {
                "test_period": test_period,
                "train_rows": len(train),
                "test_rows": len(test),
                "mae_model": model_errors["mae"],
                "mae_baseline": naive_errors["mae"],
                "mape_model": model_errors["mape"],
                "mape_baseline": naive_errors["mape"],
            }
        )
    return folds, tested


def _summary(rows: int, tested: list[tuple[float, float, float]]) -> dict[str, Any]:
    actual = [a for a, _, _ in tested]
    model = _errors(actual, [m for _, m, _ in tested])
    naive = _errors(actual, [n for _, _, n in tested])
    improvement = None
    if model["mae"] is not None and naive["mae"]:
        improvement = round(1 - model["mae"] / naive["mae"], 6)
    closer = sum(1 for a, m, n in tested if abs(a - m) < abs(a - n))
    return {
        "seller_periods": rows,
        "tested": len(tested),
        "mae_model": model["mae"],
        "mae_baseline": naive["mae"],
        "mape_model": model["mape"],
        "mape_baseline": naive["mape"],
        "mape_rows": model["mape_rows"],
        "mae_improvement": improvement,
        "model_closer_share": round(closer / len(tested), 6) if tested else None,
    }


def _verdict(summary: dict[str, Any], kind: str, features: list[str]) -> str:
    gain = summary["mae_improvement"]
    direction = "better" if gain is not None and gain > 0 else "worse"
    size = f"{abs(gain):.0%} {direction}" if gain is not None else "not comparable"
    mape = summary["mape_model"]
    mape_text = (
        f"; MAPE {mape:.0%} against {summary['mape_baseline']:.0%}"
        if mape is not None and summary["mape_baseline"] is not None
        else ""
    )
    return (
        f"On {summary['tested']} held-out seller-{kind}s, the inputs "
        f"({', '.join(features)}) predicted next-{kind} bookings with a mean "
        f"absolute error of {summary['mae_model']:,.0f} against "
        f"{summary['mae_baseline']:,.0f} for last {kind}'s bookings: {size} than "
        f"the naive baseline{mape_text}."
    )


def compute_prediction(
    workspace: Workspace,
    *,
    as_of: str | dt.date | None = None,
    period: PeriodName = "quarter",
) -> PredictionResult:
    """Measure out of sample how well the inputs predict next-period bookings."""
    day = resolve_as_of(workspace, as_of)
    window = Window("snapshot", None, None, day)
    rows, features = seller_periods(workspace, day, period)
    folds, tested = (
        _folds(rows, features) if len(rows) >= MIN_SELLER_PERIODS else ([], [])
    )
    summary = _summary(len(rows), tested)
    notes = [
        "predictions below 0 are raised to 0; missing inputs take the training "
        "mean; MAPE leaves out rows whose actual is 0; a period that began "
        "before the first recorded activity or opportunity is left out"
    ]
    if len(rows) < MIN_SELLER_PERIODS or not tested:
        verdict = (
            f"The data is too thin: {len(rows)} seller-{period}s with a following "
            f"complete {period} (at least {MIN_SELLER_PERIODS} are needed, and "
            "enough earlier rows to train on), so no honest out-of-sample error "
            "can be reported."
        )
        return PredictionResult(
            period, features, rows, folds, summary, True, verdict, window, notes
        )
    log.info("tested the input model on %d seller-%ss", len(tested), period)
    verdict = _verdict(summary, period, features)
    return PredictionResult(
        period, features, rows, folds, summary, False, verdict, window, notes
    )
