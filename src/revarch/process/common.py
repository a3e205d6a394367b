"""Scope, window and result helpers shared by every process analysis."""

from __future__ import annotations

import datetime as dt
import logging
import math
import zoneinfo
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.process.derived import SUMMARY_TABLE, VISITS_TABLE, ensure_derived
from revarch.process.stages import ResolvedProcess, normalized, resolve_process
from revarch.timeframe import View, Window, make_window

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

DateInput = str | dt.date | None


@dataclass(frozen=True)
class Scope:
    """The opportunities an analysis covers, and what it left out.

    ``chosen`` contains the opportunities of the pipeline (when one is chosen)
    created in the window (for cohort views), and ``summary`` those of them
    that the process covers. ``outside_process`` counts the others.
    """

    workspace: Workspace
    process: ResolvedProcess
    window: Window
    pipeline: str | None
    chosen: ir.Table

    @property
    def timezone(self) -> str:
        return self.workspace.settings.company.timezone

    @property
    def summary(self) -> ir.Table:
        return self.chosen.filter(self.chosen.in_process)

    @cached_property
    def _left_out(self) -> tuple[int, int]:
        """Count the chosen opportunities outside the process, and without history.

        Both come from one grouped query, run when either is first read.
        """
        chosen = self.chosen
        grouped = chosen.group_by(["in_process", "has_history"]).aggregate(
            n=chosen.count()
        )
        outside = without_history = 0
        for row in self.rows(grouped):
            if not row["in_process"]:
                outside += int(row["n"])
            elif not row["has_history"]:
                without_history += int(row["n"])
        if outside:
            log.info("%d opportunities are outside the process pipelines", outside)
        return outside, without_history

    @property
    def outside_process(self) -> int:
        """Count the chosen opportunities in pipelines the process does not cover."""
        return self._left_out[0]

    @property
    def with_history(self) -> ir.Table:
        return self.summary.filter(self.summary.has_history)

    def without_history(self) -> int:
        """Count the opportunities in scope that have no stage history."""
        return self._left_out[1]

    def visits(self) -> ir.Table:
        """Return the stage visits of the opportunities in scope with history."""
        visits = self.workspace.store.table(VISITS_TABLE)
        ids = self.with_history.select("opportunity_id")
        return visits.filter(visits.opportunity_id.isin(ids.opportunity_id))

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        return self.workspace.store.rows(expr)


def open_scope(
    workspace: Workspace,
    *,
    view: View,
    since: DateInput = None,
    until: DateInput = None,
    as_of: DateInput = None,
    pipeline: str | None = None,
    cohort: bool = True,
) -> Scope:
    """Build the scope of an analysis; raise ``InputError`` on bad options.

    A cohort scope keeps the opportunities created in the window (local
    dates, inclusive); a snapshot scope keeps all of them.
    """
    ensure_derived(workspace)
    process = resolve_process(workspace)
    window = make_window(workspace, view=view, since=since, until=until, as_of=as_of)
    summary = workspace.store.table(SUMMARY_TABLE)
    if cohort:
        summary = summary.filter(window.includes(summary.created_date))
    if pipeline is not None:
        summary = _pipeline_filter(workspace, process, summary, pipeline)
    return Scope(
        workspace=workspace,
        process=process,
        window=window,
        pipeline=pipeline,
        chosen=summary,
    )


def _pipeline_filter(
    workspace: Workspace, process: ResolvedProcess, summary: ir.Table, pipeline: str
) -> ir.Table:
    """Keep one pipeline; raise ``InputError`` when it is unknown or not covered."""
    requested = pipeline.strip().lower()
    covered = [p.strip().lower() for p in process.pipelines]
    if covered and requested not in covered:
        raise InputError(
            f"--pipeline {pipeline!r} is not covered by the process "
            f"(process.pipelines: {', '.join(process.pipelines)}); choose one "
            "of those or add it to process.pipelines in revarch.yaml"
        )
    everything = workspace.store.table(SUMMARY_TABLE)
    known = everything.select(pipeline=everything.pipeline).distinct()
    names = sorted(str(row["pipeline"]) for row in workspace.store.rows(known))
    names = [name for name in names if name != "None"]
    if requested not in {name.strip().lower() for name in names}:
        listed = ", ".join(names) if names else "none: the data has no pipelines"
        raise InputError(
            f"--pipeline {pipeline!r} matches no opportunity; the pipelines in "
            f"the data are: {listed}"
        )
    return summary.filter(normalized(summary.pipeline) == requested)


def local_midnight_after(day: dt.date, timezone: str) -> dt.datetime:
    """Return the UTC instant (naive) when ``day`` ends in ``timezone``."""
    zone = zoneinfo.ZoneInfo(timezone)
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def ratio(numerator: float, denominator: float) -> float | None:
    """Return numerator / denominator, or None when the denominator is 0."""
    if not denominator:
        return None
    return numerator / denominator


def clean_number(value: Any, digits: int | None = None) -> float | None:
    """Turn a fetched number (maybe NaN or numpy) into a float or None."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return round(number, digits) if digits is not None else number


def literal_instant(instant: dt.datetime) -> ir.TimestampScalar:
    """Return a naive UTC timestamp literal."""
    return ibis.literal(instant, type="timestamp")


def display_name(table: ir.Table) -> ir.StringValue:
    """Return the opportunity's name, else its account and product, else either.

    Some exports (flat pipeline files) carry no opportunity name; a manager
    still recognizes a deal by its account and product.
    """
    label = table.account.concat(" · ", table.product)
    return ibis.coalesce(table.name, label, table.account, table.product)


def with_seller_names(workspace: Workspace, table: ir.Table) -> ir.Table:
    """Return ``table`` with ``seller_name`` joined on its ``seller_id``."""
    sellers = workspace.store.table("sellers")
    sellers = sellers.filter(~sellers.is_deleted).select(
        seller_key=sellers.id, seller_name=sellers.name
    )
    return table.left_join(sellers, table.seller_id == sellers.seller_key)
