"""Data signals: evidence from the workspace that adjusts a function's maturity.

Each signal is ``fired`` (the evidence counts against the functions it
names, by its points), ``clear`` (checked, nothing found) or ``unavailable``
(the data it needs is not in the workspace). A signal may also contradict
one of the three facts respondents give; the scorecard reports that as part
of the perception gap.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from revarch.diagnosis import evidence
from revarch.workspace import Workspace

if TYPE_CHECKING:
    from revarch.talent.gaps import GapReport, SkillGap

log = logging.getLogger(__name__)

Status = Literal["fired", "clear", "unavailable"]

# Points each fired signal takes off the maturity (0-100) of its functions.
POINTS = {
    "no_stage_history": -20.0,
    "partial_stage_history": -10.0,
    "no_process_definition": -15.0,
    "no_recent_assessments": -20.0,
    "no_activities": -20.0,
    "no_recent_activities": -10.0,
    "hero_dependency": -15.0,
    "forecast_error": -10.0,
    "comp_without_margin": -15.0,
    "skill_gaps": -10.0,
}
# Share of stage history below which #6 counts as partly unmeasured.
MIN_HISTORY_SHARE = 0.5
# Share of trailing-12-month bookings above which one seller is a hero.
HERO_SHARE = 0.5


@dataclass
class Signal:
    """One piece of evidence about one or more functions."""

    id: str
    functions: tuple[int, ...]
    title: str
    status: Status
    evidence: str
    points: float = 0.0
    # The fact the evidence settles, and its value: ("measured", False).
    contradicts: tuple[str, bool] | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        return self.status == "fired"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "functions": list(self.functions),
            "title": self.title,
            "status": self.status,
            "points": self.points if self.fired else 0.0,
            "evidence": self.evidence,
            "contradicts": (
                {"fact": self.contradicts[0], "evidence_says": self.contradicts[1]}
                if self.contradicts and self.fired
                else None
            ),
            "values": self.values,
        }


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({part / whole:.0%})" if whole else f"{part} of 0"


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}"


# -- #6 Sales Process Architecture ---------------------------------------------


def stage_history_signal(workspace: Workspace) -> Signal:
    """Check that opportunities carry stage history (#6 is measured from it)."""
    with_history, total = evidence.compute_history_coverage(workspace)
    values = {"with_history": with_history, "opportunities": total}
    title = "stage history"
    if total == 0:
        return Signal(
            id="stage_history",
            functions=(6,),
            title=title,
            status="unavailable",
            evidence="no opportunities imported",
            values=values,
        )
    text = f"{_share(with_history, total)} opportunities have stage history"
    if with_history == 0:
        return Signal(
            id="stage_history",
            functions=(6,),
            title=title,
            status="fired",
            evidence=f"no stage history: {text}; #6 cannot be measured",
            points=POINTS["no_stage_history"],
            contradicts=("measured", False),
            values=values,
        )
    if with_history / total < MIN_HISTORY_SHARE:
        return Signal(
            id="stage_history",
            functions=(6,),
            title=title,
            status="fired",
            evidence=f"{text}, under {MIN_HISTORY_SHARE:.0%}; most paths are unknown",
            points=POINTS["partial_stage_history"],
            values=values,
        )
    return Signal("stage_history", (6,), title, "clear", text, values=values)


def process_definition_signal(workspace: Workspace) -> Signal:
    """Check that a sales process is defined in the settings."""
    stages = workspace.settings.process.stages
    title = "process definition"
    if not stages:
        return Signal(
            id="process_definition",
            functions=(6,),
            title=title,
            status="fired",
            evidence="no sales process is defined (process.stages is empty in "
            "revarch.yaml)",
            points=POINTS["no_process_definition"],
            contradicts=("formal_process", False),
            values={"stages": 0},
        )
    return Signal(
        id="process_definition",
        functions=(6,),
        title=title,
        status="clear",
        evidence=f"a sales process of {len(stages)} stages is defined",
        values={"stages": len(stages)},
    )


# -- #3 Sales Talent Assessment -------------------------------------------------


def assessment_signal(workspace: Workspace, as_of: dt.date) -> Signal:
    """Check that sellers were assessed in the 90 days up to the as-of date."""
    title = "recent assessments"
    if not workspace.store.has_table("assessments"):
        return Signal(
            id="assessments",
            functions=(3,),
            title=title,
            status="unavailable",
            evidence="the workspace has no assessments table",
        )
    span = evidence.recent_span(as_of)
    sellers = evidence.list_active_sellers(workspace, evidence.trailing_span(as_of))
    coverage = evidence.compute_assessment_coverage(workspace, span, sellers)
    last = coverage.last_assessed_on
    values = {
        "assessed": len(coverage.assessed),
        "active_sellers": len(sellers),
        "last_assessed_on": last.isoformat() if last else None,
        **span.to_dict(),
    }
    if not coverage.skills:
        when = f"the last on {last.isoformat()}" if last else "none ever"
        return Signal(
            id="assessments",
            functions=(3,),
            title=title,
            status="fired",
            evidence=f"no seller assessments in the {evidence.RECENT_DAYS} days "
            f"{span.since.isoformat()} to {span.until.isoformat()} ({when})",
            points=POINTS["no_recent_assessments"],
            contradicts=("measured", False),
            values=values,
        )
    return Signal(
        id="assessments",
        functions=(3,),
        title=title,
        status="clear",
        evidence=f"{_share(len(coverage.assessed), len(sellers))} active sellers "
        f"assessed in the {evidence.RECENT_DAYS} days up to {as_of.isoformat()}",
        values=values,
    )


# -- #9 Sales Metrics & Analytics -----------------------------------------------


def activity_signal(workspace: Workspace, as_of: dt.date) -> Signal:
    """Check that activities are logged, and logged recently."""
    title = "activity logged"
    total = evidence.count_activities(workspace)
    span = evidence.recent_span(as_of)
    recent = evidence.count_activities(workspace, span)
    values = {"activities": total, "recent_activities": recent, **span.to_dict()}
    if total == 0:
        return Signal(
            id="activity",
            functions=(9,),
            title=title,
            status="fired",
            evidence="no activities (calls, emails, meetings) are logged",
            points=POINTS["no_activities"],
            contradicts=("measured", False),
            values=values,
        )
    if recent == 0:
        return Signal(
            id="activity",
            functions=(9,),
            title=title,
            status="fired",
            evidence=f"{total} activities logged, none in the {evidence.RECENT_DAYS} "
            f"days up to {as_of.isoformat()}",
            points=POINTS["no_recent_activities"],
            values=values,
        )
    return Signal(
        id="activity",
        functions=(9,),
        title=title,
        status="clear",
        evidence=f"{recent} activities logged in the {evidence.RECENT_DAYS} days up to "
        f"{as_of.isoformat()}",
        values=values,
    )


# -- #5 Organizational Design -----------------------------------------------------


def hero_signal(workspace: Workspace, outcomes: evidence.Outcomes) -> Signal:
    """Check whether one seller has most of the trailing-12-month bookings."""
    title = "hero dependency"
    currency = workspace.settings.company.currency
    named = [item for item in outcomes.by_seller if item.seller is not None]
    if not named or outcomes.bookings <= 0:
        return Signal(
            id="hero_dependency",
            functions=(5,),
            title=title,
            status="unavailable",
            evidence="no bookings with a seller in the trailing 12 months "
            f"({outcomes.span.since.isoformat()} to "
            f"{outcomes.span.until.isoformat()})",
        )
    top = named[0]
    share = top.bookings / outcomes.bookings
    values = {
        "seller": top.seller,
        "seller_name": top.seller_name,
        "top_seller_share": round(share, 4),
        "top_seller_bookings": round(top.bookings, 2),
        "bookings": round(outcomes.bookings, 2),
        "sellers_with_bookings": len(named),
        **outcomes.span.to_dict(),
    }
    text = (
        f"{top.seller_name or top.seller} has {share:.0%} of the trailing "
        f"12-month bookings ({_money(top.bookings, currency)} of "
        f"{_money(outcomes.bookings, currency)}, {len(named)} sellers with "
        "bookings)"
    )
    if share > HERO_SHARE:
        return Signal(
            id="hero_dependency",
            functions=(5,),
            title=title,
            status="fired",
            evidence=text,
            points=POINTS["hero_dependency"],
            contradicts=("depends_on_one_person", True),
            values=values,
        )
    return Signal("hero_dependency", (5,), title, "clear", text, values=values)


# -- #4 and #9: forecasts; #10: the comp plan ---------------------------------------


def forecast_signal(workspace: Workspace, as_of: dt.date) -> Signal:
    """Check managers' forecast error against the tolerance, where forecasts exist."""
    title = "forecast error"
    if not workspace.store.has_table("forecasts"):
        return Signal(
            id="forecast_error",
            functions=(4, 9),
            title=title,
            status="unavailable",
            evidence="no forecasts are recorded in the workspace",
        )
    # TODO: read the managers' forecast accuracy once forecasts are recorded
    # through the leadership commands; until then the signal stays unavailable.
    return Signal(
        id="forecast_error",
        functions=(4, 9),
        title=title,
        status="unavailable",
        evidence="forecast accuracy is not computed from the forecasts table yet",
    )


def comp_plan_weights(workspace: Workspace) -> dict[str, float] | None:
    """Return the component weights of the comp plan in the settings, if any."""
    # NOTE: the settings have no comp section yet; this reads the first plan's
    # `weights` mapping (component -> fraction) once one exists, and counts
    # every component whose name contains "margin" as margin weight.
    comp = getattr(workspace.settings, "comp", None)
    if comp is None:
        return None
    data = comp.model_dump() if hasattr(comp, "model_dump") else comp
    plans = data.get("plans") if isinstance(data, dict) else None
    plan = plans[0] if isinstance(plans, list) and plans else data
    weights = plan.get("weights") if isinstance(plan, dict) else None
    if not isinstance(weights, dict) or not weights:
        return None
    return {str(key): float(value or 0.0) for key, value in weights.items()}


def comp_signal(workspace: Workspace) -> Signal:
    """Check that the comp plan in the settings gives margin a weight."""
    title = "comp plan margin weight"
    weights = comp_plan_weights(workspace)
    if weights is None:
        return Signal(
            id="comp_without_margin",
            functions=(10,),
            title=title,
            status="unavailable",
            evidence="no compensation plan with component weights in the settings",
        )
    margin = sum(value for key, value in weights.items() if "margin" in key)
    values = {"weights": weights, "margin_weight": margin}
    if margin <= 0:
        return Signal(
            id="comp_without_margin",
            functions=(10,),
            title=title,
            status="fired",
            evidence=f"the comp plan pays on {', '.join(sorted(weights))} with no "
            "margin weight",
            points=POINTS["comp_without_margin"],
            values=values,
        )
    return Signal(
        id="comp_without_margin",
        functions=(10,),
        title=title,
        status="clear",
        evidence=f"the comp plan gives margin a weight of {margin:.0%}",
        values=values,
    )


# -- skill gaps of the skills each function owns ------------------------------------


def skill_gap_signals(workspace: Workspace, report: GapReport | None) -> list[Signal]:
    """Return, per function owning skills, whether a measured Tier 1 gap is among them.

    Only measured gaps count (enough ranked sellers for confidence); the
    published priors never fire a signal.
    """
    owners: dict[int, list[str]] = {}
    for skill in workspace.settings.skills.catalog:
        owners.setdefault(skill.function, []).append(skill.name)
    title = "measured skill gaps"
    measured = (
        []
        if report is None
        else [gap for gap in report.gaps if gap.tier_source == "measured"]
    )
    if not measured:
        reason = (
            "no seller assessments"
            if report is None
            else "no confident measured gap (too few ranked sellers)"
        )
        return [
            Signal(
                id="skill_gaps",
                functions=tuple(sorted(owners)),
                title=title,
                status="unavailable",
                evidence=f"{reason}; the skills keep their published prior tiers",
            )
        ]
    return [
        _function_gap_signal(function, [g for g in measured if g.name in names])
        for function, names in sorted(owners.items())
        if any(g.name in names for g in measured)
    ]


def _function_gap_signal(function: int, gaps: list[SkillGap]) -> Signal:
    large = [gap for gap in gaps if gap.tier == 1]
    listed = ", ".join(f"{gap.name} {_gap_text(gap)}" for gap in (large or gaps))
    values = {"skills": {gap.name: gap.percent for gap in gaps}}
    if large:
        return Signal(
            id="skill_gaps",
            functions=(function,),
            title="measured skill gaps",
            status="fired",
            evidence=f"Tier 1 gaps in the skills it owns: {listed}",
            points=POINTS["skill_gaps"],
            values=values,
        )
    return Signal(
        id="skill_gaps",
        functions=(function,),
        title="measured skill gaps",
        status="clear",
        evidence=f"no Tier 1 gap in the skills it owns: {listed}",
        values=values,
    )


def _gap_text(gap: SkillGap) -> str:
    percent = gap.percent
    if percent is None:
        return "(undefined)"
    if percent == float("inf"):
        return "(unbounded)"
    return f"{percent:.0f}%"


# -- all signals ------------------------------------------------------------------


def compute_signals(
    workspace: Workspace,
    as_of: dt.date,
    *,
    outcomes: evidence.Outcomes | None = None,
    gaps: GapReport | None = None,
) -> list[Signal]:
    """Return every data signal, fired, clear or unavailable, as of a date.

    ``outcomes`` (trailing 12 months) and ``gaps`` are computed when not
    given; pass them when the caller already has them.
    """
    if outcomes is None:
        outcomes = evidence.compute_outcomes(workspace, evidence.trailing_span(as_of))
    if gaps is None:
        gaps = evidence.compute_skill_gaps(workspace, as_of)
    signals = [
        stage_history_signal(workspace),
        process_definition_signal(workspace),
        assessment_signal(workspace, as_of),
        activity_signal(workspace, as_of),
        hero_signal(workspace, outcomes),
        forecast_signal(workspace, as_of),
        comp_signal(workspace),
        *skill_gap_signals(workspace, gaps),
    ]
    log.info(
        "data signals as of %s: %s fired",
        as_of,
        sum(1 for signal in signals if signal.fired),
    )
    return signals


def signals_for(signals: list[Signal], function: int) -> list[Signal]:
    """Return the signals about one function."""
    return [signal for signal in signals if function in signal.functions]
