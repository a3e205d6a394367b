"""The interactive diagnosis questionnaire, resumable question by question.

Each answer is stored as soon as it is given. A rerun by the same respondent
continues the open round at the first unanswered question; after a complete
round, a rerun opens a new round and offers the previous answers as
defaults, so re-running the diagnosis takes a few key presses per function.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from revarch.diagnosis.answers import (
    FACT_QUESTIONS,
    QUESTIONS,
    ROLE_EXAMPLES,
    FunctionAnswer,
    Respondent,
    check_text,
    load_respondents,
    parse_fact,
    parse_rating,
    record_answer,
)
from revarch.framework import FUNCTIONS, Function
from revarch.workspace import Workspace

log = logging.getLogger(__name__)


class PromptSource(Protocol):
    """Where answers come from: the terminal, or a script in tests."""

    def show(self, text: str) -> None: ...

    def ask_text(self, question: str, *, default: str | None = None) -> str: ...

    def ask_fact(self, question: str, *, default: bool | None = None) -> bool: ...

    def ask_rating(self, question: str, *, default: int | None = None) -> int: ...


@dataclass
class QuestionnaireResult:
    """The outcome of one questionnaire run."""

    respondent: str
    role: str
    round: int
    asked: int
    resumed: bool
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Session:
    workspace: Workspace
    prompts: PromptSource
    respondent: str
    role: str
    round: int
    given: dict[tuple[int, str], Any]
    previous: dict[int, FunctionAnswer]
    asked: int = 0


def run_questionnaire(
    workspace: Workspace,
    prompts: PromptSource,
    *,
    respondent: str | None = None,
    role: str | None = None,
) -> QuestionnaireResult:
    """Ask every unanswered question of the respondent's round and store each answer.

    Exceptions from ``prompts`` (end of input, Ctrl-C) propagate; every answer
    given before them is already stored.
    """
    stored = load_respondents(workspace)
    name = _ask_name(prompts, stored, respondent)
    existing = _find(stored, name)
    if existing is not None:
        name = existing.name
    role = _ask_role(prompts, existing, role)
    resumed = existing is not None and not existing.complete
    if existing is not None and resumed:
        round_number, given = existing.latest_round, dict(existing.open_round)
    else:
        round_number = existing.latest_round + 1 if existing else 1
        given = {}
    session = _Session(
        workspace=workspace,
        prompts=prompts,
        respondent=name,
        role=role,
        round=round_number,
        given=given,
        previous=existing.answers if existing else {},
    )
    _announce(session, resumed)
    for function in FUNCTIONS:
        _ask_function(session, function)
    return QuestionnaireResult(
        respondent=name,
        role=role,
        round=round_number,
        asked=session.asked,
        resumed=resumed,
        complete=True,
    )


def _find(stored: list[Respondent], name: str) -> Respondent | None:
    for item in stored:
        if item.name.casefold() == name.casefold():
            return item
    return None


def _ask_name(
    prompts: PromptSource, stored: list[Respondent], given: str | None
) -> str:
    if given is not None:
        return check_text(given, "--respondent", "your name")
    open_rounds = [item for item in stored if not item.complete]
    latest = max(open_rounds, key=lambda item: item.last_entered_at or 0, default=None)
    default = latest.name if latest is not None else None
    return check_text(prompts.ask_text("Your name", default=default), "name", "a name")


def _ask_role(
    prompts: PromptSource, existing: Respondent | None, given: str | None
) -> str:
    if given is not None:
        return check_text(given, "--role", f"a role ({ROLE_EXAMPLES})")
    default = existing.role if existing is not None else None
    answer = prompts.ask_text(f"Your role ({ROLE_EXAMPLES})", default=default)
    return check_text(answer, "role", f"a role ({ROLE_EXAMPLES})")


def _announce(session: _Session, resumed: bool) -> None:
    done = len({function for function, _ in session.given})
    if resumed:
        session.prompts.show(
            f"Continuing round {session.round} of {session.respondent}: "
            f"{len(session.given)} answers already stored ({done} functions "
            "started)."
        )
    elif session.previous:
        session.prompts.show(
            f"Round {session.round} for {session.respondent}: the previous "
            "answers are the defaults; press Enter to keep one."
        )


def _ask_function(session: _Session, function: Function) -> None:
    pending = [q for q in QUESTIONS if (function.number, q) not in session.given]
    if not pending:
        return
    session.prompts.show(
        f"#{function.number} {function.name} ({function.pillar}, Tier {function.tier})"
    )
    before = session.previous.get(function.number)
    for question in pending:
        value = _ask_question(session.prompts, question, before)
        record_answer(
            session.workspace,
            respondent=session.respondent,
            role=session.role,
            round_number=session.round,
            function=function.number,
            question=question,
            value=value,
        )
        session.given[(function.number, question)] = value
        session.asked += 1


def _ask_question(
    prompts: PromptSource, question: str, before: FunctionAnswer | None
) -> Any:
    default = getattr(before, question) if before is not None else None
    if question in FACT_QUESTIONS:
        fact = prompts.ask_fact(FACT_QUESTIONS[question], default=default)
        return parse_fact(fact, question)
    if question == "rating":
        rating = prompts.ask_rating("Your maturity rating, 1-5", default=default)
        return parse_rating(rating, question)
    return prompts.ask_text("Notes (optional)", default=default or "").strip()
