"""Visits, funnel, transitions and days in stage on the preppin Salesforce export.

Every expected number is recomputed here in plain Python from the CSV rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from revarch.importers.base import ImportOptions
from revarch.process import (
    compute_funnel,
    compute_transitions,
    compute_velocity,
    ensure_derived,
)
from revarch.process.definition import suggest_process
from revarch.process.derived import VISITS_TABLE
from revarch.workspace import Workspace, init_workspace, open_workspace

from .conftest import real_data

pytestmark = pytest.mark.realdata

FOLDER = "salesforce-preppin-2022w23"
WON, LOST = "Closed Won", "Closed Lost"


@dataclass
class Expected:
    """What the process analytics should find, computed from the CSV rows."""

    order: list[str]
    furthest: dict[str, int] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    days: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    inferred: int = 0


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(label: str) -> str:
    return {WON: "won", LOST: "lost"}.get(label, label)


def _collapse(rows: list[tuple[dt.date, str]]) -> list[tuple[dt.date, str]]:
    collapsed: list[tuple[dt.date, str]] = []
    for when, key in rows:
        if not collapsed or collapsed[-1][1] != key:
            collapsed.append((when, key))
    return collapsed


def expected_from_csv(folder: Path) -> Expected:
    """Recompute visits, furthest stages, moves and days from the raw files."""
    history = _read(folder / "Opportunity History.csv")
    orders = {r["StageName"]: int(r["SortOrder"]) for r in history}
    stages = sorted((s for s in orders if s not in (WON, LOST)), key=orders.get)
    index = {label: i for i, label in enumerate(stages)}
    index["won"] = len(stages)
    rows: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for row in history:
        when = dt.datetime.strptime(row["CreatedDate"], "%d/%m/%Y").date()
        rows[row["OppID"]].append((when, _key(row["StageName"])))
    found = Expected(order=stages)
    for record in _read(folder / "Opportunity.csv"):
        _add_opportunity(found, index, record, rows[record["Id"]])
    return found


def _add_opportunity(
    found: Expected,
    index: dict[str, int],
    record: dict[str, str],
    rows: list[tuple[dt.date, str]],
) -> None:
    current = _key(record["StageName"])
    path = _collapse(sorted(rows, key=lambda item: item[0]))
    inferred = path[-1][1] != current
    found.inferred += inferred and current not in ("won", "lost")
    visited = [key for _, key in path if key not in ("won", "lost")]
    if current not in ("won", "lost"):
        visited.append(current)
    found.status[record["Id"]] = current if current in ("won", "lost") else "open"
    found.furthest[record["Id"]] = (
        index["won"]
        if current == "won"
        else max((index[k] for k in visited), default=0)
    )
    for (when, key), (next_when, next_key) in zip(path, path[1:], strict=False):
        if key not in ("won", "lost"):
            found.moves[(key, next_key)] += 1
            found.days[key].append(float((next_when - when).days))


@pytest.fixture(scope="module")
def preppin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from revarch.importers.salesforce import import_salesforce

    folder = tmp_path_factory.mktemp("preppin") / "ws"
    init_workspace(folder)
    ws = open_workspace(folder)
    import_salesforce(ws, real_data(FOLDER), ImportOptions())
    ensure_derived(ws)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def expected() -> Expected:
    return expected_from_csv(real_data(FOLDER))


def stage_ids(workspace: Workspace) -> dict[str, str]:
    """Map each stage label (and won, lost) to its stage id."""
    from revarch.process.stages import resolve_process

    process = resolve_process(workspace)
    return {"won": "won", "lost": "lost"} | {s.label: s.id for s in process.stages}


def test_preppin_default_stages(preppin: Workspace, expected: Expected) -> None:
    funnel = compute_funnel(preppin)
    assert [s.label for s in funnel.stages] == expected.order


def test_preppin_funnel_counts(preppin: Workspace, expected: Expected) -> None:
    funnel = compute_funnel(preppin)
    for i, stage in enumerate(funnel.stages):
        furthest = expected.furthest
        status = expected.status
        advanced = sum(1 for o, f in furthest.items() if f > i)
        lost = sum(1 for o, f in furthest.items() if f == i and status[o] == "lost")
        still_open = sum(
            1 for o, f in furthest.items() if f == i and status[o] == "open"
        )
        assert (stage.advanced, stage.lost, stage.open) == (advanced, lost, still_open)
        assert stage.reached == advanced + lost + still_open
    assert funnel.won == Counter(expected.status.values())["won"]
    assert funnel.without_history == 0


def test_preppin_transitions(preppin: Workspace, expected: Expected) -> None:
    result = compute_transitions(preppin)
    found = {(t.from_stage, t.to_stage): t.count for t in result.transitions}
    ids = stage_ids(preppin)
    expected_pairs = {(ids[a], ids[b]): n for (a, b), n in expected.moves.items()}
    assert found == expected_pairs
    order = {label: i for i, label in enumerate(expected.order)}
    backward = sum(
        n for (a, b), n in expected.moves.items() if b in order and order[b] < order[a]
    )
    skips = sum(
        n
        for (a, b), n in expected.moves.items()
        if b in order and order[b] > order[a] + 1
    )
    assert result.backward_moves == backward
    assert result.skips == skips


def test_preppin_days_in_stage(preppin: Workspace, expected: Expected) -> None:
    result = compute_velocity(preppin)
    for row in result.stages:
        days = expected.days[row.label]
        assert row.visits == len(days)
        cuts = statistics.quantiles(days, n=20, method="inclusive")
        assert row.days_median == pytest.approx(statistics.median(days), abs=1e-3)
        assert row.days_p75 == pytest.approx(cuts[14], abs=1e-3)
        assert row.days_p90 == pytest.approx(cuts[17], abs=1e-3)


def test_preppin_inferred_visits(preppin: Workspace, expected: Expected) -> None:
    visits = preppin.store.table(VISITS_TABLE)
    inferred = preppin.store.fetch(visits.filter(visits.is_inferred).count())
    assert inferred == expected.inferred
    assert inferred == 21


def test_preppin_suggest_follows_sort_order(
    preppin: Workspace, expected: Expected
) -> None:
    result = suggest_process(preppin)
    assert [s.label for s in result.process.stages] == expected.order
    assert result.process.won_labels == [WON]
    assert result.process.lost_labels == [LOST]
