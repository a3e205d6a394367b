"""The demo's management inputs: skill assessments, and what leaders enter."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from revarch.storage import ImportResult
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)


def add_assessments(
    workspace: Workspace, export: Path, *, seed: int, last_day: dt.date
) -> ImportResult:
    """Write quarterly assessments that follow each seller's bookings, and import them.

    Scores rise with the seller's trailing bookings, so the measured gaps
    look like the framework's: large on system skills, small on
    relationship skills. Candidates and leader ratings come with them.
    """
    from revarch.importers.base import ImportOptions
    from revarch.metrics import compute_metrics
    from revarch.talent.assessments import import_assessments
    from revarch.talent.demo import write_demo_assessments

    rows = compute_metrics(workspace, by="seller").rows
    performance = [(row["seller"], float(row["bookings"] or 0.0)) for row in rows]
    path = write_demo_assessments(export, performance, seed, last_assessment=last_day)
    return import_assessments(workspace, path, ImportOptions())


# (formal process, depends on one person, measured, rating) per function, as
# a founder and a sales leader of a company this size typically answer.
FOUNDER = {
    1: (False, True, False, 4),
    2: (False, True, True, 4),
    3: (False, True, False, 3),
    4: (False, True, False, 3),
    5: (True, False, True, 3),
    6: (False, True, False, 3),
    7: (False, True, False, 2),
    8: (True, False, True, 3),
    9: (True, False, True, 4),
    10: (True, True, True, 4),
    11: (False, True, False, 2),
}
SALES_LEADER = {
    1: (False, True, False, 2),
    2: (False, True, True, 3),
    3: (False, True, False, 2),
    4: (False, False, True, 3),
    5: (True, False, True, 3),
    6: (False, False, False, 2),
    7: (False, False, False, 1),
    8: (True, False, True, 3),
    9: (True, False, True, 3),
    10: (True, False, True, 2),
    11: (False, True, False, 2),
}


def _answer_file(folder: Path, name: str, role: str, answers: dict) -> Path:
    lines = ["respondent:", f"  name: {name}", f"  role: {role}", "functions:"]
    for number, (formal, one_person, measured, rating) in answers.items():
        lines += [
            f"  {number}:",
            f"    formal_process: {'yes' if formal else 'no'}",
            f"    depends_on_one_person: {'yes' if one_person else 'no'}",
            f"    measured: {'yes' if measured else 'no'}",
            f"    rating: {rating}",
        ]
    path = folder / f"diagnosis-{role.replace(' ', '-')}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_diagnosis(workspace: Workspace, export: Path, *, last_day: dt.date) -> None:
    """Store a founder's and a sales leader's diagnosis and plan the roadmap.

    The roadmap starts 60 days before the data ends, so the weekly report
    shows its first sprint in progress.
    """
    from revarch.diagnosis import build_roadmap
    from revarch.diagnosis.answers import read_answer_file, save_answer_sheet

    for name, role, answers in (
        ("Dana Whitfield", "founder", FOUNDER),
        ("Priya Raman", "sales leader", SALES_LEADER),
    ):
        path = _answer_file(export, name, role, answers)
        save_answer_sheet(workspace, read_answer_file(path))
    build_roadmap(workspace, start=last_day - dt.timedelta(days=60), save=True)


def add_leadership(workspace: Workspace, *, seed: int) -> None:
    """Add forecasts per manager, a comp plan and inspection answers."""
    from revarch.leadership.demo import write_demo_leadership

    write_demo_leadership(workspace, seed)
