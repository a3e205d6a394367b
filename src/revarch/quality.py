"""Data-quality findings: what ``revarch check`` lists and the report's quality line.

Each finding has a stable ``kind``, a message, a count and example ids, so a
RevOps analyst can find the records in the CRM and fix them there.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from revarch.config import Process
from revarch.storage import Store
from revarch.workspace import Workspace

EXAMPLES = 5


def _live(table: ir.Table) -> ir.Table:
    """Drop deleted rows (and merged opportunities)."""
    live = table.filter(~table.is_deleted)
    if "is_merged" in table.columns:
        live = live.filter(~live.is_merged)
    return live


def _finding(
    store: Store, kind: str, message: str, rows: ir.Table, id_column: str
) -> dict[str, Any] | None:
    count = int(store.fetch(rows.count()))
    if not count:
        return None
    ordered = rows.select(example=rows[id_column].cast("string")).order_by("example")
    examples = [row["example"] for row in store.rows(ordered, limit=EXAMPLES)]
    return {"kind": kind, "message": message, "count": count, "examples": examples}


def mapped_labels(process: Process) -> set[str]:
    """Return every raw label the process definition maps (lowercase)."""
    labels = {label.lower() for label in process.won_labels + process.lost_labels}
    for stage in process.stages:
        labels.add(stage.label.lower())
        labels.update(alias.lower() for alias in stage.aliases)
    return labels


def _unmapped_labels(store: Store, process: Process) -> dict[str, Any] | None:
    if not process.is_defined:
        return None
    known = list(mapped_labels(process))
    events = _live(store.table("stage_events")).select(
        label=ibis._.stage_label.cast("string")
    )
    current = _live(store.table("opportunities")).select(
        label=ibis._.stage_label.cast("string")
    )
    labels = events.union(current).filter(ibis._.label.notnull()).distinct()
    unmapped = labels.filter(~labels.label.lower().isin(known))
    return _finding(
        store,
        "unmapped_stage_labels",
        "raw stage labels that map to no stage of the sales process (add them "
        "as aliases; `revarch process check` prints the YAML)",
        unmapped,
        "label",
    )


def _missing_rates(store: Store, base: str) -> dict[str, Any] | None:
    opportunities = _live(store.table("opportunities"))
    rates = store.table("fx_rates").filter(~ibis._.is_deleted)
    dated = opportunities.mutate(
        on=ibis.ifelse(
            opportunities.status == "open",
            opportunities.created_at.date(),
            opportunities.close_date.fill_null(opportunities.created_at.date()),
        )
    )
    foreign = dated.filter(
        dated.currency.notnull() & (dated.currency != base) & dated.amount.notnull()
    )
    covered = foreign.semi_join(
        rates, (foreign.currency == rates.currency) & (rates.date <= foreign.on)
    )
    missing = foreign.anti_join(covered, "id")
    return _finding(
        store,
        "missing_fx_rates",
        f"opportunities in a currency without a rate to {base} on or before "
        "their date (import fx_rates with `revarch import csv`)",
        missing.mutate(example=missing.id.concat(" (", missing.currency, ")")),
        "example",
    )


def _history_findings(store: Store) -> list[dict[str, Any] | None]:
    opportunities = _live(store.table("opportunities"))
    events = _live(store.table("stage_events"))
    without = opportunities.anti_join(events, opportunities.id == events.opportunity_id)
    early = events.join(
        opportunities, events.opportunity_id == opportunities.id
    ).filter(lambda t: t.entered_at < t.created_at)
    early_ids = early.select(id=early.opportunity_id).distinct()
    backwards = opportunities.filter(
        opportunities.close_date < opportunities.created_at.date()
    )
    return [
        _finding(
            store,
            "without_history",
            "opportunities without stage history (counted in outcomes, left out "
            "of the funnel, transitions and days in stage)",
            without,
            "id",
        ),
        _finding(
            store,
            "history_before_creation",
            "opportunities with stage history dated before their creation",
            early_ids,
            "id",
        ),
        _finding(
            store,
            "close_before_creation",
            "opportunities closing before they were created (cycle days excluded)",
            backwards,
            "id",
        ),
    ]


def _people_findings(store: Store) -> list[dict[str, Any] | None]:
    sellers = _live(store.table("sellers")).filter(ibis._.is_seller)
    opportunities = _live(store.table("opportunities"))
    idle = sellers.anti_join(opportunities, sellers.id == opportunities.seller_id)
    orphans = opportunities.filter(opportunities.seller_id.isnull())
    duplicates = (
        opportunities.filter(opportunities.name.notnull())
        .group_by(["name", "account", "seller_id", "created_at"])
        .aggregate(n=ibis._.count(), example=ibis._.id.min())
        .filter(ibis._.n > 1)
    )
    return [
        _finding(
            store,
            "sellers_without_opportunities",
            "sellers who own no opportunities",
            idle,
            "id",
        ),
        _finding(
            store,
            "opportunities_without_seller",
            "opportunities without an owner",
            orphans,
            "id",
        ),
        _finding(
            store,
            "possible_duplicates",
            "opportunities that share name, account, seller and creation time "
            "under different ids (possible duplicates)",
            duplicates,
            "example",
        ),
    ]


def _excluded(store: Store) -> list[dict[str, Any] | None]:
    opportunities = store.table("opportunities")
    return [
        _finding(
            store,
            "deleted",
            "deleted opportunities (kept, excluded everywhere)",
            opportunities.filter(opportunities.is_deleted),
            "id",
        ),
        _finding(
            store,
            "merged",
            "merged opportunities (kept, excluded everywhere)",
            opportunities.filter(opportunities.is_merged),
            "id",
        ),
    ]


def _inferred_visits(store: Store) -> dict[str, Any] | None:
    if not store.has_table("stage_visits"):
        return None
    visits = store.table("stage_visits")
    if "is_inferred" not in visits.columns:
        return None
    return _finding(
        store,
        "inferred_visits",
        "opportunities whose current stage is missing from their history (a "
        "visit is inferred: it counts for status, never for timing)",
        visits.filter(visits.is_inferred),
        "opportunity_id",
    )


def check_workspace(workspace: Workspace) -> dict[str, Any]:
    """Return the workspace's data-quality findings and import corrections."""
    store = workspace.store
    settings = workspace.settings
    _ensure_derived(workspace)
    found = [
        *_history_findings(store),
        _unmapped_labels(store, settings.process),
        _missing_rates(store, settings.company.currency),
        *_people_findings(store),
        *_excluded(store),
        _inferred_visits(store),
    ]
    findings = [f for f in found if f is not None]
    for stored in store.list_findings():
        findings.append(
            {
                "kind": f"import:{stored['kind']}",
                "message": f"{stored['message']} (at import of {stored['source']})",
                "count": stored["count"],
                "examples": stored["examples"][:EXAMPLES],
            }
        )
    return {
        "opportunities": store.count("opportunities"),
        "imports": len(store.list_imports()),
        "findings": findings,
    }


def _ensure_derived(workspace: Workspace) -> None:
    try:
        from revarch.process.derived import ensure_derived
    except ImportError:
        return
    ensure_derived(workspace)
