"""Each seller's actual for every comp measure over one period.

- ``margin``: gross margin (base currency, at each close date's rate) of the
  won opportunities closed in the period. Won opportunities without a margin
  are counted and listed, never guessed: the actual is the sum of the known
  margins, and unavailable when none of them has one.
- ``process_adherence``: the share of required activities logged in the
  seller's stage visits that ended in the period.
- ``competency_development``: the change of the seller's mean Tier 1 score,
  from their latest assessment before the period to their latest in it,
  over the Tier 1 skills scored both times.
- ``revenue``: bookings closed in the period; the quota (for ``target:
  quota``) comes from the quotas table, converted on the period's first day.

Periods in progress count up to the as-of date.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis

from revarch.errors import InputError
from revarch.money import convert_to_base
from revarch.timeframe import Period

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

MISSING_IDS_SHOWN = 5


@dataclass
class Actual:
    """One seller's actual for one measure; ``value`` None means unavailable."""

    value: float | None
    detail: str
    incomplete: bool = False


@dataclass
class Actuals:
    """The actuals per measure and seller, and the quotas of the period."""

    period: Period
    end: dt.date
    values: dict[str, dict[str, Actual]]
    quotas: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def get(self, measure: str, seller: str) -> Actual:
        """Return a seller's actual, or the measure's reason for having none."""
        found = self.values.get(measure, {})
        return found.get(seller) or found.get("*") or Actual(None, "no data")


def _money(value: float) -> str:
    return f"{value:,.2f}"


def margin_actuals(
    workspace: Workspace, period: Period, end: dt.date
) -> dict[str, Actual]:
    """Return each seller's gross margin booked in the period."""
    from revarch.metrics.opportunities import read_summary

    summary = read_summary(workspace)
    won = summary.filter(
        summary.status == "won",
        summary.seller_id.notnull(),
        summary.close_date.between(period.start, end),
    )
    won = won.mutate(fx_date=won.close_date)
    converted = convert_to_base(
        workspace, won, amounts=["margin"], label="opportunity_id"
    )
    rows = workspace.store.rows(
        converted.select("seller_id", "opportunity_id", "margin_base").order_by(
            ["seller_id", "opportunity_id"]
        )
    )
    by_seller: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_seller.setdefault(row["seller_id"], []).append(row)
    result = {"*": Actual(0.0, "no won opportunities in the period")}
    for seller, items in by_seller.items():
        known = [float(r["margin_base"]) for r in items if r["margin_base"] is not None]
        missing = [r["opportunity_id"] for r in items if r["margin_base"] is None]
        result[seller] = _margin_actual(len(items), known, missing)
    return result


def _margin_actual(won: int, known: list[float], missing: list[str]) -> Actual:
    if not known:
        return Actual(
            None,
            f"none of the {won} won opportunities has a margin (e.g. "
            f"{', '.join(missing[:MISSING_IDS_SHOWN])}); margin is never guessed",
        )
    total = sum(known)
    noun = "opportunity" if len(known) == 1 else "opportunities"
    detail = f"margin {_money(total)} on {len(known)} won {noun}"
    if missing:
        detail += (
            f"; {len(missing)} more won without a margin, left out (e.g. "
            f"{', '.join(missing[:MISSING_IDS_SHOWN])})"
        )
    return Actual(total, detail, incomplete=bool(missing))


def adherence_actuals(
    workspace: Workspace, period: Period, as_of: dt.date
) -> dict[str, Actual]:
    """Return each seller's share of required activities completed in the period."""
    from revarch.metrics.adherence import compute_adherence

    result = compute_adherence(
        workspace, by="seller", since=period.start, until=period.end, as_of=as_of
    )
    if not result.defined:
        reason = result.notes[0] if result.notes else "no required activities"
        return {"*": Actual(None, reason)}
    actuals = {
        "*": Actual(None, "no stage visit with required activities ended in the period")
    }
    for row in result.rows:
        if row["adherence"] is None:
            continue
        actuals[row["seller"]] = Actual(
            float(row["adherence"]),
            f"{row['completed']} of {row['required']} required activities logged "
            f"in {row['visits']} stage visits",
        )
    return actuals


def _tier1_skills(workspace: Workspace, end: dt.date) -> tuple[list[str], str]:
    """Return the Tier 1 skills in force on ``end`` and where the tiers come from."""
    from revarch.talent import Catalog, compute_gaps

    try:
        report = compute_gaps(workspace, as_of=end, with_interval=False)
    except InputError as exc:
        log.info("skill tiers fall back to the catalog's priors: %s", exc)
        catalog = Catalog.from_settings(workspace.settings)
        return [s.name for s in catalog if s.prior_tier == 1], "catalog prior tiers"
    return [g.name for g in report.gaps if g.tier == 1], "skill tiers"


def _scores_at(
    rows: list[dict[str, Any]], skills: list[str], first: dt.date | None, last: dt.date
) -> dict[str, dict[str, tuple[dt.date, float]]]:
    """Return each person's latest score per skill dated ``first``-``last``.

    Several raters on the latest date are averaged.
    """
    dated: dict[tuple[str, str], dict[dt.date, list[float]]] = {}
    for row in rows:
        day = row["assessed_on"]
        if row["skill"] not in skills or day > last:
            continue
        if first is not None and day < first:
            continue
        key = (row["person_id"], row["skill"])
        dated.setdefault(key, {}).setdefault(day, []).append(float(row["score"]))
    result: dict[str, dict[str, tuple[dt.date, float]]] = {}
    for (person, skill), by_day in dated.items():
        latest = max(by_day)
        result.setdefault(person, {})[skill] = (
            latest,
            statistics.fmean(by_day[latest]),
        )
    return result


def competency_actuals(
    workspace: Workspace, period: Period, end: dt.date
) -> dict[str, Actual]:
    """Return each seller's change of mean Tier 1 score over the period."""
    from revarch.talent import Catalog
    from revarch.talent.assessments import assessment_rows

    table = workspace.store.table("assessments")
    sellers = table.filter(~table.is_deleted, table.kind == "seller")
    if not workspace.store.rows(sellers.select("person_id"), limit=1):
        return {"*": Actual(None, "no seller assessments in the workspace")}
    catalog = Catalog.from_settings(workspace.settings)
    skills, source = _tier1_skills(workspace, end)
    scores, _notes = assessment_rows(workspace, catalog, kind="seller", as_of=end)
    rows = workspace.store.rows(scores)
    before = _scores_at(rows, skills, None, period.start - dt.timedelta(days=1))
    during = _scores_at(rows, skills, period.start, end)
    result = {"*": Actual(None, "no Tier 1 assessment in the period")}
    for person, now in during.items():
        common = sorted(set(now) & set(before.get(person, {})))
        if not common:
            result[person] = Actual(
                None, "no Tier 1 assessment before the period to compare with"
            )
            continue
        start_mean = statistics.fmean(before[person][s][1] for s in common)
        end_mean = statistics.fmean(now[s][1] for s in common)
        first_day = max(before[person][s][0] for s in common)
        last_day = max(now[s][0] for s in common)
        result[person] = Actual(
            end_mean - start_mean,
            f"mean Tier 1 score ({source}: {', '.join(common)}) "
            f"{start_mean:.2f} on {first_day.isoformat()} -> {end_mean:.2f} on "
            f"{last_day.isoformat()}",
        )
    return result


def revenue_actuals(
    workspace: Workspace, period: Period, end: dt.date
) -> dict[str, Actual]:
    """Return each seller's bookings closed in the period."""
    from revarch.leadership.outcomes import seller_bookings

    bookings = seller_bookings(workspace, period.start, end)
    result = {"*": Actual(0.0, "no won opportunities in the period")}
    for seller, amount in bookings.items():
        result[seller] = Actual(amount, f"bookings {_money(amount)}")
    return result


def period_quotas(workspace: Workspace, period: Period) -> dict[str, float]:
    """Return each seller's quota for the period, in the base currency."""
    quotas = workspace.store.table("quotas")
    quotas = quotas.filter(
        ~quotas.is_deleted, quotas.period.strip().upper() == period.id
    )
    dated = quotas.mutate(fx_date=ibis.literal(period.start))
    converted = convert_to_base(workspace, dated, amounts=["amount"], label="seller_id")
    rows = workspace.store.rows(converted.select("seller_id", "amount_base"))
    return {row["seller_id"]: float(row["amount_base"]) for row in rows}


def measure_actuals(
    workspace: Workspace, period: Period, as_of: dt.date, measures: set[str]
) -> Actuals:
    """Compute the actuals of the given measures for every seller."""
    end = min(period.end, as_of)
    values: dict[str, dict[str, Actual]] = {}
    if "margin" in measures:
        values["margin"] = margin_actuals(workspace, period, end)
    if "process_adherence" in measures:
        values["process_adherence"] = adherence_actuals(workspace, period, as_of)
    if "competency_development" in measures:
        values["competency_development"] = competency_actuals(workspace, period, end)
    if "revenue" in measures:
        values["revenue"] = revenue_actuals(workspace, period, end)
    notes = []
    if end < period.end:
        notes.append(
            f"{period.id} is in progress: actuals run from {period.start.isoformat()} "
            f"to the as-of date {end.isoformat()}"
        )
    return Actuals(period, end, values, period_quotas(workspace, period), notes)
