"""The quarterly alignment audit: four cross-pillar links, then one decision.

Each link passes only when every part of it is shown by the workspace:

- Strategy and People: ``hiring_profile.required_competencies`` names the
  competencies the go-to-market strategy requires, and
  ``hiring_profile.competency_thresholds`` screens candidates on each.
- Strategy and Process: a sales process of 5-7 stages (the thresholds) is
  defined with entry and exit criteria on every stage, and most respondents
  say the go-to-market strategy (#1: ideal customer profile, buyer journey)
  is a formal, documented process.
- People and Performance: sellers were assessed in the 90 days up to the
  audit date on every competency hiring screens for, and the comp plan gives
  competency development a weight.
- Process and Performance: the process names required activities and
  activities are logged against opportunities in those 90 days (adherence
  can be tracked), and at least half of the opportunities created in the
  trailing 12 months have stage history (sellers' own stage-to-stage
  conversion can be shown).

The audit ends with the single function to fix next quarter: the first
sprint of a roadmap planned from the same evidence.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from revarch.diagnosis import evidence
from revarch.diagnosis.roadmap import explain, rank_candidates
from revarch.diagnosis.scorecard import Scorecard, build_scorecard
from revarch.diagnosis.signals import comp_plan_weights
from revarch.talent.catalog import Catalog
from revarch.timeframe import parse_period, period_of, resolve_as_of
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

TABLE = "audits"
MIN_HISTORY_SHARE = 0.5


@dataclass
class Link:
    """One cross-pillar link: pass or fail, and the evidence for each part."""

    id: str
    pillars: tuple[str, str]
    question: str
    parts: list[tuple[bool, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.parts) and all(ok for ok, _ in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "link": " and ".join(self.pillars),
            "question": self.question,
            "passed": self.passed,
            "evidence": [{"passed": ok, "evidence": text} for ok, text in self.parts],
            "data": self.data,
        }


@dataclass
class Audit:
    """The four links, the recommendation, and the comparison with the last audit."""

    period: str
    as_of: dt.date
    links: list[Link]
    recommendation: dict[str, Any] | None
    previous: dict[str, Any] | None = None
    audit_id: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(link.passed for link in self.links)

    def to_dict(self) -> dict[str, Any]:
        return {
            "audit_id": self.audit_id,
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "window": evidence.trailing_window(self.as_of),
            "passed": self.passed,
            "checks": [link.to_dict() for link in self.links],
            "recommendation": self.recommendation,
            "previous": self.previous,
            "notes": self.notes,
        }


def _skill_names(workspace: Workspace, names: list[str]) -> list[str]:
    catalog = Catalog.from_settings(workspace.settings)
    return [catalog.get(name).name for name in names]


def _strategy_people(workspace: Workspace) -> Link:
    link = Link(
        "strategy_people",
        ("Strategy", "People"),
        "Does the go-to-market strategy name the competencies it requires, and "
        "does hiring screen for them?",
    )
    profile = workspace.settings.hiring_profile
    required = _skill_names(workspace, profile.required_competencies if profile else [])
    screened = _skill_names(
        workspace, list(profile.competency_thresholds) if profile else []
    )
    link.data = {"required_competencies": required, "screened": screened}
    if not required:
        link.parts.append(
            (
                False,
                "the strategy names no competencies (set "
                "hiring_profile.required_competencies)",
            )
        )
        return link
    link.parts.append(
        (True, f"the strategy names {len(required)}: {', '.join(required)}")
    )
    unscreened = [name for name in required if name not in screened]
    if unscreened:
        text = f"no hiring threshold for {', '.join(unscreened)}"
    else:
        text = "hiring screens for every one of them"
    link.parts.append((not unscreened, text))
    return link


def _strategy_process(workspace: Workspace, scorecard: Scorecard) -> Link:
    link = Link(
        "strategy_process",
        ("Strategy", "Process"),
        "Does the sales process fit the ideal customer profile and the buyer journey?",
    )
    settings = workspace.settings
    stages = settings.process.stages
    low, high = settings.thresholds.min_stages, settings.thresholds.max_stages
    missing = [s.id for s in stages if not s.entry_criteria or not s.exit_criteria]
    compliant = low <= len(stages) <= high and not missing
    text = f"the process has {len(stages)} stages (needs {low}-{high})"
    if missing:
        text += f"; stages without entry or exit criteria: {', '.join(missing)}"
    link.parts.append((compliant, text))
    share = scorecard.get(1).share("formal_process")
    documented = share is not None and share > 0.5
    link.parts.append(
        (
            documented,
            "nobody has answered for #1 Go-to-Market Strategy"
            if share is None
            else f"{share:.0%} of respondents say #1 (ideal customer profile, "
            "buyer journey) is a formal, documented process",
        )
    )
    link.data = {"stages": len(stages), "stages_without_criteria": missing}
    # NOTE: whether the stages fit the profile is a judgement; the audit can
    # only check that both are written down.
    return link


def _competencies_measured(
    span: evidence.Span, coverage: evidence.AssessmentCoverage, screened: list[str]
) -> tuple[bool, str]:
    if not screened:
        return False, "hiring screens for no competency, so none is measured"
    unmeasured = [name for name in screened if name not in coverage.skills]
    text = (
        f"{len(screened) - len(unmeasured)} of {len(screened)} competencies hired "
        f"for were assessed from {span.since.isoformat()} to "
        f"{span.until.isoformat()}"
    )
    if unmeasured:
        text += f" (not: {', '.join(unmeasured)})"
    return not unmeasured, text


def _competency_weight(workspace: Workspace) -> tuple[float | None, str]:
    weights = comp_plan_weights(workspace)
    if weights is None:
        return None, "no compensation plan with weights in the settings"
    weight = sum(value for key, value in weights.items() if "competency" in key)
    return weight, f"the comp plan gives competency development {weight:.0%}"


def _people_performance(
    workspace: Workspace, as_of: dt.date, screened: list[str]
) -> Link:
    link = Link(
        "people_performance",
        ("People", "Performance"),
        "Are the competencies hired for measured, and does the comp plan pay for "
        "competency development?",
    )
    span = evidence.recent_span(as_of)
    sellers = evidence.list_active_sellers(workspace, evidence.trailing_span(as_of))
    coverage = evidence.compute_assessment_coverage(workspace, span, sellers)
    link.parts.append(_competencies_measured(span, coverage, screened))

    weight, text = _competency_weight(workspace)
    link.parts.append((bool(weight), text))

    link.data = {
        "assessed_sellers": len(coverage.assessed),
        "active_sellers": len(sellers),
        "unmeasured_competencies": [
            name for name in screened if name not in coverage.skills
        ],
        "competency_weight": weight,
    }
    return link


def _process_performance(workspace: Workspace, as_of: dt.date) -> Link:
    link = Link(
        "process_performance",
        ("Process", "Performance"),
        "Do the metrics track process adherence, and do sellers see their own "
        "stage-to-stage conversion?",
    )
    stages = workspace.settings.process.stages
    required = sum(len(stage.required_activities) for stage in stages)
    span = evidence.recent_span(as_of)
    linked = evidence.count_linked_activities(workspace, span)
    link.parts.append(
        (
            required > 0 and linked > 0,
            f"the process names {required} required activities; {linked} "
            f"activities linked to opportunities from {span.since.isoformat()} "
            f"to {span.until.isoformat()}",
        )
    )

    trailing = evidence.trailing_span(as_of)
    with_history, total = evidence.compute_history_coverage(workspace, trailing)
    share = with_history / total if total else 0.0
    link.parts.append(
        (
            share >= MIN_HISTORY_SHARE,
            f"{with_history} of {total} opportunities created in the trailing 12 "
            f"months have stage history ({share:.0%}; per-seller conversion needs "
            f"{MIN_HISTORY_SHARE:.0%})",
        )
    )

    link.data = {
        "required_activities": required,
        "linked_activities": linked,
        "history_share": round(share, 4),
    }
    return link


def recommend(scorecard: Scorecard) -> dict[str, Any] | None:
    """Return the single function to fix next quarter, and why."""
    ranked = rank_candidates(scorecard.functions)
    note = None
    if ranked:
        chosen = ranked[0]
    else:
        answered = [
            s
            for s in scorecard.functions
            if s.tier in (1, 2) and s.maturity is not None
        ]
        if not answered:
            return None
        chosen = min(answered, key=lambda s: (s.tier, s.maturity or 0.0, s.number))
        note = (
            "every Tier 1 and 2 function meets the maturity threshold; this is "
            "the weakest of them"
        )
    why = explain(chosen, set(), scorecard.bookings) if ranked else []
    return {
        "function": chosen.number,
        "name": chosen.function.name,
        "tier": chosen.tier,
        "maturity": None if chosen.maturity is None else round(chosen.maturity, 1),
        "why": why,
        "note": note,
    }


# -- running and storing ------------------------------------------------------------


def _previous(
    workspace: Workspace, period_start: dt.date, start_month: int
) -> dict[str, Any] | None:
    """Return the latest stored audit of the latest earlier period."""
    table = workspace.store.table(TABLE)
    rows = workspace.store.rows(table.order_by(["id"]))
    earlier = [
        row
        for row in rows
        if parse_period(row["period"], start_month).start < period_start
    ]
    if not earlier:
        return None
    latest = max(
        earlier,
        key=lambda row: (parse_period(row["period"], start_month).start, row["id"]),
    )
    return {**latest, "detail": json.loads(latest["detail"])}


def _compare(audit: Audit, previous: dict[str, Any] | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    before = {check["id"]: check["passed"] for check in previous["detail"]["checks"]}
    changes = [
        {"id": link.id, "was": before.get(link.id), "now": link.passed}
        for link in audit.links
        if before.get(link.id) != link.passed
    ]
    return {
        "audit_id": previous["id"],
        "period": previous["period"],
        "created_at": previous["created_at"],
        "passed": previous["passed"],
        "recommended_function": previous["recommended_function"],
        "changes": changes,
    }


def _save(workspace: Workspace, audit: Audit) -> int:
    table = workspace.store.table(TABLE)
    found = workspace.store.fetch(table.id.max())
    new_id = 1 if found is None or found != found else int(found) + 1
    audit.audit_id = new_id
    recommended = audit.recommendation["function"] if audit.recommendation else None
    workspace.store.insert_rows(
        TABLE,
        [
            {
                "id": new_id,
                "period": audit.period,
                "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "as_of": audit.as_of,
                "passed": audit.passed,
                "recommended_function": recommended,
                "detail": json.dumps(audit.to_dict(), default=str, sort_keys=True),
            }
        ],
    )
    log.info("stored audit %s for %s", new_id, audit.period)
    return new_id


def run_audit(
    workspace: Workspace,
    *,
    period: str | None = None,
    as_of: str | dt.date | None = None,
    save: bool = True,
) -> Audit:
    """Run the alignment audit for a fiscal quarter and store it.

    The audit date is the end of the period, or the as-of date when that
    comes first. Without ``period``, the quarter of the as-of date.
    """
    start_month = workspace.settings.company.fiscal_year_start_month
    day = resolve_as_of(workspace, as_of)
    chosen = (
        parse_period(period, start_month)
        if period
        else period_of(day, "quarter", start_month)
    )
    audit_day = min(chosen.end, day)
    scorecard = build_scorecard(workspace, as_of=audit_day)
    people = _strategy_people(workspace)
    links = [
        people,
        _strategy_process(workspace, scorecard),
        _people_performance(workspace, audit_day, people.data["screened"]),
        _process_performance(workspace, audit_day),
    ]
    audit = Audit(chosen.id, audit_day, links, recommend(scorecard))
    if not scorecard.answered:
        audit.notes.append(
            "no diagnosis answers: the recommendation rests on tiers and order "
            "alone; run `revarch diagnose` first"
        )
    audit.previous = _compare(audit, _previous(workspace, chosen.start, start_month))
    if save:
        _save(workspace, audit)
    return audit
