"""Diagnosis of the 11 functions, prerequisites, the 90-day roadmap and the audit.

Every entry point takes a ``Workspace``:

- ``build_scorecard``: maturity 0-100 per function from the stored answers
  and the data signals, with the perception gap and the guardrails.
- ``check_prerequisites``: bookings, sellers, history and monthly tracking.
- ``build_roadmap`` / ``check_plan``: plan the sprints, or review a plan file.
- ``run_audit``: the quarterly alignment audit and the next function to fix.
- ``get_current_sprint``: the sprint of the latest saved roadmap on a date.
"""

from revarch.diagnosis.audit import Audit, run_audit
from revarch.diagnosis.plan_check import PlanCheck, check_plan
from revarch.diagnosis.prerequisites import Prerequisites, check_prerequisites
from revarch.diagnosis.roadmap import Roadmap, build_roadmap
from revarch.diagnosis.roadmap_store import get_current_sprint, load_latest_roadmap
from revarch.diagnosis.scorecard import Scorecard, build_scorecard

__all__ = [
    "Audit",
    "PlanCheck",
    "Prerequisites",
    "Roadmap",
    "Scorecard",
    "build_roadmap",
    "build_scorecard",
    "check_plan",
    "check_prerequisites",
    "get_current_sprint",
    "load_latest_roadmap",
    "run_audit",
]
