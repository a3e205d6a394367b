"""Properties of the funnel, transitions and days in stage on generated histories."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revarch.config import Process, Settings
from revarch.process import compute_funnel, compute_transitions, compute_velocity
from revarch.storage import Store
from revarch.workspace import Workspace

from .process_support import FOUR_STAGES, load, opportunity

RAW_LABELS = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
CLOSING = ["Closed Won", "Closed Lost"]
UNMAPPED = "Parked"
START = dt.datetime(2024, 1, 1)

History = list[tuple[str, list[tuple[str, int]], str]]

label = st.sampled_from([*RAW_LABELS, *CLOSING, UNMAPPED])
step = st.tuples(label, st.integers(min_value=0, max_value=20))
history = st.lists(
    st.tuples(
        st.lists(step, min_size=0, max_size=6),
        st.sampled_from([*RAW_LABELS, *CLOSING]),
    ),
    min_size=1,
    max_size=8,
)


def in_memory_workspace() -> Workspace:
    return Workspace(
        path=Path("/nonexistent"), settings=Settings(), _store=Store.in_memory()
    )


def build(histories: list[Any], rename: dict[str, str]) -> Workspace:
    """Load generated histories with raw labels renamed, and a matching process."""
    workspace = in_memory_workspace()
    opportunities = []
    events = []
    for n, (steps, current) in enumerate(histories):
        oid = f"o{n}"
        status = (
            "won"
            if current == "Closed Won"
            else "lost"
            if current == "Closed Lost"
            else "open"
        )
        opportunities.append(
            opportunity(
                oid, rename.get(current, current), status=status, created_at=START
            )
        )
        when = START
        for raw, gap in steps:
            when += dt.timedelta(days=gap)
            events.append((oid, rename.get(raw, raw), when))
    load(workspace, opportunities, events)
    process = {
        "stages": [
            {**stage, "aliases": [rename.get(a, a) for a in stage["aliases"]]}
            for stage in FOUR_STAGES["stages"]
        ],
        "won_labels": [rename.get("Closed Won", "Closed Won")],
        "lost_labels": [rename.get("Closed Lost", "Closed Lost")],
    }
    workspace.settings.process = Process.model_validate(process)
    return workspace


def outputs(workspace: Workspace) -> dict[str, Any]:
    return {
        "funnel": compute_funnel(workspace).to_dict(),
        "transitions": compute_transitions(workspace).to_dict(),
        "velocity": compute_velocity(workspace).to_dict(detail=True),
    }


# Each example builds a workspace (about a second), so the counts stay small.
PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
RENAMING_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=5)


@PROPERTY_SETTINGS
@given(history)
def test_funnel_conservation_and_rates(histories: list[Any]) -> None:
    workspace = build(histories, {})
    try:
        funnel = compute_funnel(workspace)
        for stage in funnel.stages:
            assert stage.reached == stage.advanced + stage.lost + stage.open
            for rate in (stage.conversion, stage.cumulative_conversion):
                assert rate is None or 0.0 <= rate <= 1.0
        reached = [stage.reached for stage in funnel.stages]
        assert reached == sorted(reached, reverse=True)
        assert funnel.won + funnel.lost + funnel.open == reached[0]
        days = compute_velocity(workspace)
        for row in days.stages:
            values = [row.days_median, row.days_p75, row.days_p90]
            present = [v for v in values if v is not None]
            assert present == sorted(present)
            assert all(v >= 0 for v in present)
        moves = compute_transitions(workspace)
        # Every timed visit ends in a counted move, and only those do.
        assert sum(t.count for t in moves.transitions) == sum(
            row.visits for row in days.stages
        )
        assert moves.backward_moves + moves.skips <= sum(
            t.count for t in moves.transitions
        )
    finally:
        workspace.close()


@RENAMING_SETTINGS
@given(history, st.permutations(range(7)))
def test_results_invariant_under_renaming(
    histories: list[Any], order: list[int]
) -> None:
    names = [f"Raw stage {i}" for i in order]
    rename = dict(zip([*RAW_LABELS, *CLOSING, UNMAPPED], names, strict=True))
    original = build(histories, {})
    renamed = build(histories, rename)
    try:
        assert outputs(original) == outputs(renamed)
    finally:
        original.close()
        renamed.close()
