"""Diagnosis answers: the answer file, its template and the stored answers.

Per function a respondent gives three facts (formal process or tribal
knowledge; depends on one person; measured with someone accountable), a 1-5
maturity rating and free-text notes. Answers are stored one row per question
as they are given, with the wall-clock time, in rounds: a respondent's first
diagnosis is round 1, each later one (an answer file, or the questionnaire
after a complete round) opens the next round.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from revarch.errors import InputError
from revarch.framework import FUNCTIONS, get_function
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

TABLE = "diagnosis_answers"

FACTS = ("formal_process", "depends_on_one_person", "measured")
QUESTIONS = (*FACTS, "rating", "notes")
REQUIRED = (*FACTS, "rating")

FACT_QUESTIONS = {
    "formal_process": "Is it run by a formal, documented process (yes) or by "
    "tribal knowledge (no)?",
    "depends_on_one_person": "Does it depend on one person, such as the founder?",
    "measured": "Is it measured, with someone accountable for the result?",
}

ROLE_EXAMPLES = "founder, ceo, sales leader, sales manager, revops, seller"

_TRUE = {"yes", "y", "true"}
_FALSE = {"no", "n", "false"}


@dataclass(frozen=True)
class FunctionAnswer:
    """One respondent's complete answer for one function."""

    function: int
    formal_process: bool
    depends_on_one_person: bool
    measured: bool
    rating: int
    notes: str = ""
    round: int = 0
    entered_at: dt.datetime | None = None

    def fact(self, name: str) -> bool:
        return bool(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        return {
            "formal_process": self.formal_process,
            "depends_on_one_person": self.depends_on_one_person,
            "measured": self.measured,
            "rating": self.rating,
            "notes": self.notes,
            "round": self.round,
            "entered_at": self.entered_at,
        }


@dataclass
class Respondent:
    """A respondent, their latest complete answer per function and their rounds."""

    name: str
    role: str
    answers: dict[int, FunctionAnswer] = field(default_factory=dict)
    latest_round: int = 0
    open_round: dict[tuple[int, str], Any] = field(default_factory=dict)
    complete: bool = False
    last_entered_at: dt.datetime | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "round": self.latest_round,
            "complete": self.complete,
            "answered_functions": sorted(self.answers),
            "last_entered_at": self.last_entered_at,
        }


@dataclass
class AnswerSheet:
    """A respondent's answers for all 11 functions, as read from an answer file."""

    respondent: str
    role: str
    answers: dict[int, FunctionAnswer]


# -- parsing values ------------------------------------------------------------


def parse_fact(value: Any, where: str) -> bool:
    """Read a yes/no answer; raise ``InputError`` naming ``where``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    shown = "nothing" if value is None else repr(value)
    raise InputError(f"{where}: {shown} is not an answer; use yes or no")


def parse_rating(value: Any, where: str) -> int:
    """Read a 1-5 maturity rating; raise ``InputError`` naming ``where``."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        shown = "nothing" if value is None else repr(value)
        raise InputError(f"{where}: {shown} is not a rating; use a whole number 1-5")
    if not 1 <= number <= 5:
        raise InputError(
            f"{where}: rating {number} is out of range; use 1 (ad hoc) to 5 (optimized)"
        )
    return number


def _name_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def resolve_function(key: Any, where: str) -> int:
    """Return the function number a key names: 1-11 or the function's name."""
    if isinstance(key, int) and not isinstance(key, bool) and 1 <= key <= 11:
        return key
    if isinstance(key, str):
        text = key.strip().lstrip("#")
        if text.isdigit() and 1 <= int(text) <= 11:
            return int(text)
        for function in FUNCTIONS:
            if _name_key(function.name) == _name_key(text):
                return function.number
    raise InputError(
        f"{where}: unknown function {key!r}; use a number 1-11 or a function "
        f"name such as {FUNCTIONS[5].name!r}"
    )


# -- the answer file -------------------------------------------------------------


def read_answer_file(path: Path) -> AnswerSheet:
    """Read and check an answer file; raise ``InputError`` naming the key."""
    data = _load_yaml(path)
    respondent, role = _read_respondent(data.get("respondent"), path)
    functions = data.get("functions")
    if not isinstance(functions, dict):
        raise InputError(
            f"{path}: functions: missing; give a mapping with one entry per "
            "function 1-11 (`revarch diagnose template` writes one)"
        )
    unknown = set(data) - {"respondent", "functions"}
    if unknown:
        raise InputError(
            f"{path}: unknown key {sorted(unknown)[0]!r}; the file has only "
            "respondent and functions"
        )
    answers: dict[int, FunctionAnswer] = {}
    for key, entry in functions.items():
        number = resolve_function(key, f"{path}: functions.{key}")
        if number in answers:
            raise InputError(f"{path}: functions.{key}: function {number} is repeated")
        answers[number] = _read_function(entry, number, f"{path}: functions.{key}")
    missing = [f.number for f in FUNCTIONS if f.number not in answers]
    if missing:
        name = get_function(missing[0]).name
        raise InputError(
            f"{path}: functions.{missing[0]}: missing ({name}); answer every "
            f"function 1-11 (missing: {', '.join(map(str, missing))})"
        )
    return AnswerSheet(respondent=respondent, role=role, answers=answers)


def _load_yaml(path: Path) -> dict[Any, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the answer file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: expected a mapping with respondent and functions; write "
            "one with `revarch diagnose template`"
        )
    return data


def _read_respondent(entry: Any, path: Path) -> tuple[str, str]:
    if not isinstance(entry, dict):
        raise InputError(f"{path}: respondent: missing; give name and role")
    name = check_text(entry.get("name"), f"{path}: respondent.name", "your name")
    role = check_text(
        entry.get("role"), f"{path}: respondent.role", f"a role ({ROLE_EXAMPLES})"
    )
    extra = set(entry) - {"name", "role"}
    if extra:
        raise InputError(
            f"{path}: respondent.{sorted(extra)[0]}: unknown key; use name and role"
        )
    return name, role


def check_text(value: Any, where: str, what: str) -> str:
    """Return a non-empty stripped text; raise ``InputError`` naming ``where``."""
    if value is None or not str(value).strip():
        raise InputError(f"{where}: missing; give {what}")
    return str(value).strip()


def _read_function(entry: Any, number: int, where: str) -> FunctionAnswer:
    if not isinstance(entry, dict):
        raise InputError(
            f"{where}: expected a mapping with {', '.join(QUESTIONS)}, not {entry!r}"
        )
    unknown = set(entry) - set(QUESTIONS)
    if unknown:
        raise InputError(
            f"{where}.{sorted(map(str, unknown))[0]}: unknown key; use "
            f"{', '.join(QUESTIONS)}"
        )
    for key in REQUIRED:
        if entry.get(key) is None:
            allowed = "1-5" if key == "rating" else "yes or no"
            raise InputError(f"{where}.{key}: missing answer; use {allowed}")
    notes = entry.get("notes")
    return FunctionAnswer(
        function=number,
        formal_process=parse_fact(entry["formal_process"], f"{where}.formal_process"),
        depends_on_one_person=parse_fact(
            entry["depends_on_one_person"], f"{where}.depends_on_one_person"
        ),
        measured=parse_fact(entry["measured"], f"{where}.measured"),
        rating=parse_rating(entry["rating"], f"{where}.rating"),
        notes="" if notes is None else str(notes).strip(),
    )


def render_template() -> str:
    """Return the answer-file template: every function with its questions."""
    from revarch.diagnosis.playbook import MATURITY_SCALE

    lines = [
        "# revarch diagnosis answers: one file per respondent.",
        "# Fill in every function, then run: revarch diagnose --answers FILE",
        "#",
        "# Facts, answered yes or no:",
        *(f"#   {key}: {text}" for key, text in FACT_QUESTIONS.items()),
        "# rating: your own maturity rating of the function, 1-5:",
        *(
            f"#   {level} {name}: {text}"
            for level, (name, text) in MATURITY_SCALE.items()
        ),
        "# notes: optional free text.",
        "",
        "respondent:",
        "  name:            # your name",
        f"  role:            # {ROLE_EXAMPLES}, ...",
        "functions:",
    ]
    for function in FUNCTIONS:
        lines += [
            f"  {function.number}:  # {function.name} ({function.pillar}, "
            f"Tier {function.tier})",
            "    formal_process:",
            "    depends_on_one_person:",
            "    measured:",
            "    rating:",
            '    notes: ""',
        ]
    return "\n".join(lines) + "\n"


# -- stored answers --------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _row(
    respondent: str,
    role: str,
    round_number: int,
    function: int,
    question: str,
    value: Any,
    entered_at: dt.datetime,
) -> dict[str, Any]:
    return {
        "respondent": respondent,
        "role": role,
        "round": round_number,
        "function": function,
        "question": question,
        "value": json.dumps(value),
        "entered_at": entered_at,
    }


def record_answer(
    workspace: Workspace,
    *,
    respondent: str,
    role: str,
    round_number: int,
    function: int,
    question: str,
    value: Any,
) -> None:
    """Store one answer as it is given, stamped with the wall-clock time."""
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}")
    row = _row(respondent, role, round_number, function, question, value, _now())
    workspace.store.insert_rows(TABLE, [row])


def save_answer_sheet(workspace: Workspace, sheet: AnswerSheet) -> int:
    """Store a whole answer file as the respondent's next round; return the round."""
    name = match_respondent(workspace, sheet.respondent)
    round_number = next_round(workspace, name)
    now = _now()
    rows = [
        _row(
            name,
            sheet.role,
            round_number,
            number,
            question,
            getattr(answer, question),
            now,
        )
        for number, answer in sorted(sheet.answers.items())
        for question in QUESTIONS
    ]
    workspace.store.insert_rows(TABLE, rows)
    log.info("stored round %s of %s (%s answers)", round_number, name, len(rows))
    return round_number


def _stored_rows(workspace: Workspace) -> list[dict[str, Any]]:
    table = workspace.store.table(TABLE)
    ordered = table.order_by(["respondent", "round", "entered_at", "function"])
    return workspace.store.rows(ordered)


def match_respondent(workspace: Workspace, name: str) -> str:
    """Return the stored spelling of a respondent's name (case-insensitive)."""
    wanted = name.strip().casefold()
    for row in _stored_rows(workspace):
        if row["respondent"].casefold() == wanted:
            return str(row["respondent"])
    return name.strip()


def next_round(workspace: Workspace, respondent: str) -> int:
    """Return the round number a new diagnosis of this respondent gets."""
    rounds = [
        row["round"]
        for row in _stored_rows(workspace)
        if row["respondent"] == respondent
    ]
    return max(rounds, default=0) + 1


def load_respondents(workspace: Workspace) -> list[Respondent]:
    """Return every respondent with their latest complete answer per function."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in _stored_rows(workspace):
        grouped.setdefault(row["respondent"], []).append(row)
    return [_respondent(name, rows) for name, rows in grouped.items()]


def _respondent(name: str, rows: list[dict[str, Any]]) -> Respondent:
    rounds: dict[int, dict[tuple[int, str], Any]] = {}
    stamps: dict[tuple[int, int], dt.datetime] = {}
    for row in rows:
        key = (row["function"], row["question"])
        rounds.setdefault(row["round"], {})[key] = json.loads(row["value"])
        stamps[(row["round"], row["function"])] = row["entered_at"]
    latest = max(rounds)
    result = Respondent(
        name=name,
        role=rows[-1]["role"],
        latest_round=latest,
        open_round=rounds[latest],
        complete=len(rounds[latest]) == len(FUNCTIONS) * len(QUESTIONS),
        last_entered_at=max(row["entered_at"] for row in rows),
    )
    for number in sorted(rounds, reverse=True):
        for function in FUNCTIONS:
            if function.number in result.answers:
                continue
            answer = _complete_answer(rounds[number], function.number, number)
            if answer is not None:
                stamp = stamps[(number, function.number)]
                result.answers[function.number] = _stamped(answer, stamp)
    return result


def _complete_answer(
    given: dict[tuple[int, str], Any], function: int, round_number: int
) -> FunctionAnswer | None:
    if any((function, key) not in given for key in REQUIRED):
        return None
    return FunctionAnswer(
        function=function,
        formal_process=bool(given[(function, "formal_process")]),
        depends_on_one_person=bool(given[(function, "depends_on_one_person")]),
        measured=bool(given[(function, "measured")]),
        rating=int(given[(function, "rating")]),
        notes=str(given.get((function, "notes")) or ""),
        round=round_number,
    )


def _stamped(answer: FunctionAnswer, stamp: dt.datetime) -> FunctionAnswer:
    return FunctionAnswer(**{**answer.__dict__, "entered_at": stamp})
