"""Compensation: the plan, statements per seller, what-if plans, payroll export."""

from revarch.comp.plan import payout_curve, read_plan_file
from revarch.comp.statements import (
    CompComparison,
    CompResult,
    compare_plans,
    compute_comp,
    export_payroll,
)

__all__ = [
    "CompComparison",
    "CompResult",
    "compare_plans",
    "compute_comp",
    "export_payroll",
    "payout_curve",
    "read_plan_file",
]
