"""Comp statements per seller, a what-if comparison, and the payroll CSV.

Every statement carries a trace: one line per component with the actual,
the target, the attainment, the curve and the multiplication that gives the
payout, so a seller can redo it by hand. Attainment and payout factor are
rounded to six decimals before they are used, and payouts to cents, so the
trace's numbers give the payout exactly.

A component whose actual is unavailable (no margin recorded, no assessment,
no quota) pays 0 and marks the statement for review. A component computed
on incomplete data (some won opportunities without margin) is marked too.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revarch.comp.measures import Actuals, measure_actuals
from revarch.comp.plan import component_target, payout_curve, target_incentive
from revarch.errors import InputError
from revarch.leadership.people import People, Person
from revarch.timeframe import Period, Window, parse_period, period_of, resolve_as_of

if TYPE_CHECKING:
    from revarch.config import CompComponent, CompPlan
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

DIGITS = 6
UNITS = {
    "margin": "money",
    "revenue": "money",
    "process_adherence": "share",
    "competency_development": "points",
}


@dataclass(frozen=True)
class Proration:
    """The days employed in the period, and the trace line that explains it."""

    employed: int
    days: int
    note: str | None

    @property
    def share(self) -> float:
        return self.employed / self.days

    def apply(self, amount: float) -> float:
        """Return ``amount`` times the employed share, rounded to cents."""
        if self.employed == self.days:
            return amount
        return round(amount * self.employed / self.days, 2)


@dataclass
class CompResult:
    """Statements of every seller on the plan for one period."""

    plan: CompPlan
    period: Period
    statements: list[dict[str, Any]]
    totals: dict[str, Any]
    window: Window
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.model_dump(mode="json"),
            "period": self.period.to_dict(),
            "statements": self.statements,
            "totals": self.totals,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }


@dataclass
class CompComparison:
    """The same sellers and actuals under the current plan and another one."""

    current: CompResult
    other: CompResult
    rows: list[dict[str, Any]]
    totals: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.current.period.to_dict(),
            "rows": self.rows,
            "totals": self.totals,
            "current": self.current.to_dict(),
            "what_if": self.other.to_dict(),
            "window": self.current.window.to_dict(),
        }


def _rounded(measure: str, value: float) -> float:
    """Round an actual as the trace shows it: money to cents, others to 6 places."""
    return round(value, 2 if UNITS[measure] == "money" else DIGITS)


def _format(measure: str, value: float, *, signed: bool = False) -> str:
    unit = UNITS[measure]
    if unit == "money":
        return f"{value:,.2f}"
    if unit == "share":
        return f"{value * 100:.4f}%"
    return f"{value:+.6g} points" if signed else f"{value:.6g} points"


def employed_share(plan: CompPlan, person: Person, period: Period) -> Proration:
    """Return the share of ``period`` a seller hired during it was employed."""
    hired = person.hire_date
    days = (period.end - period.start).days + 1
    full = Proration(days, days, None)
    if not plan.prorate_new_hires or hired is None or hired <= period.start:
        return full
    employed = (period.end - hired).days + 1
    if employed <= 0:
        # A hire date after the period, for a seller who booked in it, is
        # more likely a wrong date than a reason to pay nothing.
        return full
    return Proration(
        employed,
        days,
        f"prorated: hired {hired.isoformat()}, employed {employed} of the "
        f"{days} days of {period.id}, so the target incentive and the plan's "
        f"money targets are multiplied by {employed}/{days}",
    )


def component_line(
    component: CompComponent,
    person: Person,
    incentive: float,
    actuals: Actuals,
    proration: Proration | None = None,
) -> dict[str, Any]:
    """Compute one component of one seller's statement, with its trace.

    ``proration`` scales a money target taken from the plan (not a quota or
    a per-seller target, which are set for the seller already).
    """
    measure = component.measure
    weight = float(component.weight or 0.0)
    actual = actuals.get(measure, person.id)
    target, source = component_target(component, person, actuals.quotas.get(person.id))
    if (
        target is not None
        and proration is not None
        and proration.note is not None
        and UNITS[measure] == "money"
        and source in ("target", "target_by_role")
    ):
        target = proration.apply(target)
        source = f"{source}, prorated"
    line: dict[str, Any] = {
        "measure": measure,
        "weight": weight,
        "actual": None if actual.value is None else _rounded(measure, actual.value),
        "target": target,
        "target_source": source,
        "attainment": None,
        "threshold": component.threshold,
        "cap": component.cap,
        "curve": component.curve,
        "payout_factor": 0.0,
        "payout": 0.0,
        "status": "ok",
        "detail": actual.detail,
    }

    if actual.value is None or target is None:
        reason = (
            actual.detail
            if actual.value is None
            else (f"no quota for {actuals.period.id} in the quotas table")
        )
        line["status"] = "unavailable"
        line["trace"] = f"{measure}: unavailable ({reason}); pays 0 until resolved"
        return line

    value = _rounded(measure, actual.value)
    attainment = round(value / target, DIGITS)
    curve = payout_curve(attainment, component)
    factor = round(curve.factor, DIGITS)
    payout = round(incentive * weight / 100 * factor, 2)
    line.update(
        attainment=attainment,
        payout_factor=factor,
        payout=payout,
        status="incomplete" if actual.incomplete else "ok",
    )

    line["trace"] = (
        f"{measure}: {_format(measure, value, signed=True)} / target "
        f"{_format(measure, target)} ({source}) = {attainment * 100:.4f}% "
        f"attainment; {curve.steps}; factor {factor:.6f}; {incentive:,.2f} x "
        f"{weight:g}% x {factor:.6f} = {payout:,.2f}"
    )
    return line


def statement(plan: CompPlan, person: Person, actuals: Actuals) -> dict[str, Any]:
    """Build one seller's statement: every component, the total and the trace."""
    full_incentive, source = target_incentive(plan, person)
    proration = employed_share(plan, person, actuals.period)
    incentive = proration.apply(full_incentive)
    lines = [
        component_line(c, person, incentive, actuals, proration)
        for c in plan.components
    ]
    total = round(sum(line["payout"] for line in lines), 2)
    review = [line["measure"] for line in lines if line["status"] != "ok"]
    trace = [proration.note] if proration.note else []
    trace += [line["trace"] for line in lines]
    trace.append(
        "total: "
        + " + ".join(f"{line['payout']:,.2f}" for line in lines)
        + f" = {total:,.2f}"
    )
    return {
        "seller": person.id,
        "seller_name": person.label,
        "role": person.role,
        "target_incentive": incentive,
        "target_incentive_source": source,
        "hire_date": person.hire_date.isoformat() if person.hire_date else None,
        "employed_share": round(proration.share, DIGITS),
        "components": lines,
        "total": total,
        "needs_review": bool(review),
        "review": review,
        "trace": trace,
    }


def _plan_sellers(people: People, plan: CompPlan, actuals: Actuals) -> list[Person]:
    """Return the sellers on the plan: active ones, and anyone who booked.

    A seller hired after the period ended was not on the plan then, unless
    they booked in it (a hire date entered wrong), and is left out.
    """
    booked = set(actuals.values.get("revenue", {})) - {"*"}
    chosen = {p.id: p for p in people.sellers()}
    for seller in booked:
        person = people.by_id.get(seller)
        if person is not None and person.is_seller:
            chosen.setdefault(seller, person)
    end = actuals.period.end
    later = [
        p
        for p in chosen.values()
        if p.hire_date is not None and p.hire_date > end and p.id not in booked
    ]
    for person in later:
        del chosen[person.id]
    if later:
        actuals.notes.append(
            f"{len(later)} sellers hired after {actuals.period.id} ended are "
            "not on its plan: "
            + ", ".join(sorted(p.label for p in later)[:5])
            + (" ..." if len(later) > 5 else "")
        )
    if plan.roles:
        chosen = {k: p for k, p in chosen.items() if p.role in plan.roles}
    return sorted(chosen.values(), key=lambda p: (p.label, p.id))


def _choose_period(
    workspace: Workspace, plan: CompPlan, period: str | None, as_of: dt.date
) -> Period:
    start_month = workspace.settings.company.fiscal_year_start_month
    if period is None:
        return period_of(as_of, plan.period, start_month)
    chosen = parse_period(period, start_month)
    if chosen.kind != plan.period:
        raise InputError(
            f"invalid --period {period!r}: it is a {chosen.kind.replace('_', ' ')}, "
            f"but comp.period is {plan.period}, so incentives and targets are per "
            f"{plan.period}; pass a {plan.period} such as "
            f"{period_of(as_of, plan.period, start_month).id}"
        )
    return chosen


def _plan(workspace: Workspace, plan: CompPlan | None) -> CompPlan:
    chosen = plan or workspace.settings.comp
    if chosen is None:
        raise InputError(
            "no comp plan: add a comp: section to revarch.yaml with "
            "target_incentive and components (docs/performance.md has an example)"
        )
    return chosen


def _result(
    plan: CompPlan, people: People, actuals: Actuals, window: Window
) -> CompResult:
    sellers = _plan_sellers(people, plan, actuals)
    statements = [statement(plan, person, actuals) for person in sellers]
    totals: dict[str, Any] = {
        "sellers": len(statements),
        "target_incentive": round(sum(s["target_incentive"] for s in statements), 2),
        "total": round(sum(s["total"] for s in statements), 2),
        "needs_review": sum(1 for s in statements if s["needs_review"]),
    }
    for component in plan.components:
        totals[f"{component.measure}_payout"] = round(
            sum(
                line["payout"]
                for s in statements
                for line in s["components"]
                if line["measure"] == component.measure
            ),
            2,
        )
    return CompResult(plan, actuals.period, statements, totals, window, actuals.notes)


def compute_comp(
    workspace: Workspace,
    *,
    period: str | None = None,
    as_of: str | dt.date | None = None,
    plan: CompPlan | None = None,
) -> CompResult:
    """Compute every seller's comp statement for one plan period.

    ``period`` defaults to the plan period holding the as-of date; ``plan``
    defaults to the ``comp`` section of the settings. Raises ``InputError``
    without a plan, for a period of the wrong kind, or for a seller without
    a target incentive.
    """
    chosen = _plan(workspace, plan)
    day = resolve_as_of(workspace, as_of)
    span = _choose_period(workspace, chosen, period, day)
    measures: set[str] = {c.measure for c in chosen.components}
    actuals = measure_actuals(workspace, span, day, measures)
    window = Window("snapshot", span.start, span.end, day)
    log.info("computed comp statements for %s", span.id)
    return _result(chosen, People.read(workspace), actuals, window)


def compare_plans(
    workspace: Workspace,
    other: CompPlan,
    *,
    period: str | None = None,
    as_of: str | dt.date | None = None,
) -> CompComparison:
    """Compute the statements under the current plan and ``other``, side by side."""
    current = _plan(workspace, None)
    if other.period != current.period:
        raise InputError(
            f"the what-if plan pays per {other.period} and the current plan per "
            f"{current.period}; set comp.period to {current.period} in the what-if "
            "file to compare them"
        )
    day = resolve_as_of(workspace, as_of)
    span = _choose_period(workspace, current, period, day)
    measures: set[str] = {c.measure for c in [*current.components, *other.components]}
    actuals = measure_actuals(workspace, span, day, measures)
    window = Window("snapshot", span.start, span.end, day)
    people = People.read(workspace)
    now = _result(current, people, actuals, window)
    then = _result(other, people, actuals, window)
    rows = _side_by_side(now, then)
    totals = {
        "total_current": now.totals["total"],
        "total_what_if": then.totals["total"],
        "difference": round(then.totals["total"] - now.totals["total"], 2),
    }
    return CompComparison(now, then, rows, totals)


def _side_by_side(now: CompResult, then: CompResult) -> list[dict[str, Any]]:
    other = {s["seller"]: s for s in then.statements}
    measures = list(
        dict.fromkeys(c.measure for c in [*now.plan.components, *then.plan.components])
    )
    rows = []
    for mine in now.statements:
        theirs = other.get(mine["seller"])
        row: dict[str, Any] = {
            "seller": mine["seller"],
            "seller_name": mine["seller_name"],
            "total_current": mine["total"],
            "total_what_if": theirs["total"] if theirs else None,
        }
        row["difference"] = (
            round(theirs["total"] - mine["total"], 2) if theirs else None
        )
        for measure in measures:
            row[f"{measure}_current"] = _payout(mine, measure)
            row[f"{measure}_what_if"] = _payout(theirs, measure) if theirs else None
        rows.append(row)
    return rows


def _payout(statement_: dict[str, Any], measure: str) -> float | None:
    for line in statement_["components"]:
        if line["measure"] == measure:
            return float(line["payout"])
    return None


def payroll_columns(plan: CompPlan) -> list[str]:
    """Return the payroll CSV's columns for a plan."""
    columns = [
        "period",
        "seller",
        "seller_name",
        "role",
        "currency",
        "target_incentive",
    ]
    for component in plan.components:
        m = component.measure
        columns += [f"{m}_actual", f"{m}_target", f"{m}_attainment", f"{m}_payout"]
    return [*columns, "total_payout", "needs_review", "review"]


def export_payroll(result: CompResult, path: Path, currency: str) -> int:
    """Write one row per seller for payroll; return the number of rows."""
    columns = payroll_columns(result.plan)
    try:
        handle = path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write --csv {path}: {exc.strerror}; choose a file in an "
            "existing folder you can write to"
        ) from exc
    with handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for item in result.statements:
            row: dict[str, Any] = {
                "period": result.period.id,
                "seller": item["seller"],
                "seller_name": item["seller_name"],
                "role": item["role"] or "",
                "currency": currency,
                "target_incentive": f"{item['target_incentive']:.2f}",
                "total_payout": f"{item['total']:.2f}",
                "needs_review": "yes" if item["needs_review"] else "no",
                "review": "; ".join(item["review"]),
            }
            for line in item["components"]:
                m = line["measure"]
                row[f"{m}_actual"] = _cell(line["actual"])
                row[f"{m}_target"] = _cell(line["target"])
                row[f"{m}_attainment"] = _cell(line["attainment"])
                row[f"{m}_payout"] = f"{line['payout']:.2f}"
            writer.writerow(row)
    return len(result.statements)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.6f}".rstrip("0").rstrip(".")
