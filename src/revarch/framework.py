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
