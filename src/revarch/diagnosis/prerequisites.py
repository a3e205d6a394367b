"""Prerequisites: what must be true before the framework applies, checked from data.

- Trailing-12-month bookings of at least ``thresholds.prerequisite_min_bookings``
  (base currency; default 1,000,000).
- At least ``thresholds.prerequisite_min_sellers`` sellers (default 2) active
  in the trailing 12 months.
- At least ``thresholds.prerequisite_min_history_months`` months (default 12)
  between the first business event and the as-of date.
- Activity, conversion and revenue per seller tracked monthly: data in every
  one of the 12 calendar months up to and including the as-of month.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from revarch.diagnosis import evidence
from revarch.diagnosis.evidence import Span
from revarch.timeframe import resolve_as_of
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

TRACKED_MONTHS = 12

_TRACKED = {
    "activity": (
        "activity tracked monthly",
        "activities logged",
        "start logging calls, emails, social touches and meetings in the CRM; "
        "without activity data the input metrics cannot be measured",
    ),
    "conversion": (
        "conversion tracked monthly",
        "stage changes recorded",
        "record every stage change (stage history) so that stage-to-stage "
        "conversion can be measured; map the CRM stages in the process "
        "definition",
    ),
    "revenue_per_seller": (
        "revenue per seller tracked monthly",
        "opportunities won with an owner and an amount",
        "give every won opportunity an owner and an amount, so that revenue "
        "per seller can be tracked each month",
    ),
}


@dataclass
class Check:
    """One prerequisite: pass or fail, the value behind it and what a fail means."""

    id: str
    title: str
    passed: bool
    value: Any
    required: Any
    evidence: str
    meaning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "passed": self.passed,
            "value": self.value,
            "required": self.required,
            "evidence": self.evidence,
            "meaning": None if self.passed else self.meaning,
        }


@dataclass
class Prerequisites:
    """Every prerequisite check as of a date."""

    as_of: dt.date
    span: Span
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "window": evidence.trailing_window(self.as_of),
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
        }


def months_between(first: dt.date, last: dt.date) -> int:
    """Return the whole months from ``first`` to ``last``."""
    months = (last.year - first.year) * 12 + last.month - first.month
    if last.day < first.day:
        months -= 1
    return max(months, 0)


def _bookings_check(workspace: Workspace, outcomes: evidence.Outcomes) -> Check:
    minimum = workspace.settings.thresholds.prerequisite_min_bookings
    currency = workspace.settings.company.currency
    span = outcomes.span
    return Check(
        id="bookings",
        title="trailing-12-month bookings",
        passed=outcomes.bookings >= minimum,
        value=round(outcomes.bookings, 2),
        required=minimum,
        evidence=(
            f"{outcomes.bookings:,.0f} {currency} won from {span.since.isoformat()} "
            f"to {span.until.isoformat()} ({outcomes.won} opportunities); the "
            f"line is {minimum:,.0f} {currency}"
        ),
        meaning=(
            "below the bookings line, founder-led selling is still optimal: keep "
            "selling yourself and set up the data (CRM, stage history, activity) "
            "so the framework can start when you cross it"
        ),
    )


def _sellers_check(workspace: Workspace, span: Span) -> Check:
    minimum = workspace.settings.thresholds.prerequisite_min_sellers
    sellers = evidence.list_active_sellers(workspace, span)
    return Check(
        id="sellers",
        title="sellers",
        passed=len(sellers) >= minimum,
        value=len(sellers),
        required=minimum,
        evidence=(
            f"{len(sellers)} sellers own opportunities or activities in the "
            f"trailing 12 months ({span.since.isoformat()} to "
            f"{span.until.isoformat()})"
        ),
        meaning=(
            "the framework builds systems for a team; with fewer sellers, "
            "coach the seller you have and hire the second one first"
        ),
    )


def _history_check(workspace: Workspace, as_of: dt.date) -> Check:
    minimum = workspace.settings.thresholds.prerequisite_min_history_months
    first = evidence.find_first_event(workspace)
    months = months_between(first, as_of) if first else 0
    since = f"since {first.isoformat()}" if first else "no business events"
    return Check(
        id="history",
        title="months of sales data",
        passed=months >= minimum,
        value=months,
        required=minimum,
        evidence=f"{months} months of data ({since}, as of {as_of.isoformat()})",
        meaning=(
            "with less history, conversion rates and skill gaps rest on too few "
            "outcomes; keep importing and run the diagnosis again later"
        ),
    )


def _tracking_checks(workspace: Workspace, as_of: dt.date) -> list[Check]:
    months = evidence.list_months(as_of, TRACKED_MONTHS)
    span = Span(dt.date.fromisoformat(months[0] + "-01"), as_of)
    found = evidence.find_tracked_months(workspace, span)
    checks = []
    for key, (title, what, meaning) in _TRACKED.items():
        missing = [month for month in months if month not in found[key]]
        covered = len(months) - len(missing)
        gaps = f"; none in {', '.join(missing)}" if missing else ""
        checks.append(
            Check(
                id=f"tracked_{key}",
                title=title,
                passed=not missing,
                value=covered,
                required=len(months),
                evidence=f"{what} in {covered} of the {len(months)} months "
                f"{months[0]} to {months[-1]}{gaps}",
                meaning=meaning,
            )
        )
    return checks


def check_prerequisites(
    workspace: Workspace, *, as_of: str | dt.date | None = None
) -> Prerequisites:
    """Check every prerequisite from the data, as of the as-of date."""
    day = resolve_as_of(workspace, as_of)
    span = evidence.trailing_span(day)
    outcomes = evidence.compute_outcomes(workspace, span)
    result = Prerequisites(as_of=day, span=span)
    result.checks = [
        _bookings_check(workspace, outcomes),
        _sellers_check(workspace, span),
        _history_check(workspace, day),
        *_tracking_checks(workspace, day),
    ]
    log.info(
        "prerequisites as of %s: %s of %s pass",
        day,
        sum(check.passed for check in result.checks),
        len(result.checks),
    )
    return result
