"""Top and bottom groups, performance gaps, bootstrap intervals and percentiles.

These work on small per-seller arrays (one value per ranked seller), after
the per-seller aggregation ran in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

GapStatus = Literal["measured", "unbounded", "undefined"]

# Guards ceil() against binary fractions: 0.1 * 30 is 3.0000000000000004.
_CEIL_TOLERANCE = 1e-9


def group_size(sellers: int, share: float) -> int:
    """Return ``ceil(share * sellers)``, at least 1: the size of each group."""
    return max(1, math.ceil(share * sellers - _CEIL_TOLERANCE))


@dataclass(frozen=True)
class Groups:
    """Top and bottom groups of ranked sellers, as boolean masks."""

    top: npt.NDArray[np.bool_]
    bottom: npt.NDArray[np.bool_]

    @property
    def overlap(self) -> bool:
        return bool(np.any(self.top & self.bottom))


def form_groups(performance: FloatArray, share: float) -> Groups:
    """Form the top and bottom groups; sellers tied with a last member join it."""
    size = group_size(len(performance), share)
    ordered = np.sort(performance)
    top_cut = ordered[len(ordered) - size]
    bottom_cut = ordered[size - 1]
    return Groups(top=performance >= top_cut, bottom=performance <= bottom_cut)


@dataclass(frozen=True)
class Gap:
    """The performance gap of one skill: group means and the gap in percent."""

    status: GapStatus
    percent: float | None
    top_mean: float | None
    bottom_mean: float | None
    top_size: int
    bottom_size: int
    reason: str | None = None


def compute_gap(performance: FloatArray, scores: FloatArray, share: float) -> Gap:
    """Compute ``(top - bottom) / bottom * 100`` of mean scores.

    The gap is undefined when the groups overlap (a tiny or tied team) or
    when both groups score 0, and unbounded when only the bottom mean is 0.
    """
    if len(performance) == 0:
        return Gap("undefined", None, None, None, 0, 0, "no ranked seller has a score")
    groups = form_groups(performance, share)
    top_size = int(groups.top.sum())
    bottom_size = int(groups.bottom.sum())
    if groups.overlap:
        return Gap(
            "undefined",
            None,
            None,
            None,
            top_size,
            bottom_size,
            "the top and bottom groups overlap",
        )
    top_mean = float(scores[groups.top].mean())
    bottom_mean = float(scores[groups.bottom].mean())
    if bottom_mean == 0:
        if top_mean == 0:
            return Gap(
                "undefined",
                None,
                top_mean,
                bottom_mean,
                top_size,
                bottom_size,
                "both groups score 0",
            )
        return Gap("unbounded", None, top_mean, bottom_mean, top_size, bottom_size)
    percent = (top_mean - bottom_mean) / bottom_mean * 100
    return Gap("measured", percent, top_mean, bottom_mean, top_size, bottom_size)


def bootstrap_gaps(
    performance: FloatArray,
    scores: FloatArray,
    share: float,
    *,
    resamples: int,
    seed: int,
) -> FloatArray:
    """Return the gap of each bootstrap resample of the sellers.

    Each resample draws the sellers with replacement, re-ranks them and forms
    both groups again. An unbounded gap is ``inf`` and an undefined one
    (overlapping groups, both means 0) is ``nan``.
    """
    count = len(performance)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, count, size=(resamples, count))
    sampled_performance = performance[draws]
    sampled_scores = scores[draws]
    size = group_size(count, share)
    ordered = np.sort(sampled_performance, axis=1)
    top_cut = ordered[:, count - size][:, None]
    bottom_cut = ordered[:, size - 1][:, None]
    top = sampled_performance >= top_cut
    bottom = sampled_performance <= bottom_cut
    top_mean = (sampled_scores * top).sum(axis=1) / top.sum(axis=1)
    bottom_mean = (sampled_scores * bottom).sum(axis=1) / bottom.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = (top_mean - bottom_mean) / bottom_mean * 100
    gaps = np.where(bottom_mean == 0, np.where(top_mean > 0, np.inf, np.nan), gaps)
    overlap = top_cut[:, 0] <= bottom_cut[:, 0]
    return np.where(overlap, np.nan, gaps)


def percentile(values: FloatArray, q: float) -> float:
    """Return the q-th percentile with linear interpolation between order statistics.

    Unlike ``numpy.percentile``, an interpolation that touches ``inf`` returns
    ``inf`` rather than ``nan``.
    """
    ordered = np.sort(values)
    position = q / 100 * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if math.isinf(ordered[high]) or low == high:
        return float(ordered[high] if math.isinf(ordered[high]) else ordered[low])
    fraction = position - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


@dataclass(frozen=True)
class Interval:
    """A bootstrap percentile interval; a bound of ``inf`` is unbounded."""

    low: float | None
    high: float | None
    defined_share: float


def gap_interval(gaps: FloatArray, level: float = 90.0) -> Interval:
    """Return the percentile interval over the resamples with a defined gap.

    When fewer than half of the resamples have a defined gap the interval
    itself is undefined (both bounds None).
    """
    defined = gaps[~np.isnan(gaps)]
    share = len(defined) / len(gaps) if len(gaps) else 0.0
    if share < 0.5:
        return Interval(None, None, share)
    tail = (100 - level) / 2
    return Interval(percentile(defined, tail), percentile(defined, 100 - tail), share)


def quartiles(scores: FloatArray) -> tuple[float, float, float] | None:
    """Return the 25th, 50th and 75th percentiles (linear interpolation)."""
    if len(scores) == 0:
        return None
    p25, p50, p75 = np.percentile(scores, [25, 50, 75])
    return float(p25), float(p50), float(p75)
