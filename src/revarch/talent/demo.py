"""Quarterly skill assessments for the demo company.

Scores follow each seller's performance rank: system skills differ a lot
between the best and the worst sellers (gaps of several hundred percent),
relationship skills little, the rest in between. Sellers improve a little
each quarter, leaders overestimate their sellers by 40-60%, and a few
candidates span a clear pass, a borderline pass and two fails.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from revarch.framework import DEFAULT_SKILLS, SkillSpec
from revarch.talent.team import add_months

FILE_NAME = "assessments.csv"
COLUMNS = ("person_id", "person_name", "kind", "skill", "assessed_on", "score", "rater")
QUARTERS = 4
RATERS = ("Dana Whitfield", "Luis Ortega")
# Last assessment date when the caller gives none.
DEFAULT_LAST_ASSESSMENT = dt.date(2025, 12, 15)

# Score of the worst seller and the extra score of the best, per skill group.
_BASE = {"system": (9.0, 15.0), "relationship": (55.0, 62.0), "other": (26.0, 34.0)}
_SPAN = {"system": (55.0, 68.0), "relationship": (8.0, 14.0), "other": (34.0, 44.0)}
_GROWTH = {"system": 1.5, "relationship": 0.3, "other": 0.8}
_NOISE = 3.0


def _ranks(performance: list[float]) -> np.ndarray:
    """Return each seller's rank as a fraction: 0 for the lowest, 1 the highest."""
    order = np.argsort(np.argsort(np.array(performance), kind="stable"), kind="stable")
    return order / max(1, len(performance) - 1)


def _seller_scores(
    rng: np.random.Generator, ranks: np.ndarray, skill: SkillSpec, quarters: int
) -> np.ndarray:
    """Return scores of shape (quarters, sellers) for one skill."""
    base = rng.uniform(*_BASE[skill.group])
    span = rng.uniform(*_SPAN[skill.group])
    growth = np.arange(quarters)[:, None] * _GROWTH[skill.group]
    noise = rng.normal(0, _NOISE, size=(quarters, len(ranks)))
    scores = base + span * ranks[None, :] + growth + noise
    return np.clip(np.rint(scores), 1, 100)


def _dates(last: dt.date, quarters: int) -> list[dt.date]:
    return [add_months(last, -3 * (quarters - 1 - q)) for q in range(quarters)]


def _candidate_rows(
    rng: np.random.Generator,
    latest: dict[str, np.ndarray],
    day: dt.date,
) -> list[tuple[object, ...]]:
    """Return rows for four candidates: strong, borderline, relationship-only, weak."""
    system = [s.name for s in DEFAULT_SKILLS if s.group == "system"]
    rows: list[tuple[object, ...]] = []
    profiles = {
        "cand-01": ("Avery Collins", 6),
        "cand-02": ("Jordan Blake", 3),
        "cand-03": ("Morgan Reyes", 0),
        "cand-04": ("Riley Chen", 1),
    }
    for person, (name, meets) in profiles.items():
        for skill in DEFAULT_SKILLS:
            top = float(np.percentile(latest[skill.name], 75))
            low = float(np.percentile(latest[skill.name], 25))
            if skill.name in system:
                hit = system.index(skill.name) < meets
                score = np.ceil(top) + rng.integers(3, 9) if hit else low - 2
            elif skill.group == "relationship":
                score = top + 8 if person == "cand-03" else top - 5
            else:
                score = (top + low) / 2 + rng.normal(0, 4)
            rows.append((person, name, "candidate", skill.name, day, _clip(score), ""))
    return rows


def _clip(score: float) -> int:
    return int(min(100, max(1, round(float(score)))))


def _leader_rows(
    rng: np.random.Generator,
    sellers: list[str],
    latest: dict[str, np.ndarray],
    day: dt.date,
) -> list[tuple[object, ...]]:
    """Return leader ratings of system skills, 40-60% above the measured score."""
    rows: list[tuple[object, ...]] = []
    for index, seller in enumerate(sellers):
        rater = RATERS[index % len(RATERS)]
        for skill in DEFAULT_SKILLS:
            if skill.group != "system":
                continue
            measured = float(latest[skill.name][index])
            rating = measured * rng.uniform(1.4, 1.6)
            rows.append(
                (seller, "", "leader_rating", skill.name, day, _clip(rating), rater)
            )
    return rows


def write_demo_assessments(
    export_folder: Path,
    seller_ids_and_performance: Mapping[str, float] | Iterable[tuple[str, float]],
    seed: int,
    *,
    last_assessment: dt.date = DEFAULT_LAST_ASSESSMENT,
    quarters: int = QUARTERS,
) -> Path:
    """Write ``assessments.csv`` (long layout) into ``export_folder``; return its path.

    ``seller_ids_and_performance`` gives each seller's performance (bookings,
    for example); scores rise with it. Sellers are assessed every quarter up
    to ``last_assessment``; candidates and leader ratings are dated then.
    """
    pairs = (
        list(seller_ids_and_performance.items())
        if isinstance(seller_ids_and_performance, Mapping)
        else list(seller_ids_and_performance)
    )
    rng = np.random.default_rng(seed)
    sellers = [seller for seller, _ in pairs]
    ranks = _ranks([float(performance) for _, performance in pairs])
    dates = _dates(last_assessment, quarters)
    rows: list[tuple[object, ...]] = []
    latest: dict[str, np.ndarray] = {}
    for skill in DEFAULT_SKILLS:
        scores = _seller_scores(rng, ranks, skill, quarters)
        latest[skill.name] = scores[-1]
        for quarter, day in enumerate(dates):
            for index, seller in enumerate(sellers):
                score = int(scores[quarter, index])
                rows.append((seller, "", "seller", skill.name, day, score, ""))
    rows += _leader_rows(rng, sellers, latest, dates[-1])
    rows += _candidate_rows(rng, latest, dates[-1])
    export_folder.mkdir(parents=True, exist_ok=True)
    path = export_folder / FILE_NAME
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                [v.isoformat() if isinstance(v, dt.date) else v for v in row]
            )
    return path
