"""Weekly pipeline inspection of every open opportunity above the inspection line.

Each opportunity open on the as-of date with an amount (base currency) at or
above ``thresholds.inspection_min_amount`` gets the same qualification
questions (``inspection.questions``), its latest answers, and flags:

- ``stalled``: days in its current stage above the stage's expected days;
- ``close_date_pushed``: the close date moved later (count and days);
- ``amount_changed``: the amount changed in the history (cut or raised);
- ``no_recent_activity``: no activity linked to it in the last
  ``thresholds.no_activity_days`` days up to the as-of date;
- ``close_date_past``: its close date is before the as-of date.

Risk points sort the list, highest first: stalled 2, close date in the past
2, each push 1 (at most 3), amount cut 1, no recent activity 1, each
question answered no 1, each unanswered or unknown 0.5.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.leadership.history import HistoryFacts, read_history
from revarch.timeframe import Window, local_date, resolve_as_of, within_local_days

if TYPE_CHECKING:
    import pandas as pd

    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

ANSWERS = ("yes", "no", "unknown")
RISK_POINTS = {
    "stalled": 2.0,
    "close_date_past": 2.0,
    "close_date_push": 1.0,
    "amount_cut": 1.0,
    "no_recent_activity": 1.0,
    "answer_no": 1.0,
    "answer_unknown": 0.5,
}
MAX_PUSH_POINTS = 3.0
FLAGS = (
    "stalled",
    "close_date_pushed",
    "amount_changed",
    "no_recent_activity",
    "close_date_past",
)


@dataclass
class InspectionResult:
    """The opportunities to inspect, riskiest first, and the questions asked."""

    questions: list[dict[str, str]]
    rows: list[dict[str, Any]]
    min_amount: float
    no_activity_days: int
    window: Window
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "min_amount": self.min_amount,
            "no_activity_days": self.no_activity_days,
            "rows": self.rows,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }

    @property
    def table(self) -> pd.DataFrame:
        """Return one flat row per opportunity: answers and flags as columns."""
        import pandas as pd

        flat = []
        for row in self.rows:
            item = {k: v for k, v in row.items() if k not in ("answers", "flags")}
            item.update({f"q_{k}": v for k, v in row["answers"].items()})
            item["flags"] = ", ".join(row["flags"])
            flat.append(item)
        return pd.DataFrame(flat)


def _end_instant(day: dt.date, timezone: str) -> dt.datetime:
    from revarch.process.common import local_midnight_after

    return local_midnight_after(day, timezone)


def _open_on(workspace: Workspace, as_of: dt.date, seller: str | None) -> ir.Table:
    """Return the outcome rows of the opportunities open on ``as_of``."""
    from revarch.metrics.opportunities import outcome_rows

    rows = outcome_rows(workspace)
    open_then = (rows.status == "open") | (
        rows.status.isin(["won", "lost"]) & (rows.close_date > as_of)
    )
    rows = rows.filter(
        open_then, rows.created_date.isnull() | (rows.created_date <= as_of)
    )
    if seller is not None:
        rows = rows.filter(rows.seller == seller)
    return rows


def _unpriced(workspace: Workspace, open_rows: ir.Table) -> int:
    """Count the open opportunities that have no amount."""
    unpriced = open_rows.filter(open_rows.amount_base.isnull())
    return int(workspace.store.fetch(unpriced.count()))


def _candidates(
    workspace: Workspace, open_rows: ir.Table, min_amount: float
) -> list[dict[str, Any]]:
    """Return the open opportunities at or above ``min_amount``."""
    from revarch.metrics.opportunities import read_summary
    from revarch.process.common import display_name

    rows = open_rows.filter(open_rows.amount_base >= min_amount)
    summary = read_summary(workspace)
    summary = summary.select(
        _id="opportunity_id",
        name=display_name(summary),
        account="account",
        amount="amount",
        currency="currency",
        current_stage_id="current_stage_id",
    )
    joined = rows.inner_join(summary, rows.opportunity_id == summary._id)
    selected = joined.select(
        "opportunity_id",
        "name",
        "account",
        "seller",
        "seller_name",
        "amount",
        "currency",
        "amount_base",
        "close_date",
        "current_stage_id",
    )
    return workspace.store.rows(selected.order_by("opportunity_id"))


def _positions(
    workspace: Workspace, as_of: dt.date
) -> tuple[
    dict[str, dict[str, Any]], dict[str, tuple[float | None, str]], dict[str, str]
]:
    """Return each open opportunity's stage and age, and expected days per stage."""
    from revarch.process.common import open_scope
    from revarch.process.snapshot import effective_expected_days, open_positions

    scope = open_scope(workspace, view="snapshot", as_of=as_of, cohort=False)
    positions = {
        row["opportunity_id"]: row for row in scope.rows(open_positions(scope))
    }
    labels = {stage.id: stage.label for stage in scope.process.stages}
    return positions, effective_expected_days(scope), labels


def _last_activity(
    workspace: Workspace, ids: list[str], as_of: dt.date
) -> dict[str, dt.date]:
    """Return the latest local activity date per opportunity, on or before as-of."""
    if not ids:
        return {}
    zone = workspace.settings.company.timezone
    wanted = ibis.memtable({"_id": ids}, schema={"_id": "string"})
    activities = workspace.store.table("activities")
    activities = activities.filter(~activities.is_deleted)
    # Join first, so that only the wanted opportunities' activities are cut
    # into local dates.
    joined = activities.inner_join(wanted, activities.opportunity_id == wanted._id)
    joined = joined.filter(within_local_days(joined.occurred_at, zone, until=as_of))
    dated = joined.mutate(day=local_date(joined.occurred_at, zone))
    latest = dated.group_by("opportunity_id").aggregate(last=dated.day.max())
    return {r["opportunity_id"]: r["last"] for r in workspace.store.rows(latest)}


def latest_answers(workspace: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the latest answer per (opportunity, question)."""
    table = workspace.store.table("inspection_answers")
    ordered = table.order_by(["opportunity_id", "question", "answered_at"])
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in workspace.store.rows(ordered):
        found[(row["opportunity_id"], row["question"])] = row
    return found


def _flags(
    row: dict[str, Any],
    facts: HistoryFacts | None,
    last: dt.date | None,
    context: dict[str, Any],
) -> tuple[list[str], float, dict[str, Any]]:
    """Return the flags, their risk points and the details behind them."""
    as_of: dt.date = context["as_of"]
    flags: list[str] = []
    points = 0.0
    details: dict[str, Any] = {}
    days, expected = row.get("days_in_stage"), row.get("expected_days")
    if days is not None and expected is not None and days > expected:
        flags.append("stalled")
        points += RISK_POINTS["stalled"]
    if facts is not None and facts.close_date_pushes:
        flags.append("close_date_pushed")
        points += min(
            MAX_PUSH_POINTS, RISK_POINTS["close_date_push"] * facts.close_date_pushes
        )
    cut = False
    if facts is not None and facts.amount_changes:
        flags.append("amount_changed")
        first, now = facts.amount_first, row["amount"]
        cut = first is not None and now is not None and float(now) < first
        if cut:
            points += RISK_POINTS["amount_cut"]
    details["amount_cut"] = cut
    limit = context["no_activity_days"]
    idle = None if last is None else (as_of - last).days
    details["days_since_activity"] = idle
    if idle is None or idle > limit:
        flags.append("no_recent_activity")
        points += RISK_POINTS["no_recent_activity"]
    if row["close_date"] is not None and row["close_date"] < as_of:
        flags.append("close_date_past")
        points += RISK_POINTS["close_date_past"]
    return flags, points, details


def _answer_points(answers: dict[str, str | None]) -> float:
    points = 0.0
    for answer in answers.values():
        if answer == "no":
            points += RISK_POINTS["answer_no"]
        elif answer in (None, "unknown"):
            points += RISK_POINTS["answer_unknown"]
    return points


def _history_details(row: dict[str, Any], facts: HistoryFacts | None) -> dict[str, Any]:
    """Return push and amount-change details, amounts in the base currency."""
    if facts is None:
        facts = HistoryFacts(None, 0, 0, None, 0)
    rate = None
    if row["amount"] and row["amount_base"] is not None:
        rate = float(row["amount_base"]) / float(row["amount"])
    first = facts.amount_first
    first_base = round(first * rate, 2) if first is not None and rate else None
    change = None
    if first_base is not None and row["amount_base"] is not None:
        change = round(float(row["amount_base"]) - first_base, 2)
    return {
        "close_date_first": facts.close_date_first,
        "close_date_pushes": facts.close_date_pushes,
        "close_date_pushed_days": facts.close_date_pushed_days,
        "amount_first": first_base,
        "amount_changes": facts.amount_changes,
        "amount_change": change,
    }


def compute_inspection(
    workspace: Workspace,
    *,
    min_amount: float | None = None,
    as_of: str | dt.date | None = None,
    seller: str | None = None,
) -> InspectionResult:
    """List the open opportunities to inspect, with answers and flags, by risk.

    ``min_amount`` (base currency) defaults to
    ``thresholds.inspection_min_amount``; ``seller`` (an id) narrows the list.
    """
    settings = workspace.settings
    day = resolve_as_of(workspace, as_of)
    line = (
        settings.thresholds.inspection_min_amount if min_amount is None else min_amount
    )
    if not math.isfinite(line) or line < 0:
        raise InputError(f"invalid --min-amount {line:g}: use a number of 0 or more")
    questions = [q.model_dump() for q in settings.inspection.questions]
    open_rows = _open_on(workspace, day, seller)
    candidates = _candidates(workspace, open_rows, line)
    positions, expected, labels = _positions(workspace, day)
    current = {r["opportunity_id"]: r for r in candidates}
    until = _end_instant(day, settings.company.timezone)
    history = read_history(workspace, current, until)
    last = _last_activity(workspace, list(current), day)
    answers = latest_answers(workspace)
    context = {"as_of": day, "no_activity_days": settings.thresholds.no_activity_days}
    sources = {
        "positions": positions,
        "expected": expected,
        "labels": labels,
        "history": history,
        "last": last,
        "answers": answers,
    }
    rows = [
        _inspection_row(candidate, questions, sources, context)
        for candidate in candidates
    ]
    rows.sort(key=lambda r: (-r["risk"], -r["amount"], r["id"]))
    window = Window("snapshot", None, None, day)
    log.info("listed %d opportunities to inspect (line %s)", len(rows), line)
    return InspectionResult(
        questions,
        rows,
        line,
        settings.thresholds.no_activity_days,
        window,
        _notes(rows, line, settings.company.currency)
        + _unpriced_note(_unpriced(workspace, open_rows)),
    )


def _inspection_row(
    candidate: dict[str, Any],
    questions: list[dict[str, str]],
    sources: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    """Build one opportunity's row: stage, history, answers, flags and risk."""
    opportunity = candidate["opportunity_id"]
    position = sources["positions"].get(opportunity, {})
    stage = position.get("stage_id") or candidate["current_stage_id"]
    item = {
        "id": opportunity,
        "name": candidate["name"],
        "account": candidate["account"],
        "seller": candidate["seller"],
        "seller_name": candidate["seller_name"],
        "stage": stage,
        "stage_label": sources["labels"].get(stage, stage),
        "amount": round(float(candidate["amount_base"]), 2),
        "close_date": candidate["close_date"],
        "days_in_stage": _round(position.get("days_in_stage")),
        "expected_days": _round(sources["expected"].get(stage, (None, ""))[0]),
    }
    facts = sources["history"].get(opportunity)
    last = sources["last"].get(opportunity)
    flags, points, details = _flags(
        {**item, "amount": candidate["amount"]}, facts, last, context
    )
    answers = {
        q["id"]: (sources["answers"].get((opportunity, q["id"])) or {}).get("answer")
        for q in questions
    }
    item.update(_history_details(candidate, facts))
    item.update(details)
    item["last_activity"] = last
    item["answers"] = answers
    item["flags"] = flags
    item["risk"] = points + _answer_points(answers)
    return item


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _unpriced_note(count: int) -> list[str]:
    if not count:
        return []
    return [
        f"{count} open opportunities have no amount, so no size line can list "
        "them; enter amounts in the CRM to inspect them"
    ]


def _notes(rows: list[dict[str, Any]], line: float, currency: str) -> list[str]:
    if not rows:
        return [f"no open opportunity is at or above {line:,.0f} {currency}"]
    unknown = sum(1 for r in rows if r["days_in_stage"] is None)
    if unknown:
        return [
            f"{unknown} opportunities have an unknown age in their stage (no "
            "history, or a current stage missing from it): never flagged stalled"
        ]
    return []


# -- recording answers ------------------------------------------------------------


def resolve_question(workspace: Workspace, text: str) -> dict[str, str]:
    """Return the question named by its id, its number (1-based) or its text."""
    questions = [q.model_dump() for q in workspace.settings.inspection.questions]
    wanted = text.strip()
    for number, question in enumerate(questions, start=1):
        if wanted.lower() in (question["id"], str(number), question["text"].lower()):
            return question
    listed = "; ".join(f"{n} {q['id']}" for n, q in enumerate(questions, start=1))
    raise InputError(
        f"unknown question {text!r}: use a question id or number ({listed}), as "
        "set in inspection.questions of revarch.yaml"
    )


def answer_question(
    workspace: Workspace,
    opportunity: str,
    question: str,
    answer: str,
    *,
    answered_by: str | None = None,
    answered_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record one answer; earlier answers stay, and the latest one counts.

    Raises ``InputError`` for an unknown opportunity or question, or an
    answer other than yes, no or unknown.
    """
    choice = answer.strip().lower()
    if choice not in ANSWERS:
        raise InputError(f"invalid answer {answer!r}: use yes, no or unknown")
    found = resolve_question(workspace, question)
    table = workspace.store.table("opportunities")
    live = table.filter(~table.is_deleted, ~table.is_merged, table.id == opportunity)
    if not workspace.store.rows(live.select("id"), limit=1):
        raise InputError(
            f"unknown opportunity {opportunity!r}: no live opportunity has that "
            "id; `revarch inspect` lists the ids"
        )
    row = {
        "opportunity_id": opportunity,
        "question": found["id"],
        "answer": choice,
        "answered_at": answered_at
        or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        "answered_by": answered_by,
    }
    workspace.store.insert_rows("inspection_answers", [row])
    return {**row, "question_text": found["text"]}
