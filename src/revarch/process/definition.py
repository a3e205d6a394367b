"""Drafting, checking and calibrating the process definition in revarch.yaml.

- ``suggest_process`` drafts stages from the raw labels in the data, in the
  CRM's sort order (else their typical position in the history), merged
  into at most ``thresholds.max_stages`` stages, with expected values
  calibrated from history.
- ``check_process`` lists every way the definition falls short of the
  framework (stage count, criteria, required activities, expected values,
  unmapped labels).
- ``calibrate_process`` sets expected conversion and days from the trailing
  ``performance.trailing_months`` of history.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from revarch.config import Process, Stage
from revarch.errors import InputError
from revarch.process.common import DateInput, clean_number
from revarch.process.funnel import compute_funnel
from revarch.process.stages import (
    closing_labels,
    label_usage,
    live_opportunities,
    normalize_label,
    normalized,
    ordered_labels,
    resolve_process,
    slugify,
)
from revarch.process.velocity import compute_velocity
from revarch.process.yamlfile import render_process, write_process
from revarch.timeframe import Window, make_window, parse_date, resolve_as_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

CONVERSION_DIGITS = 3
DAYS_DIGITS = 1
# Expected days are calibrated to this percentile of completed visits, so a
# quarter of past visits ran longer than expected.
EXPECTED_DAYS_QUANTILE = "days_p75"


# -- trailing window -------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` months earlier, clamped to the month's end."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def calibration_dates(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
) -> tuple[dt.date, dt.date]:
    """Return (since, until): the given dates, else the trailing months.

    The trailing window is ``performance.trailing_months`` long and ends on
    ``until`` or the as-of date.
    """
    end = resolve_as_of(workspace, as_of)
    if until is not None:
        end = min(parse_date(until, "--until"), end)
    if since is not None:
        return parse_date(since, "--since"), end
    months = workspace.settings.performance.trailing_months
    return months_before(end, months) + dt.timedelta(days=1), end


# -- calibration -----------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Old and new expected values of one stage."""

    stage: str
    opportunities: int
    visits: int
    expected_conversion_old: float | None
    expected_conversion_new: float | None
    expected_days_old: float | None
    expected_days_new: float | None


@dataclass(frozen=True)
class CalibrateResult:
    """Expected values calibrated from the trailing window of history."""

    stages: list[Calibration]
    process: Process
    written: bool
    window: Window

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(row) for row in self.stages])

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": [asdict(row) for row in self.stages],
            "written": self.written,
            "window": self.window.to_dict(),
        }


def _calibrations(
    workspace: Workspace,
    process: Process,
    dates: tuple[dt.date, dt.date],
    as_of: DateInput,
    pipeline: str | None,
) -> tuple[list[Calibration], Window]:
    """Measure conversion and days per stage of ``process`` in the window."""
    since, until = dates
    options: dict[str, Any] = {
        "since": since,
        "until": until,
        "as_of": resolve_as_of(workspace, as_of),
        "pipeline": pipeline,
    }
    with _process_in_force(workspace, process):
        funnel = {row.stage: row for row in compute_funnel(workspace, **options).stages}
        velocity = compute_velocity(workspace, **options)
    days = {row.stage: row for row in velocity.stages}
    rows = []
    for stage in process.stages:
        conversion = clean_number(funnel[stage.id].conversion, CONVERSION_DIGITS)
        measured = getattr(days[stage.id], EXPECTED_DAYS_QUANTILE)
        rows.append(
            Calibration(
                stage=stage.id,
                opportunities=funnel[stage.id].reached,
                visits=days[stage.id].visits,
                expected_conversion_old=stage.expected_conversion,
                expected_conversion_new=(
                    conversion if conversion is not None else stage.expected_conversion
                ),
                expected_days_old=stage.expected_days,
                expected_days_new=(
                    clean_number(measured, DAYS_DIGITS)
                    if measured is not None
                    else stage.expected_days
                ),
            )
        )
    return rows, velocity.window


@contextmanager
def _process_in_force(workspace: Workspace, process: Process) -> Iterator[None]:
    """Use ``process`` for the analyses inside the block, then restore the settings.

    The derived tables follow the process, so they are rebuilt for the
    block and again by the next analysis after it.
    """
    saved = workspace.settings.process
    workspace.settings.process = process
    try:
        yield
    finally:
        workspace.settings.process = saved


def _apply(process: Process, rows: list[Calibration]) -> Process:
    """Return a copy of ``process`` with the new expected values."""
    by_stage = {row.stage: row for row in rows}
    stages = [
        stage.model_copy(
            update={
                "expected_conversion": by_stage[stage.id].expected_conversion_new,
                "expected_days": by_stage[stage.id].expected_days_new,
            }
        )
        for stage in process.stages
    ]
    return process.model_copy(update={"stages": stages})


def calibrate_process(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
    write: bool = False,
) -> CalibrateResult:
    """Set expected conversion and days from the trailing months of history.

    Conversion is the funnel's and days are the p75 of completed visits, of
    the opportunities created in the window. Stages without history there
    keep their values. With ``write`` the new values replace the
    ``process:`` block of revarch.yaml.
    """
    process = workspace.settings.process
    if not process.is_defined:
        raise InputError(
            f"{workspace.config_path} defines no process stages (process.stages "
            "is empty); draft them with `revarch process suggest --write` first"
        )
    dates = calibration_dates(workspace, since=since, until=until, as_of=as_of)
    rows, window = _calibrations(workspace, process, dates, as_of, pipeline)
    calibrated = _apply(process, rows)
    if write:
        write_process(workspace, calibrated)
    return CalibrateResult(rows, calibrated, write, window)


# -- suggestion ------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestResult:
    """A drafted process definition and its YAML block."""

    process: Process
    yaml: str
    labels: list[str]
    written: bool
    window: Window

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "stage": stage.id,
                    "label": stage.label,
                    "aliases": ", ".join(stage.aliases),
                    "expected_conversion": stage.expected_conversion,
                    "expected_days": stage.expected_days,
                }
                for stage in self.process.stages
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "process": self.process.model_dump(mode="json"),
            "yaml": self.yaml,
            "written": self.written,
            "window": self.window.to_dict(),
        }


def _usage(workspace: Workspace, pipeline: str | None) -> dict[str, int]:
    """Return how often each raw label is used (history rows plus current stages)."""
    rows = workspace.store.rows(label_usage(workspace, pipeline=pipeline))
    return {
        str(row["label"]): int(row["rows"]) + int(row["current"])
        for row in rows
        if row["label"]
    }


def group_labels(
    labels: list[str], usage: dict[str, int], limit: int
) -> list[list[str]]:
    """Merge neighbouring labels until at most ``limit`` groups remain.

    Each step merges the adjacent pair with the smallest combined use.
    """
    groups = [[label] for label in labels]
    while len(groups) > max(limit, 1):
        sizes = [sum(usage.get(label, 0) for label in group) for group in groups]
        pairs = range(len(groups) - 1)
        best = min(pairs, key=lambda i: (sizes[i] + sizes[i + 1], i))
        groups[best : best + 2] = [groups[best] + groups[best + 1]]
    return groups


def _draft(groups: list[list[str]], usage: dict[str, int]) -> list[Stage]:
    """Make one stage per group, named after its most used label."""
    stages: list[Stage] = []
    used: set[str] = set()
    for group in groups:
        main = max(group, key=lambda label: (usage.get(label, 0), -group.index(label)))
        base = slugify(main)
        stage_id, n = base, 2
        while stage_id in used:
            stage_id, n = f"{base}_{n}", n + 1
        used.add(stage_id)
        stages.append(
            Stage.model_validate({"id": stage_id, "label": main, "aliases": group})
        )
    return stages


def suggest_process(
    workspace: Workspace,
    *,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
    write: bool = False,
) -> SuggestResult:
    """Draft a process definition from the data and return its YAML block.

    With ``write`` it replaces the ``process:`` block of revarch.yaml.
    """
    won, lost = closing_labels(workspace)
    closing = {normalize_label(label) for label in won + lost}
    usage = _usage(workspace, pipeline)
    labels = [
        label
        for label in ordered_labels(workspace)
        if normalize_label(label) not in closing and usage.get(label, 0) > 0
    ]
    limit = workspace.settings.thresholds.max_stages
    stages = _draft(group_labels(labels, usage, limit), usage)
    draft = Process(
        stages=stages,
        won_labels=won,
        lost_labels=lost,
        pipelines=[pipeline] if pipeline else [],
    )
    dates = calibration_dates(workspace, since=since, until=until, as_of=as_of)
    window = Window("cohort", dates[0], dates[1], resolve_as_of(workspace, as_of))
    if stages:
        rows, window = _calibrations(workspace, draft, dates, as_of, pipeline)
        draft = _apply(draft, rows)
    if write:
        write_process(workspace, draft)
    return SuggestResult(draft, render_process(draft), labels, write, window)


# -- check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One way the process definition falls short of the framework."""

    kind: str
    stage: str | None
    message: str
    yaml: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """Every shortfall of the process definition."""

    findings: list[Finding]
    stages: int
    unmapped_labels: dict[str, int]
    window: Window

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def table(self) -> pd.DataFrame:
        columns = list(Finding.__dataclass_fields__)
        return pd.DataFrame([asdict(f) for f in self.findings], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stages": self.stages,
            "findings": [asdict(f) for f in self.findings],
            "unmapped_labels": self.unmapped_labels,
            "window": self.window.to_dict(),
        }


def _stage_findings(workspace: Workspace, stage: Stage) -> list[Finding]:
    """Return the shortfalls of one stage."""
    limits = workspace.settings.thresholds
    found: list[Finding] = []
    if not stage.entry_criteria:
        found.append(
            Finding(
                "missing_entry_criteria",
                stage.id,
                f"stage {stage.id!r} has no entry criteria",
            )
        )
    if not stage.exit_criteria:
        found.append(
            Finding(
                "missing_exit_criteria",
                stage.id,
                f"stage {stage.id!r} has no exit criteria",
            )
        )
    count = len(stage.required_activities)
    low, high = limits.min_required_activities, limits.max_required_activities
    if count < low:
        found.append(
            Finding(
                "too_few_activities",
                stage.id,
                f"stage {stage.id!r} has {count} required activities; the "
                f"framework asks for {low}-{high}",
            )
        )
    elif count > high:
        found.append(
            Finding(
                "too_many_activities",
                stage.id,
                f"stage {stage.id!r} has {count} required activities; the "
                f"framework asks for {low}-{high}",
            )
        )
    if stage.expected_conversion is None:
        found.append(
            Finding(
                "missing_expected_conversion",
                stage.id,
                f"stage {stage.id!r} has no expected_conversion; set it with "
                "`revarch process calibrate --write`",
            )
        )
    if stage.expected_days is None:
        found.append(
            Finding(
                "missing_expected_days",
                stage.id,
                f"stage {stage.id!r} has no expected_days; set it with "
                "`revarch process calibrate --write`",
            )
        )
    return found


def unmapped_label_counts(workspace: Workspace) -> dict[str, int]:
    """Count history rows and current stages per raw label that maps to nothing.

    Only opportunities in the process's pipelines count.
    """
    process = resolve_process(workspace)
    known = list(process.label_map())
    opportunities = live_opportunities(workspace)
    if process.pipelines:
        covered = [p.strip().lower() for p in process.pipelines]
        opportunities = opportunities.filter(
            normalized(opportunities.pipeline).isin(covered)
        )
    events = workspace.store.table("stage_events")
    events = events.filter(
        ~events.is_deleted, events.opportunity_id.isin(opportunities.id)
    ).select(label=events.stage_label.strip())
    current = opportunities.select(label=opportunities.stage_label.strip())
    labels = events.union(current, distinct=False)
    labels = labels.filter(labels.label.notnull(), labels.label != "")
    unmapped = labels.filter(~normalized(labels.label).isin(known))
    grouped = unmapped.group_by("label").aggregate(rows=ibis._.count())
    rows = workspace.store.rows(grouped.order_by("label"))
    return {str(row["label"]): int(row["rows"]) for row in rows}


def _unmapped_finding(workspace: Workspace, unmapped: dict[str, int]) -> Finding:
    """Describe the unmapped labels with the YAML to paste under a stage."""
    listed = ", ".join(f"{label!r} ({n} rows)" for label, n in unmapped.items())
    aliases = "\n".join(f"      - {_quoted(label)}" for label in unmapped)
    first = (
        workspace.settings.process.stages[0].id
        if workspace.settings.process.stages
        else "STAGE_ID"
    )
    yaml_text = (
        f"# add each label under the stage it means, for example:\n"
        f"  - id: {first}\n    aliases:\n{aliases}"
    )
    return Finding(
        "unmapped_labels",
        None,
        f"raw stage labels in the data map to no stage, won or lost label: "
        f"{listed}; their rows are dropped from every analysis",
        yaml_text,
    )


def _quoted(label: str) -> str:
    return '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_process(workspace: Workspace, *, as_of: DateInput = None) -> CheckResult:
    """List every way the process definition falls short of the framework.

    Unmapped labels are counted over all the data; the window only records
    the as-of date.
    """
    process = workspace.settings.process
    limits = workspace.settings.thresholds
    findings: list[Finding] = []

    count = len(process.stages)
    if not limits.min_stages <= count <= limits.max_stages:
        findings.append(
            Finding(
                "stage_count",
                None,
                f"the process has {count} stages; the framework asks for "
                f"{limits.min_stages}-{limits.max_stages}"
                + ("; draft them with `revarch process suggest`" if not count else ""),
            )
        )
    for stage in process.stages:
        findings.extend(_stage_findings(workspace, stage))

    if process.is_defined and not process.won_labels:
        findings.append(
            Finding(
                "missing_won_labels",
                None,
                "process.won_labels is empty; list the raw labels that mean won",
            )
        )
    if process.is_defined and not process.lost_labels:
        findings.append(
            Finding(
                "missing_lost_labels",
                None,
                "process.lost_labels is empty; list the raw labels that mean lost",
            )
        )

    unmapped = unmapped_label_counts(workspace) if process.is_defined else {}
    if unmapped:
        findings.append(_unmapped_finding(workspace, unmapped))
    window = make_window(workspace, view="snapshot", as_of=as_of)
    return CheckResult(findings, count, unmapped, window)
