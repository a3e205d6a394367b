"""The process stages in force: the definition in revarch.yaml, or one drawn from data.

Raw CRM labels are matched trimmed and case-insensitively. A stage matches
its aliases and its own label; ``won_labels`` and ``lost_labels`` mark the
closing labels. Without a definition every raw label that is not a won or
lost label becomes its own stage, in the CRM's sort order where the export
gives one, else in its typical position in the history.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from revarch.config import Process
from revarch.errors import ConfigError

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

WON = "won"
LOST = "lost"
LabelKind = Literal["stage", "won", "lost"]


def normalize_label(label: str) -> str:
    """Reduce a raw stage label to its matching form: trimmed, lowercase."""
    return label.strip().lower()


def normalized(column: ir.StringValue) -> ir.StringValue:
    """Return the matching form of a label column (see ``normalize_label``)."""
    return column.strip().lower()


def slugify(label: str) -> str:
    """Turn a raw label into a stage id: lowercase letters, digits, '-' and '_'."""
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return slug or "stage"


@dataclass(frozen=True)
class StageSpec:
    """One process stage in order, with the raw labels that mean it."""

    id: str
    label: str
    index: int
    aliases: tuple[str, ...]
    expected_conversion: float | None = None
    expected_days: float | None = None


@dataclass(frozen=True)
class ResolvedProcess:
    """The ordered stages and closing labels that every analysis uses."""

    stages: tuple[StageSpec, ...]
    won_labels: tuple[str, ...]
    lost_labels: tuple[str, ...]
    pipelines: tuple[str, ...]
    defined: bool

    def label_map(self) -> dict[str, tuple[str, LabelKind, int]]:
        """Map each normalized raw label to (stage id or won/lost, kind, index).

        Won labels get the index past every stage, lost labels -1.
        """
        mapping: dict[str, tuple[str, LabelKind, int]] = {}
        for label in self.won_labels:
            mapping[normalize_label(label)] = (WON, "won", len(self.stages))
        for label in self.lost_labels:
            mapping.setdefault(normalize_label(label), (LOST, "lost", -1))
        for stage in self.stages:
            for alias in stage.aliases:
                mapping.setdefault(
                    normalize_label(alias), (stage.id, "stage", stage.index)
                )
        for stage in self.stages:
            mapping.setdefault(
                normalize_label(stage.label), (stage.id, "stage", stage.index)
            )
        return mapping

    def label_table(self) -> ir.Table:
        """Return ``label_map`` as a table: norm_label, key, kind, stage_index."""
        mapping = self.label_map()
        return ibis.memtable(
            {
                "norm_label": list(mapping),
                "key": [value[0] for value in mapping.values()],
                "kind": [value[1] for value in mapping.values()],
                "stage_index": [value[2] for value in mapping.values()],
            },
            schema={
                "norm_label": "string",
                "key": "string",
                "kind": "string",
                "stage_index": "int32",
            },
        )


def settings_fingerprint(workspace: Workspace) -> str:
    """Return a hash of the settings the derived tables depend on."""
    settings = workspace.settings
    text = settings.process.model_dump_json() + "|" + settings.company.timezone
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_aliases(process: Process) -> None:
    """Raise ``ConfigError`` for a reserved stage id or a raw label used twice."""
    owners: dict[str, str] = {}

    def claim(label: str, owner: str, key: str) -> None:
        norm = normalize_label(label)
        previous = owners.setdefault(norm, owner)
        if previous != owner:
            raise ConfigError(
                f"revarch.yaml {key}: the raw label {label!r} also belongs to "
                f"{previous}; a raw label can mean only one stage, remove it "
                "from one of them"
            )

    for i, stage in enumerate(process.stages):
        if stage.id in (WON, LOST):
            raise ConfigError(
                f"revarch.yaml process.stages[{i}].id: {stage.id!r} is reserved "
                "for closed opportunities; give the stage another id and list "
                "its raw labels in process.won_labels or process.lost_labels"
            )
    for label in process.won_labels:
        claim(label, "won_labels", "process.won_labels")
    for label in process.lost_labels:
        claim(label, "lost_labels", "process.lost_labels")
    for i, stage in enumerate(process.stages):
        for alias in stage.aliases:
            claim(alias, f"stage {stage.id!r}", f"process.stages[{i}].aliases")


def resolve_process(workspace: Workspace) -> ResolvedProcess:
    """Return the process in force: the definition, else one drawn from the data."""
    process = workspace.settings.process
    _check_aliases(process)
    won, lost = list(process.won_labels), list(process.lost_labels)
    if not won and not lost:
        won, lost = closing_labels(workspace)
    if not process.is_defined:
        closing = {normalize_label(label) for label in won + lost}
        labels = [
            label
            for label in ordered_labels(workspace)
            if normalize_label(label) not in closing
        ]
        stages = _stages_from_labels(labels)
    else:
        stages = tuple(
            StageSpec(
                id=stage.id,
                label=stage.label,
                index=i,
                aliases=tuple(stage.aliases),
                expected_conversion=stage.expected_conversion,
                expected_days=stage.expected_days,
            )
            for i, stage in enumerate(process.stages)
        )
    return ResolvedProcess(
        stages=stages,
        won_labels=tuple(won),
        lost_labels=tuple(lost),
        pipelines=tuple(process.pipelines),
        defined=process.is_defined,
    )


def _stages_from_labels(labels: list[str]) -> tuple[StageSpec, ...]:
    """Make one stage per raw label, with unique ids."""
    stages: list[StageSpec] = []
    used: set[str] = set()
    for label in labels:
        base = slugify(label)
        stage_id, n = base, 2
        while stage_id in used:
            stage_id, n = f"{base}_{n}", n + 1
        used.add(stage_id)
        stages.append(StageSpec(stage_id, label, len(stages), (label,)))
    return tuple(stages)


# -- raw labels in the data -------------------------------------------------


def live_opportunities(workspace: Workspace) -> ir.Table:
    """Return the opportunities that are neither deleted nor merged."""
    opportunities = workspace.store.table("opportunities")
    return opportunities.filter(~opportunities.is_deleted, ~opportunities.is_merged)


def live_events(workspace: Workspace) -> ir.Table:
    """Return the stage history rows of live opportunities."""
    events = workspace.store.table("stage_events")
    events = events.filter(~events.is_deleted, events.stage_label.notnull())
    ids = live_opportunities(workspace).select("id")
    return events.filter(events.opportunity_id.isin(ids.id))


def closing_labels(workspace: Workspace) -> tuple[list[str], list[str]]:
    """Return (won labels, lost labels) from the CRM's stage flags, else the names.

    Where the export has stage flags (``stage_labels.is_won``/``is_closed``)
    they decide; otherwise a label containing "won" is won and one
    containing "lost" is lost.
    """
    labels = raw_labels(workspace)
    flags = _stage_flags(workspace)
    won: list[str] = []
    lost: list[str] = []
    for label in labels:
        norm = normalize_label(label)
        if norm in flags:
            is_closed, is_won = flags[norm]
            if is_closed and is_won:
                won.append(label)
            elif is_closed:
                lost.append(label)
        elif "won" in norm:
            won.append(label)
        elif "lost" in norm:
            lost.append(label)
    return won, lost


def _stage_flags(workspace: Workspace) -> dict[str, tuple[bool, bool]]:
    """Return (is_closed, is_won) per normalized label where the export sets them."""
    table = workspace.store.table("stage_labels")
    table = table.filter(~table.is_deleted, table.is_closed.notnull())
    grouped = table.group_by(norm=normalized(table.label)).aggregate(
        is_closed=table.is_closed.any(),
        is_won=table.is_won.fill_null(False).any(),
    )
    rows = workspace.store.rows(grouped.order_by("norm"))
    return {row["norm"]: (bool(row["is_closed"]), bool(row["is_won"])) for row in rows}


def label_usage(workspace: Workspace, *, pipeline: str | None = None) -> ir.Table:
    """Return one row per raw label: rows, opportunities, sort order, position.

    ``position`` is the label's mean relative position in the histories of
    two rows or more (0 first row, 1 last row). ``sort_order`` is the CRM's
    order where the export gives one. Labels seen only as current stages have
    no position. ``pipeline`` keeps the opportunities and CRM labels of that
    pipeline.
    """
    events = live_events(workspace)
    current = live_opportunities(workspace)
    crm = workspace.store.table("stage_labels")
    crm = crm.filter(~crm.is_deleted)
    if pipeline is not None:
        requested = pipeline.strip().lower()
        current = current.filter(normalized(current.pipeline) == requested)
        events = events.filter(events.opportunity_id.isin(current.id))
        crm = crm.filter(normalized(crm.pipeline) == requested)
    order = [events.entered_at, events.seq, events.import_source, events.source_id]
    window = ibis.window(group_by=events.opportunity_id, order_by=order)
    count_window = ibis.window(group_by=events.opportunity_id)
    ranked = events.mutate(
        rank=ibis.row_number().over(window),
        total=events.opportunity_id.count().over(count_window),
    )
    ranked = ranked.mutate(
        relative=ranked.rank.cast("float64")
        / ibis.greatest(ranked.total - 1, 1).cast("float64")
    )
    history = ranked.group_by(label=ranked.stage_label.strip()).aggregate(
        rows=ranked.count(),
        opportunities=ranked.opportunity_id.nunique(),
        position=ranked.relative.mean(where=ranked.total > 1),
        event_order=ranked.sort_order.min(),
    )
    current = current.filter(current.stage_label.notnull())
    current = current.group_by(label=current.stage_label.strip()).aggregate(
        current=current.count()
    )
    crm = crm.group_by(label=crm.label.strip())
    crm = crm.aggregate(crm_order=ibis._.sort_order.min())
    labels = (
        history.select("label")
        .union(current.select("label"))
        .union(crm.select("label"))
        .distinct()
    )
    joined = labels.left_join(history, "label").left_join(current, "label")
    joined = joined.left_join(crm, "label")
    return joined.select(
        "label",
        rows=joined.rows.fill_null(0),
        opportunities=joined.opportunities.fill_null(0),
        current=joined.current.fill_null(0),
        position=joined.position,
        sort_order=joined.crm_order.coalesce(joined.event_order),
    )


def raw_labels(workspace: Workspace) -> list[str]:
    """Return every raw label in the data (history, current stages, CRM list)."""
    rows = workspace.store.rows(label_usage(workspace).select("label"))
    return sorted(row["label"] for row in rows if row["label"])


def ordered_labels(workspace: Workspace) -> list[str]:
    """Return the raw labels in the CRM's sort order, else in typical position.

    Labels with a CRM sort order come first, in that order; labels without
    one (often the closed labels) follow in their typical position in the
    history.
    """
    rows = workspace.store.rows(label_usage(workspace))
    rows = [row for row in rows if row["label"]]
    rows.sort(key=_order_key)
    return [row["label"] for row in rows]


def _order_key(row: dict[str, object]) -> tuple[int, float, str]:
    order = row["sort_order"]
    if isinstance(order, int | float):
        return (0, float(order), str(row["label"]))
    position, label = _position_key(row)
    return (1, position, label)


def _position_key(row: dict[str, object]) -> tuple[float, str]:
    position = row["position"]
    value = float(position) if isinstance(position, int | float) else 2.0
    return (value, str(row["label"]))
