"""Helpers for the diagnosis tests: answer files, settings, scripted prompts, data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from revarch.workspace import Workspace
from tests.metrics_support import load, opportunity

# (formal_process, depends_on_one_person, measured, rating)
Answer = tuple[bool, bool, bool, int]
STRONG: Answer = (True, False, True, 5)
WEAK: Answer = (False, True, False, 1)


def answer_data(
    name: str, role: str, answers: dict[int, Answer], default: Answer = STRONG
) -> dict[str, Any]:
    """Return the content of an answer file: ``answers`` per function, else default."""
    functions = {}
    for number in range(1, 12):
        formal, one_person, measured, rating = answers.get(number, default)
        functions[number] = {
            "formal_process": formal,
            "depends_on_one_person": one_person,
            "measured": measured,
            "rating": rating,
            "notes": f"note {number}",
        }
    return {"respondent": {"name": name, "role": role}, "functions": functions}


def write_answers(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def update_settings(workspace: Workspace, **sections: Any) -> None:
    """Merge top-level sections into revarch.yaml and reload the settings."""
    data = yaml.safe_load(workspace.config_path.read_text(encoding="utf-8"))
    data.update(sections)
    workspace.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    workspace.reload_settings()


PROCESS = {
    "stages": [
        {
            "id": f"s{index}",
            "label": f"Stage {index}",
            "entry_criteria": ["entry"],
            "exit_criteria": ["exit"],
            "required_activities": ["call"],
        }
        for index in range(1, 6)
    ],
    "won_labels": ["Won"],
    "lost_labels": ["Lost"],
}


class ScriptedPrompts:
    """A prompt source that replays answers and raises EOFError when they run out."""

    def __init__(self, answers: Iterable[Any]) -> None:
        self.answers = list(answers)
        self.questions: list[str] = []
        self.defaults: list[Any] = []

    def _next(self, question: str, default: Any) -> Any:
        self.questions.append(question)
        self.defaults.append(default)
        if not self.answers:
            raise EOFError
        value = self.answers.pop(0)
        return default if value is None else value

    def show(self, text: str) -> None:
        pass

    def ask_text(self, question: str, *, default: str | None = None) -> str:
        return str(self._next(question, default))

    def ask_fact(self, question: str, *, default: bool | None = None) -> bool:
        return bool(self._next(question, default))

    def ask_rating(self, question: str, *, default: int | None = None) -> int:
        return int(self._next(question, default))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def seed_small_company(workspace: Workspace) -> None:
    """Load two sellers and five opportunities whose numbers the tests know.

    As-of date: 2025-06-30 (o5's creation). Trailing 12 months: 2024-07-01
    to 2025-06-30. Won in it: o2 400,000 USD and o3 300,000 EUR at 1.1 =
    330,000 USD. o1 (500,000) closed before the window.
    """
    load(
        workspace,
        "sellers",
        [
            {"id": "s1", "name": "Ana", "is_seller": True},
            {"id": "s2", "name": "Ben", "is_seller": True},
        ],
    )
    load(
        workspace,
        "fx_rates",
        [{"currency": "EUR", "date": day("2024-01-01"), "rate": 1.1}],
    )
    rows = [
        opportunity(
            "o1",
            seller_id="s1",
            created_at=at("2024-01-10 10:00"),
            close_date=day("2024-03-01"),
            amount=500_000.0,
            currency="USD",
            status="won",
        ),
        opportunity(
            "o2",
            seller_id="s1",
            created_at=at("2024-05-01 10:00"),
            close_date=day("2024-09-15"),
            amount=400_000.0,
            currency="USD",
            status="won",
        ),
        opportunity(
            "o3",
            seller_id="s2",
            created_at=at("2024-06-01 10:00"),
            close_date=day("2025-02-10"),
            amount=300_000.0,
            currency="EUR",
            status="won",
        ),
        opportunity(
            "o4",
            seller_id="s2",
            created_at=at("2024-07-01 10:00"),
            close_date=day("2025-05-31"),
            amount=50_000.0,
            currency="USD",
            status="lost",
        ),
        opportunity(
            "o5",
            seller_id="s1",
            created_at=at("2025-06-30 10:00"),
            close_date=day("2025-09-30"),
            amount=80_000.0,
            currency="USD",
            status="open",
        ),
    ]
    load(workspace, "opportunities", rows)
