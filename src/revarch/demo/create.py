"""Create a demo workspace: generate a company, export it, import it like real data."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from revarch.config import CONFIG_FILE
from revarch.demo.company import COMPANY_NAME, CURRENCY, TIMEZONE
from revarch.demo.export import (
    ExportCounts,
    ProgressCallback,
    chunk_count,
    write_export,
)
from revarch.demo.extras import add_assessments, add_diagnosis, add_leadership
from revarch.demo.stages import write_demo_settings
from revarch.errors import InputError
from revarch.workspace import init_workspace, open_workspace

if TYPE_CHECKING:
    from revarch.storage import ImportResult

log = logging.getLogger(__name__)

EXPORT_FOLDER = "export"
# 6,000 opportunities for the default 25 sellers over 18 months at scale 1.
OPPORTUNITIES_PER_SELLER_MONTH = 6_000 / (25 * 18)
MIN_OPPORTUNITIES = 20
MAX_SELLERS = 1_000
MAX_MONTHS = 120
MAX_SCALE = 1_000.0


@dataclass
class DemoSummary:
    """What ``create_demo`` built: the company, the export and the import."""

    path: Path
    export: Path
    counts: ExportCounts
    result: ImportResult

    def lines(self) -> list[str]:
        """Return the lines the CLI prints, one fact per line."""
        counts = self.counts
        start = _day(counts.window.start_day)
        end = _day(counts.window.end_day)
        result = self.result
        return [
            f"Company: {COMPANY_NAME} ({CURRENCY}, {TIMEZONE})",
            f"Sellers: {counts.sellers} under {counts.managers} managers "
            f"({counts.ramping} still ramping, {counts.inactive} inactive)",
            f"History: {start} to {end}",
            f"Opportunities: {counts.opportunities - counts.deleted:,} "
            f"({counts.won:,} won, {counts.lost:,} lost, {counts.open:,} open; "
            f"{counts.deleted:,} more deleted)",
            f"History rows: {counts.history_rows:,}",
            f"Activities: {counts.tasks + counts.events:,} "
            f"({counts.tasks:,} tasks, {counts.events:,} events)",
            f"Export: {self.export}",
            f"Imported: {result.rows_read:,} rows read, {result.rejected:,} rejected",
            f"Rows inserted: {result.total('inserted'):,} "
            f"({result.total('updated'):,} updated, "
            f"{result.total('unchanged'):,} unchanged, "
            f"{result.total('deleted'):,} deleted)",
            f"Workspace: {self.path}",
            f"Next: revarch -w {self.path} check",
        ]


def _no_progress(step: str, done: int, total: int) -> None:
    """Ignore progress reports."""


def _day(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def opportunity_count(sellers: int, months: int, scale: float) -> int:
    """Return how many opportunities a demo of this size generates."""
    volume = OPPORTUNITIES_PER_SELLER_MONTH * sellers * months * scale
    return max(MIN_OPPORTUNITIES, round(volume))


def _check_options(sellers: int, months: int, seed: int, scale: float) -> None:
    if not 2 <= sellers <= MAX_SELLERS:
        raise InputError(f"invalid --sellers {sellers}: use 2 to {MAX_SELLERS} sellers")
    if not 3 <= months <= MAX_MONTHS:
        raise InputError(f"invalid --months {months}: use 3 to {MAX_MONTHS} months")
    if seed < 0:
        raise InputError(f"invalid --seed {seed}: use 0 or a positive integer")
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise InputError(
            f"invalid --scale {scale}: use a number above 0 and at most "
            f"{MAX_SCALE:g} (1 gives about 13 opportunities per seller per month)"
        )


def _check_folder(folder: Path) -> None:
    """Raise ``InputError`` unless ``folder`` is missing or an empty folder."""
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"{folder} is a file; give a folder path for the demo workspace"
        )
    if (folder / CONFIG_FILE).exists():
        if (folder / EXPORT_FOLDER).is_dir():
            raise InputError(
                f"{folder} already contains a demo workspace; choose another folder "
                "or delete this one and run the demo again"
            )
        raise InputError(
            f"{folder} is already a workspace ({CONFIG_FILE} exists); choose "
            "another folder for the demo"
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(
            f"{folder} is not empty and is not a workspace; choose a new or "
            "empty folder for the demo"
        )


def _import(path: Path, export: Path, progress: ProgressCallback) -> ImportResult:
    """Import the export as a user would: the same Salesforce importer."""
    # Imported here so that generating the export never loads the database
    # libraries.
    from revarch.importers.base import ImportOptions
    from revarch.importers.salesforce import import_salesforce

    with open_workspace(path) as workspace:
        return import_salesforce(workspace, export, ImportOptions(progress=progress))


def create_demo(
    folder: Path,
    *,
    sellers: int = 25,
    months: int = 18,
    seed: int = 7,
    scale: float = 1.0,
    progress: ProgressCallback = _no_progress,
) -> DemoSummary:
    """Create a workspace, generate a B2B company's Salesforce export and import it.

    The same arguments give byte-identical export files. Raises
    ``InputError`` for out-of-range options and for a folder that exists and
    is not empty.
    """
    _check_options(sellers, months, seed, scale)
    _check_folder(folder)
    opportunities = opportunity_count(sellers, months, scale)
    steps = chunk_count(opportunities) + 2

    progress("creating the workspace", 0, steps)
    init_workspace(folder, name=COMPANY_NAME, currency=CURRENCY, timezone=TIMEZONE)
    write_demo_settings(folder / CONFIG_FILE)

    export = folder / EXPORT_FOLDER
    counts = write_export(
        export,
        seed=seed,
        sellers=sellers,
        months=months,
        opportunities=opportunities,
        progress=progress,
        step=1,
        steps=steps,
    )
    progress("importing the export", steps - 1, steps)
    result = _import(folder, export, progress)
    progress("adding assessments", steps - 1, steps)
    last_day = dt.date.fromisoformat(_day(counts.window.end_day))
    with open_workspace(folder) as workspace:
        add_assessments(workspace, export, seed=seed, last_day=last_day)
        add_diagnosis(workspace, export, last_day=last_day)
        add_leadership(workspace, seed=seed)
    return DemoSummary(folder.resolve(), export.resolve(), counts, result)
