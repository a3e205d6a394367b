"""Leadership records for the demo company: forecasts, a comp plan, inspection answers.

Called after the demo's CRM export is imported. The same seed and data give
the same records:

- weekly commit forecasts per manager and fiscal quarter: the first
  manager lands within 5% of the team's bookings, the second over-forecasts
  by about 8%, the third under-forecasts by about 25% (and submits one
  quarter only after it closed), the fourth over-forecasts by about 30% and
  skips one quarter;
- a ``comp:`` section in revarch.yaml with the framework's default weights
  and targets taken from the demo's own bookings and margins;
- answers to the inspection questions for most open opportunities above the
  inspection line.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from revarch.errors import RevarchError
from revarch.leadership.outcomes import seller_period_bookings
from revarch.leadership.people import People
from revarch.timeframe import Period, parse_period, period_of, resolve_as_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

# Final forecast error per manager, in order: within tolerance, slightly
# over, well under, well over; each quarter adds noise of 1.5 points.
MANAGER_BIAS = (0.03, 0.08, -0.25, 0.30)
SUBMISSION_HOUR = 16
TARGET_INCENTIVE = 20_000
ANSWER_SHARE = 0.7
ANSWER_CHOICES = ("yes", "no", "unknown")
ANSWER_WEIGHTS = (0.6, 0.25, 0.15)


@dataclass
class LeadershipDemo:
    """Counts of the records ``write_demo_leadership`` added."""

    forecasts: int
    answers: int
    comp_plan: bool

    def lines(self) -> list[str]:
        """Return one line per record kind, for the demo's summary."""
        plan = "written to revarch.yaml" if self.comp_plan else "not written"
        return [
            f"Forecasts: {self.forecasts} weekly snapshots",
            f"Inspection answers: {self.answers}",
            f"Comp plan: {plan}",
        ]


def _quarters(first: dt.date, as_of: dt.date, start_month: int) -> list[Period]:
    quarters = []
    day = first
    while day <= as_of:
        quarter = period_of(day, "quarter", start_month)
        quarters.append(quarter)
        day = quarter.end + dt.timedelta(days=1)
    return quarters


def _mondays(period: Period, as_of: dt.date) -> list[dt.date]:
    day = period.start + dt.timedelta(days=(7 - period.start.weekday()) % 7)
    days = []
    while day <= min(period.end, as_of):
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(SUBMISSION_HOUR))


def _manager_forecasts(
    manager: str,
    number: int,
    quarters: list[tuple[Period, float]],
    as_of: dt.date,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Return one manager's weekly snapshots, converging on their final call."""
    bias = MANAGER_BIAS[number % len(MANAGER_BIAS)]
    rows = []
    for index, (quarter, actual) in enumerate(quarters):
        if number % len(MANAGER_BIAS) == 3 and index == 1:
            continue
        mondays = _mondays(quarter, as_of)
        if number % len(MANAGER_BIAS) == 2 and index == 1 and quarter.end < as_of:
            late = quarter.end + dt.timedelta(days=3)
            mondays = [late] if late <= as_of else []
        if actual <= 0:
            continue
        final = actual * (1 + bias + 0.015 * rng.standard_normal())
        for week, day in enumerate(mondays):
            drift = (len(mondays) - 1 - week) * 0.03 * rng.standard_normal()
            amount = max(0.0, round(final * (1 + drift), -2))
            rows.append(
                {
                    "manager_id": manager,
                    "period": quarter.id,
                    "category": "commit",
                    "amount": amount,
                    "currency": "USD",
                    "submitted_at": _at(day),
                    "source": "demo",
                }
            )
    return rows


def write_demo_forecasts(
    workspace: Workspace, seed: int, as_of: dt.date
) -> list[dict[str, Any]]:
    """Write weekly commit forecasts for every manager; return the rows."""
    people = People.read(workspace)
    start_month = workspace.settings.company.fiscal_year_start_month
    bookings = seller_period_bookings(workspace, "quarter", as_of)
    if not bookings:
        return []
    first = min(parse_period(p, start_month).start for _, p in bookings)
    quarters = _quarters(first, as_of, start_month)
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for number, manager in enumerate(people.managers()):
        team = people.team_of(manager)
        totals: list[tuple[Period, float]] = []
        for quarter in quarters:
            actual = sum(bookings.get((s, quarter.id), 0.0) for s in team)
            if quarter.end > as_of and totals:
                # The quarter in progress: forecast from the last full quarter.
                actual = totals[-1][1]
            totals.append((quarter, actual))
        rows += _manager_forecasts(manager, number, totals, as_of, rng)
    currency = workspace.settings.company.currency
    for row in rows:
        row["currency"] = currency
    workspace.store.insert_rows("forecasts", rows)
    return rows


def _round_target(value: float) -> float:
    return float(max(5_000, round(value / 5_000) * 5_000))


def _comp_targets(workspace: Workspace, as_of: dt.date) -> tuple[float, float]:
    """Return the demo's revenue and margin targets per seller and quarter."""
    from revarch.comp.measures import margin_actuals

    start_month = workspace.settings.company.fiscal_year_start_month
    bookings = seller_period_bookings(workspace, "quarter", as_of)
    positive = [amount for amount in bookings.values() if amount > 0]
    revenue = statistics.median(positive) if positive else 100_000.0
    last = period_of(as_of, "quarter", start_month)
    previous = period_of(last.start - dt.timedelta(days=1), "quarter", start_month)
    margins = margin_actuals(workspace, previous, previous.end)
    known = [a.value for k, a in margins.items() if k != "*" and a.value]
    booked = [
        bookings.get((k, previous.id), 0.0)
        for k, a in margins.items()
        if k != "*" and a.value
    ]
    rate = sum(known) / sum(booked) if known and sum(booked) else 0.6
    return _round_target(revenue), _round_target(revenue * rate)


COMP_BLOCK = """comp:
  # The demo's incentive plan, per fiscal quarter, in the base currency.
  # Weights follow the framework: margin 30, process adherence 20,
  # competency development 10, revenue 40. Targets come from the demo's
  # median quarterly bookings and margin per seller.
  name: Demo account executive plan
  period: quarter
  target_incentive: {incentive}
  components:
    - measure: margin
      weight: 30
      target: {margin}
      threshold: 0.5
      cap: 2.0
    - measure: process_adherence
      weight: 20
      target: 0.8
      threshold: 0.5
      cap: 1.25
    - measure: competency_development
      weight: 10
      target: 5
      cap: 2.0
    - measure: revenue
      weight: 40
      target: {revenue}
      threshold: 0.5
      cap: 2.5
      curve: tiered
      tiers:
        - above: 1.0
          rate: 2.0
"""


def write_demo_comp_plan(workspace: Workspace, as_of: dt.date) -> None:
    """Add (or replace) the ``comp:`` section of revarch.yaml and reload it."""
    revenue, margin = _comp_targets(workspace, as_of)
    block = COMP_BLOCK.format(
        incentive=TARGET_INCENTIVE, margin=f"{margin:.0f}", revenue=f"{revenue:.0f}"
    )
    path = workspace.config_path
    text = path.read_text(encoding="utf-8")
    existing = re.compile(r"^comp:.*?(?=^[A-Za-z_#]|\Z)", re.MULTILINE | re.DOTALL)
    if existing.search(text):
        text = existing.sub(lambda _match: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
    workspace.reload_settings()
    if workspace.settings.comp is None:
        raise RevarchError(f"{path}: the demo comp plan did not apply")


def write_demo_answers(workspace: Workspace, seed: int, as_of: dt.date) -> int:
    """Answer most inspection questions of the open opportunities to inspect."""
    from revarch.leadership.inspection import compute_inspection

    people = People.read(workspace)
    result = compute_inspection(workspace, as_of=as_of)
    rng = np.random.default_rng(seed + 1)
    rows = []
    for item in result.rows:
        seller = people.by_id.get(item["seller"] or "")
        manager = people.name(seller.manager_id) if seller else None
        for question in result.questions:
            if rng.random() >= ANSWER_SHARE:
                continue
            answer = str(rng.choice(ANSWER_CHOICES, p=ANSWER_WEIGHTS))
            day = as_of - dt.timedelta(days=int(rng.integers(0, 7)))
            rows.append(
                {
                    "opportunity_id": item["id"],
                    "question": question["id"],
                    "answer": answer,
                    "answered_at": _at(day),
                    "answered_by": manager,
                }
            )
    workspace.store.insert_rows("inspection_answers", rows)
    return len(rows)


def write_demo_leadership(workspace: Workspace, seed: int) -> LeadershipDemo:
    """Add the demo's forecasts, comp plan and inspection answers to a workspace."""
    as_of = resolve_as_of(workspace)
    forecasts = write_demo_forecasts(workspace, seed, as_of)
    write_demo_comp_plan(workspace, as_of)
    answers = write_demo_answers(workspace, seed, as_of)
    log.info("added %d forecasts and %d inspection answers", len(forecasts), answers)
    return LeadershipDemo(len(forecasts), answers, True)
