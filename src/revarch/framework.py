"""The SMARTSCALING framework: pillars, the 11 functions, tiers and skills.

These are data, not code paths: a workspace may override the skill catalog
and every threshold in ``revarch.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

PILLARS = ("Strategy", "People", "Process", "Performance")


@dataclass(frozen=True)
class Function:
    """One of the 11 revenue functions."""

    number: int
    name: str
    pillar: str
    tier: int


FUNCTIONS: tuple[Function, ...] = (
    Function(1, "Go-to-Market Strategy", "Strategy", 1),
    Function(2, "Business Trajectory", "Strategy", 3),
    Function(3, "Sales Talent Assessment", "People", 1),
    Function(4, "Sales Leadership", "People", 2),
    Function(5, "Organizational Design", "People", 3),
    Function(6, "Sales Process Architecture", "Process", 1),
    Function(7, "Sales Enablement", "Process", 2),
    Function(8, "Revenue Operations", "Process", 3),
    Function(9, "Sales Metrics & Analytics", "Performance", 1),
    Function(10, "Compensation & Incentives", "Performance", 2),
    Function(11, "Continuous Improvement", "Performance", 3),
)

SYSTEM_SKILLS = (
    "Social Selling",
    "Hunting",
    "Farming",
    "CRM Savvy",
    "Selling Value",
    "Negotiating",
)

RELATIONSHIP_SKILLS = ("Relationship Building", "Account Management", "Presentation")

# Published gaps (percent) used as priors until a company's own data measures
# them.
PRIOR_GAPS = {
    "Social Selling": 600.0,
    "Hunting": 400.0,
    "CRM Savvy": 283.0,
    "Account Management": 18.0,
}


def get_function(number: int) -> Function:
    """Return the function with this number (1-11)."""
    for function in FUNCTIONS:
        if function.number == number:
            return function
    raise KeyError(number)


SKILL_GROUPS = ("system", "relationship", "other")

# Prior tier of each skill group until a company's own data measures the gap.
GROUP_PRIOR_TIERS = {"system": 1, "relationship": 3, "other": 2}


@dataclass(frozen=True)
class SkillSpec:
    """One skill of the default catalog, scored 0-100 by assessments."""

    name: str
    group: str
    function: int
    aliases: tuple[str, ...]
    activities: tuple[str, ...]

    @property
    def prior_tier(self) -> int:
        return GROUP_PRIOR_TIERS[self.group]

    @property
    def prior_gap(self) -> float | None:
        return PRIOR_GAPS.get(self.name)


DEFAULT_SKILLS: tuple[SkillSpec, ...] = (
    SkillSpec(
        "Social Selling",
        "system",
        1,
        ("social", "social media selling", "linkedin selling"),
        (
            "Post one buyer-relevant insight on LinkedIn three times this week "
            "and start five conversations from the replies",
            "Map ten target accounts' decision makers on LinkedIn and engage "
            "with their posts before reaching out",
        ),
    ),
    SkillSpec(
        "Hunting",
        "system",
        1,
        ("prospecting", "new business", "new logo"),
        (
            "Block two hours a day for prospecting and book three first "
            "meetings with new accounts this week",
            "Rewrite the cold-call opener with the manager and make 20 calls with it",
        ),
    ),
    SkillSpec(
        "Farming",
        "system",
        1,
        ("account growth", "expansion", "upselling", "cross-selling"),
        (
            "Review the top five customers' usage and propose one expansion to each",
            "Ask three happy customers for a referral this week",
        ),
    ),
    SkillSpec(
        "CRM Savvy",
        "system",
        9,
        ("crm", "crm use", "crm hygiene"),
        (
            "Update every open opportunity's next step, close date and amount "
            "before Friday",
            "Log every call and meeting in the CRM the same day for two weeks",
        ),
    ),
    SkillSpec(
        "Selling Value",
        "system",
        6,
        ("value selling", "value articulation", "business case"),
        (
            "Quantify the value in the buyer's terms for the two largest open "
            "opportunities and review it with the manager",
            "Role-play a value conversation with a peer and record it",
        ),
    ),
    SkillSpec(
        "Negotiating",
        "system",
        6,
        ("negotiation",),
        (
            "Plan the give-gets for the next negotiation before the call and "
            "debrief it with the manager",
            "Role-play a discount request without conceding price",
        ),
    ),
    SkillSpec(
        "Qualifying",
        "other",
        6,
        ("qualification", "discovery"),
        (
            "Run the five qualification questions on every new opportunity "
            "this week and disqualify at least one",
        ),
    ),
    SkillSpec(
        "Closing",
        "other",
        6,
        ("close", "closing skills"),
        (
            "Agree a mutual close plan with the buyer on the two opportunities "
            "nearest to closing",
        ),
    ),
    SkillSpec(
        "Consultative Selling",
        "other",
        6,
        ("consultative", "solution selling"),
        (
            "Prepare ten open-ended discovery questions for the next first "
            "meeting and review the notes with the manager",
        ),
    ),
    SkillSpec(
        "Reaching Decision Makers",
        "other",
        1,
        ("reaching decision-makers", "access to power", "executive access"),
        (
            "Identify the economic buyer on three open opportunities and ask "
            "the champion for an introduction",
        ),
    ),
    SkillSpec(
        "Sales Process Discipline",
        "other",
        6,
        ("process discipline", "process adherence", "follows the process"),
        (
            "Check each open opportunity against its stage's exit criteria "
            "and move back the ones that do not meet them",
        ),
    ),
    SkillSpec(
        "Relationship Building",
        "relationship",
        7,
        ("relationships", "rapport"),
        ("Keep a monthly check-in with each key contact",),
    ),
    SkillSpec(
        "Account Management",
        "relationship",
        1,
        ("account planning", "key account management"),
        ("Keep the account plan of each key account current each quarter",),
    ),
    SkillSpec(
        "Presentation",
        "relationship",
        7,
        ("presenting", "presentation skills", "demo skills"),
        ("Rehearse the next customer presentation with a peer",),
    ),
    SkillSpec(
        "Desire",
        "other",
        3,
        ("drive", "desire for success"),
        (
            "Write down a personal income goal and the weekly activity that "
            "reaches it, and review it in the 1-on-1",
        ),
    ),
    SkillSpec(
        "Commitment",
        "other",
        3,
        ("commitment to success",),
        (
            "Commit to one uncomfortable activity this week (a call to an "
            "executive, a price conversation) and report the outcome",
        ),
    ),
    SkillSpec(
        "Responsibility",
        "other",
        3,
        ("takes responsibility", "outlook"),
        (
            "Review one lost opportunity and name what the seller, not the "
            "buyer or the market, could have done differently",
        ),
    ),
    SkillSpec(
        "Doesn't Need Approval",
        "other",
        3,
        ("does not need approval", "need for approval", "no need for approval"),
        ("Ask one hard qualifying question early in every first meeting this week",),
    ),
    SkillSpec(
        "Controls Emotions",
        "other",
        3,
        ("emotional control", "stays in control"),
        ("Role-play a tough objection with the manager and debrief how it felt",),
    ),
    SkillSpec(
        "Comfortable Discussing Money",
        "other",
        3,
        ("discussing money", "money conversations", "budget conversations"),
        ("Ask for the budget in every discovery call this week and log the answer",),
    ),
    SkillSpec(
        "Rejection Proof",
        "other",
        3,
        ("handles rejection", "resilience"),
        (
            "Track rejections this week and make the next call within five "
            "minutes of each one",
        ),
    ),
)
