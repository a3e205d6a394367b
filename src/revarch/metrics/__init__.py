"""Outcome metrics: win rates, bookings, cycle days, velocity and coverage."""

from revarch.metrics.coverage import CoverageResult, compute_coverage
from revarch.metrics.outcomes import MEASURES, MetricsResult, compute_metrics

__all__ = [
    "MEASURES",
    "CoverageResult",
    "MetricsResult",
    "compute_coverage",
    "compute_metrics",
]
