"""The diagnosis vocabulary: the 1-5 maturity scale, first steps and outcome metrics.

These are data, shown by the questionnaire, the scorecard and the roadmap.
"""

from __future__ import annotations

from dataclasses import dataclass

# The respondent's own rating of a function, 1-5.
MATURITY_SCALE: dict[int, tuple[str, str]] = {
    1: ("Ad hoc", "nobody owns it; it is done differently each time; results unknown"),
    2: (
        "Emerging",
        "some habits exist, but they live in people's heads (tribal knowledge), "
        "usually one person's",
    ),
    3: ("Defined", "written down and mostly followed; partly measured"),
    4: (
        "Managed",
        "documented, followed by everyone, measured every month or week, with "
        "an accountable owner",
    ),
    5: (
        "Optimized",
        "managed, improved every quarter from its own data, and runs without "
        "any one person",
    ),
}

TIER_LABELS = {1: "fix", 2: "optimize", 3: "maintain"}

FIRST_STEPS: dict[int, tuple[str, ...]] = {
    1: (
        "Write down the ideal customer profile and the buyer journey that the "
        "sales process must fit.",
        "Name the competencies the strategy requires (for a new-logo motion: "
        "Hunting, Social Selling, Reaching Decision Makers) and list them in "
        "hiring_profile.required_competencies.",
        "Compare win rate and bookings by segment over the trailing 12 months "
        "and stop pursuing segments outside the profile.",
    ),
    2: (
        "Once a quarter, check the 12-18 month revenue target against the "
        "hiring plan and the pipeline it needs.",
    ),
    3: (
        "Choose a competency assessment tool (about 150-500 per seller) and "
        "assess every seller on the 21 skills.",
        "Baseline the current team: its scores set the minimum viable "
        "competency thresholds.",
        "Screen candidates before the interview: at or above the team's top "
        "quartile in at least 3 of the 6 Tier 1 skills.",
        "Write an individual development plan for every seller with a Tier 1 "
        "gap, and reassess every 90 days.",
    ),
    4: (
        "Hold a weekly 30-minute 1-on-1 with each seller, same agenda every "
        "week: review the metrics, name the #1 competency gap, assign one "
        "skill-building activity.",
        "Inspect every open opportunity above the inspection amount weekly, "
        "with the same five qualification questions every time.",
        "Make each manager own forecast accuracy within +/-10%: record the "
        "commit forecast every period and compare it with the bookings.",
        "Give managers the assessment data and teach them to read skill gaps by tier.",
    ),
    5: (
        "Each quarter, check that no seller holds most of the bookings and "
        "that every account and opportunity has an owner.",
    ),
    6: (
        "Define 5-7 stages, each with entry criteria, exit criteria (the "
        "gates), 3-5 required activities, an expected conversion rate from "
        "your own history and the expected days in stage.",
        "Map every CRM stage label to a stage so that each stage change is "
        "recorded as history.",
        "Put the process on one page and pilot it with the top performer for "
        "30 days; simplify whatever they cannot run.",
        "Roll it out to the team and track stage-to-stage conversion weekly "
        "to see where opportunities stall.",
    ),
    7: (
        "Build content only for the stages and gates of the documented "
        "process, starting at the stage where opportunities stall.",
        "Train the Tier 1 skills behind the stalls first (usually qualifying "
        "and value articulation), not presentation or relationship skills.",
        "Give new sellers the one-page process and its required activities in "
        "their first week.",
    ),
    8: (
        "Keep the CRM complete: an owner, amount, close date and stage "
        "history on every opportunity; run `revarch check` monthly.",
    ),
    9: (
        "Log every call, email, social touch and meeting in the CRM, linked "
        "to its opportunity.",
        "Track weekly: activity, stage-to-stage conversion, days in stage and "
        "cycle time, quarterly competency scores, bookings, revenue per "
        "seller and margin per opportunity.",
        "Publish a one-page dashboard every week and review it in each "
        "seller's 30-minute 1-on-1.",
    ),
    10: (
        "Pay only on what is measured: check that every plan component has a "
        "metric in the weekly dashboard.",
        "Weight the plan: high-margin opportunities 30%, process adherence "
        "20%, competency development 10%, revenue 40%.",
        "Record gross margin on every opportunity so that the margin "
        "component can be paid.",
        "Model the new plan on last year's won opportunities before rolling it out.",
    ),
    11: (
        "Run the quarterly alignment audit (`revarch audit`) and choose one "
        "function for the next sprint.",
    ),
}


@dataclass(frozen=True)
class OutcomeSpec:
    """The outcome metric a sprint on one function moves, and its target rule."""

    key: str
    label: str
    unit: str
    target_rule: str


OUTCOMES: dict[int, OutcomeSpec] = {
    1: OutcomeSpec(
        "win_rate",
        "win rate of opportunities closed in the trailing 12 months",
        "fraction",
        "current + 0.05",
    ),
    3: OutcomeSpec(
        "sellers_assessed_share",
        "share of active sellers assessed in the last 90 days",
        "fraction",
        "1.0",
    ),
    4: OutcomeSpec(
        "forecast_accuracy",
        "forecast accuracy of the managers' commit forecasts",
        "fraction",
        "1 - forecast_tolerance",
    ),
    6: OutcomeSpec(
        "stage_history_share",
        "share of opportunities created in the trailing 12 months with stage history",
        "fraction",
        "0.95, or the current value when higher",
    ),
    7: OutcomeSpec(
        "cycle_days_median",
        "median cycle days of opportunities won in the trailing 12 months",
        "days",
        "current x 0.85",
    ),
    9: OutcomeSpec(
        "sellers_logging_activity_share",
        "share of active sellers who logged an activity in the last 28 days",
        "fraction",
        "1.0",
    ),
    10: OutcomeSpec(
        "comp_margin_weight",
        "weight of gross margin in the compensation plan",
        "fraction",
        "0.30, or the current value when higher",
    ),
}
