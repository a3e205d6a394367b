"""Rules both HubSpot layouts share: status from stage labels, findings, stage order."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.config import Process
from revarch.errors import InputError
from revarch.importers.base import normalize_header
from revarch.storage import Finding, Store

IMPORTER = "hubspot"

# HubSpot's default pipeline names its closed stages so, and its stage ids
# (`closedwon`, `closedlost`) normalize to the same keys.
DEFAULT_WON_LABELS = ("Closed Won",)
DEFAULT_LOST_LABELS = ("Closed Lost",)

EXAMPLES = 5


def _keys(labels: Iterable[str]) -> list[str]:
    return sorted({normalize_header(label) for label in labels} - {""})


def label_key(label: ir.StringValue) -> ir.StringValue:
    """Reduce a stage label to lowercase letters and digits, as ``normalize_header``."""
    return label.lower().re_replace(r"[^a-z0-9]", "")


def label_status(label: ir.StringValue, process: Process) -> ir.StringValue:
    """Return 'won', 'lost' or 'open' for a label that names such a stage, else NULL.

    Won and lost labels are HubSpot's defaults plus the process definition's.
    A label naming a process stage (or one of its aliases) is open.
    """
    won = _keys([*DEFAULT_WON_LABELS, *process.won_labels])
    lost = _keys([*DEFAULT_LOST_LABELS, *process.lost_labels])
    stages = _keys(
        name for stage in process.stages for name in (stage.label, *stage.aliases)
    )
    key = label_key(label)
    cases: list[tuple[ir.BooleanValue, str]] = [
        (key.isin(won), "won"),
        (key.isin(lost), "lost"),
    ]
    if stages:
        cases.append((key.isin(stages), "open"))
    return ibis.cases(*cases, else_=ibis.null(dt.string))


def with_seq(events: ir.Table) -> ir.Table:
    """Number each opportunity's stage events 1, 2, ... in the order entered."""
    order = ibis.window(
        group_by=events.opportunity_id,
        order_by=[events.entered_at, events.sort_order, events.stage_label],
    )
    return events.mutate(seq=(ibis.row_number().over(order) + 1).cast(dt.int32))


def check_timezone(zone: str) -> str:
    """Return ``zone`` if it is an IANA timezone, else raise naming --timezone."""
    if zone not in zoneinfo.available_timezones():
        raise InputError(
            f"unknown --timezone {zone!r}: use an IANA name such as 'UTC', "
            "'Europe/Berlin' or 'America/New_York'"
        )
    return zone


def union_all(tables: list[ir.Table]) -> ir.Table:
    """Return the rows of every table (same schema), keeping duplicates."""
    first, *rest = tables
    return first.union(*rest) if rest else first


@dataclass(frozen=True)
class Check:
    """A finding to look for: the rows of a table where ``condition`` is true."""

    condition: ir.BooleanValue
    kind: str
    message: str
    column: str = "id"


def find(store: Store, table: ir.Table, checks: list[Check]) -> list[Finding]:
    """Count every check's rows in one query and keep examples where found.

    Examples are up to five distinct values of the check's column, in order.
    """
    counts = store.rows(
        table.aggregate(
            **{
                f"n{i}": check.condition.fill_null(False).sum()
                for i, check in enumerate(checks)
            }
        )
    )[0]
    found = []
    for i, check in enumerate(checks):
        total = int(counts[f"n{i}"] or 0)
        examples: list[str] = []
        if total:
            rows = table.filter(check.condition)
            values = rows.select(value=rows[check.column].cast(dt.string))
            values = values.distinct()
            shown = store.rows(values.order_by("value"), limit=EXAMPLES)
            examples = [str(row["value"]) for row in shown]
        found.append(Finding(check.kind, total, check.message, examples))
    return found
