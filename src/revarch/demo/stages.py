"""The demo company's six-stage sales process, its activities and its settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from revarch.config import (
    Process,
    RequiredActivity,
    Stage,
    dump_process,
    read_settings,
)
from revarch.demo.ids import salesforce_ids
from revarch.errors import RevarchError

MARGIN_FIELD = "Gross_Margin__c"
WON_LABEL = "Closed Won"
LOST_LABEL = "Closed Lost"

# Activity kinds; meetings are exported as Events, the rest as Tasks.
CALL, EMAIL, SOCIAL, MEETING = 0, 1, 2, 3
ActivityKind = Literal["call", "email", "social", "meeting"]
KIND_NAMES: tuple[ActivityKind, ...] = ("call", "email", "social", "meeting")


@dataclass(frozen=True)
class DemoStage:
    """One process stage: its Salesforce name and how the demo simulates it."""

    id: str
    label: str
    salesforce_name: str
    entry: str
    exit: str
    activities: tuple[tuple[str, int], ...]
    advance: float
    days: float
    probability: int
    forecast: str


STAGES: tuple[DemoStage, ...] = (
    DemoStage(
        "prospecting",
        "Prospecting",
        "Prospecting",
        "A target account shows interest or answers outreach.",
        "A contact agrees to a qualification conversation.",
        (
            ("Intro call", CALL),
            ("Outreach email", EMAIL),
            ("LinkedIn connection", SOCIAL),
        ),
        0.70,
        8,
        10,
        "Pipeline",
    ),
    DemoStage(
        "qualification",
        "Qualification",
        "Qualification",
        "A contact agreed to talk about a need.",
        "Need, budget range and timeline are confirmed.",
        (
            ("Qualification call", CALL),
            ("Budget confirmation email", EMAIL),
            ("LinkedIn champion message", SOCIAL),
            ("Qualification meeting", MEETING),
        ),
        0.75,
        12,
        20,
        "Pipeline",
    ),
    DemoStage(
        "discovery",
        "Discovery",
        "Discovery",
        "Need, budget range and timeline are confirmed.",
        "Pains, stakeholders and the decision process are documented.",
        (
            ("Discovery meeting", MEETING),
            ("Stakeholder map email", EMAIL),
            ("Pain follow-up call", CALL),
            ("LinkedIn decision maker", SOCIAL),
        ),
        0.78,
        15,
        30,
        "Pipeline",
    ),
    DemoStage(
        "solution",
        "Solution Demo",
        "Solution/Demo",
        "The documented pains map to the product.",
        "The buyer confirms the solution fits in a demo or pilot.",
        (
            ("Product demo", MEETING),
            ("Demo recap email", EMAIL),
            ("Technical call", CALL),
        ),
        0.80,
        14,
        50,
        "Best Case",
    ),
    DemoStage(
        "proposal",
        "Proposal",
        "Proposal/Price Quote",
        "The buyer confirmed the fit and asked for pricing.",
        "The buyer accepts the proposal's scope and price range.",
        (
            ("Proposal review meeting", MEETING),
            ("Proposal sent email", EMAIL),
            ("Pricing call", CALL),
            ("Business case email", EMAIL),
        ),
        0.82,
        12,
        70,
        "Best Case",
    ),
    DemoStage(
        "negotiation",
        "Negotiation",
        "Negotiation/Review",
        "The buyer accepted scope and price range.",
        "The contract is signed, or the buyer declines.",
        (
            ("Negotiation call", CALL),
            ("Contract redlines email", EMAIL),
            ("Executive sponsor meeting", MEETING),
            ("Procurement follow-up email", EMAIL),
            ("Close plan meeting", MEETING),
        ),
        0.72,
        10,
        85,
        "Commit",
    ),
)

STAGE_COUNT = len(STAGES)
WON = STAGE_COUNT
LOST = STAGE_COUNT + 1
# Salesforce StageName by stage code: the process stages, then won and lost.
STAGE_NAMES = [stage.salesforce_name for stage in STAGES] + [WON_LABEL, LOST_LABEL]
PROBABILITIES = np.array([s.probability for s in STAGES] + [100, 0], dtype=np.int64)
FORECAST_CATEGORIES = [s.forecast for s in STAGES] + ["Closed", "Omitted"]
ADVANCE = np.array([stage.advance for stage in STAGES])
EXPECTED_DAYS = np.array([stage.days for stage in STAGES])

# Activity subjects outside the required ones, by kind.
FOLLOW_UPS = (
    ("Follow-up call", CALL),
    ("Follow-up email", EMAIL),
    ("LinkedIn message", SOCIAL),
    ("Check-in meeting", MEETING),
)
PROSPECTING_TOUCHES = (
    ("Cold call", CALL),
    ("Prospecting email", EMAIL),
    ("LinkedIn invitation", SOCIAL),
)


def _subjects() -> tuple[list[str], np.ndarray]:
    """Return every activity subject and the kind of each."""
    pairs = [pair for stage in STAGES for pair in stage.activities]
    pairs += list(FOLLOW_UPS) + list(PROSPECTING_TOUCHES)
    return [name for name, _ in pairs], np.array([kind for _, kind in pairs])


SUBJECTS, SUBJECT_KINDS = _subjects()
MAX_REQUIRED = max(len(stage.activities) for stage in STAGES)


def _required_table() -> np.ndarray:
    """Return the subject codes each stage requires, padded with -1."""
    table = np.full((STAGE_COUNT, MAX_REQUIRED), -1, dtype=np.int64)
    for index, stage in enumerate(STAGES):
        for slot, (name, _kind) in enumerate(stage.activities):
            table[index, slot] = SUBJECTS.index(name)
    return table


REQUIRED = _required_table()
FOLLOW_UP_CODES = np.array([SUBJECTS.index(name) for name, _ in FOLLOW_UPS])
PROSPECTING_CODES = np.array([SUBJECTS.index(n) for n, _ in PROSPECTING_TOUCHES])


def demo_process() -> Process:
    """Build the process definition that matches the generated history."""
    stages = []
    for stage in STAGES:
        stages.append(
            Stage(
                id=stage.id,
                label=stage.label,
                aliases=[stage.salesforce_name],
                entry_criteria=[stage.entry],
                exit_criteria=[stage.exit],
                required_activities=[
                    RequiredActivity(
                        name=name, type=KIND_NAMES[kind], subject_contains=[name]
                    )
                    for name, kind in stage.activities
                ],
                expected_conversion=stage.advance,
                expected_days=stage.days,
            )
        )
    return Process(stages=stages, won_labels=[WON_LABEL], lost_labels=[LOST_LABEL])


def _block(text: str, key: str) -> re.Match[str]:
    """Find the top-level YAML block ``key:``, up to the next top-level line."""
    pattern = re.compile(rf"^{key}:.*?(?=^[A-Za-z_#]|\Z)", re.MULTILINE | re.DOTALL)
    match = pattern.search(text)
    if match is None:
        raise RevarchError(f"the workspace settings have no top-level {key}: block")
    return match


def _replace_block(text: str, key: str, block: str) -> str:
    """Replace the top-level YAML block ``key:`` with ``block``."""
    match = _block(text, key)
    separator = "\n" if match.end() < len(text) else ""
    return text[: match.start()] + block + separator + text[match.end() :]


def _set_value(text: str, block: str, key: str, value: str) -> str:
    """Set ``key: value`` on its existing line inside a top-level block."""
    match = _block(text, block)
    line = re.compile(rf"^([ \t]+{key}:)[^\n]*$", re.MULTILINE)
    body, replaced = line.subn(rf"\g<1> {value}", match.group(0), count=1)
    if not replaced:
        raise RevarchError(f"the workspace settings have no {block}.{key} line")
    return text[: match.start()] + body + text[match.end() :]


def write_demo_settings(config_path: Path) -> None:
    """Write the demo process and margin field into ``revarch.yaml``, then validate.

    Only the ``process:`` block and the ``fields.margin`` line change, so the
    comments of every other section stay as they are.
    """
    text = config_path.read_text(encoding="utf-8")
    text = _replace_block(text, "process", dump_process(demo_process()))
    text = _set_value(text, "fields", "margin", MARGIN_FIELD)
    config_path.write_text(text, encoding="utf-8")
    settings = read_settings(config_path)
    if settings.fields.margin != MARGIN_FIELD or not settings.process.is_defined:
        raise RevarchError(f"{config_path}: the demo settings did not apply")


def stages_table() -> pa.Table:
    """Build OpportunityStage.csv: every stage's order, closed and won flags."""
    names = STAGE_NAMES
    count = len(names)
    closed = [False] * STAGE_COUNT + [True, True]
    return pa.table(
        {
            "Id": salesforce_ids("stage", 20, count),
            "MasterLabel": pa.array(names, pa.string()),
            "ApiName": pa.array(names, pa.string()),
            "IsActive": pa.array([True] * count),
            "SortOrder": pa.array(range(1, count + 1), pa.int64()),
            "IsClosed": pa.array(closed),
            "IsWon": pa.array([False] * STAGE_COUNT + [True, False]),
            "ForecastCategoryName": pa.array(FORECAST_CATEGORIES, pa.string()),
            "DefaultProbability": pa.array(PROBABILITIES, pa.int64()),
        }
    )
