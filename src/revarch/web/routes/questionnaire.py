"""The diagnosis questionnaire in the browser, one function per page, resumable.

Answers go through ``run_questionnaire``, the same code as ``revarch
diagnose``: the form's answers play the prompts, and the run pauses at the
first question of the next function. Every answer is stored as it is given.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from revarch.errors import InputError
from revarch.web.auth import check_csrf, require_role, state_of
from revarch.web.render import render
from revarch.web.routes.common import form_text
from revarch.web.users import User
from revarch.workspace import Workspace

router = APIRouter(include_in_schema=False)


class Paused(Exception):
    """Raised by ``FormPrompts`` at the first question the form did not answer."""


class FormPrompts:
    """Answers the questionnaire's prompts from one submitted function form."""

    def __init__(self, values: dict[str, Any]) -> None:
        from revarch.diagnosis.answers import FACT_QUESTIONS

        self._by_text = {text: key for key, text in FACT_QUESTIONS.items()}
        self._values = dict(values)

    def _take(self, key: str) -> Any:
        if key not in self._values:
            raise Paused
        return self._values.pop(key)

    def show(self, text: str) -> None:
        return None

    def ask_text(self, question: str, *, default: str | None = None) -> str:
        return str(self._take("notes"))

    def ask_fact(self, question: str, *, default: bool | None = None) -> bool:
        return bool(self._take(self._by_text[question]))

    def ask_rating(self, question: str, *, default: int | None = None) -> int:
        return int(self._take("rating"))


def progress(workspace: Workspace, name: str, *, new_round: bool) -> dict[str, Any]:
    """Return the respondent's round, the next function and the defaults.

    After a complete round nothing is pending until ``new_round`` asks for
    the next one, as a rerun of ``revarch diagnose`` would start it.
    """
    from revarch.diagnosis.answers import QUESTIONS, load_respondents
    from revarch.framework import FUNCTIONS

    found = next(
        (
            r
            for r in load_respondents(workspace)
            if r.name.casefold() == name.casefold()
        ),
        None,
    )
    resuming = found is not None and not found.complete
    given = dict(found.open_round) if found is not None and resuming else {}
    round_number = 1
    if found is not None:
        round_number = found.latest_round if resuming else found.latest_round + 1
    pending = next(
        (f for f in FUNCTIONS if any((f.number, q) not in given for q in QUESTIONS)),
        None,
    )
    complete = found is not None and found.complete
    if complete and not new_round:
        pending, round_number = None, found.latest_round if found else 1
    previous = found.answers.get(pending.number) if found and pending else None
    return {
        "respondent": found.name if found else name,
        "role": found.role if found else "",
        "round": round_number,
        "complete": complete,
        "new_round": complete and new_round,
        "answered": len(given),
        "function": pending,
        "questions": [
            q for q in QUESTIONS if pending and (pending.number, q) not in given
        ],
        "defaults": previous.to_dict() if previous else {},
        "total": len(FUNCTIONS) * len(QUESTIONS),
    }


def _respondent(user: User, form_name: str) -> str:
    """The local admin types a name; a logged-in user answers as themselves."""
    return form_name if user.name == "local" and form_name else user.name


def validate(form: Any, questions: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check each answer with the CLI's rules; return the values and the errors."""
    from revarch.diagnosis.answers import (
        FACTS,
        ROLE_EXAMPLES,
        check_text,
        parse_fact,
        parse_rating,
    )

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks = {
        **{fact: parse_fact for fact in FACTS},
        "rating": parse_rating,
    }
    for question in questions:
        text = form_text(form, question)
        try:
            if question == "notes":
                values[question] = text
            elif not text:
                raise InputError(f"{question}: missing answer")
            else:
                values[question] = checks[question](text, question)
        except InputError as exc:
            errors[question] = str(exc)
    try:
        values["role"] = check_text(
            form_text(form, "role"), "role", f"a role ({ROLE_EXAMPLES})"
        )
    except InputError as exc:
        errors["role"] = str(exc)
    return values, errors


@router.get("/diagnosis/questionnaire")
def questionnaire(request: Request, name: str = "", new: str = "") -> Response:
    """Show the next function to answer for the user (or the typed name)."""
    user = require_role(request, "admin", "manager")
    respondent = _respondent(user, name.strip()[:200])
    with state_of(request).use() as workspace:
        state = progress(workspace, respondent, new_round=new == "1")
    return _page(request, user, state, {}, {})


def _page(
    request: Request,
    user: User,
    state: dict[str, Any],
    errors: dict[str, str],
    submitted: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    from revarch.diagnosis.answers import FACT_QUESTIONS, ROLE_EXAMPLES
    from revarch.diagnosis.playbook import MATURITY_SCALE

    context = {
        "state": state,
        "errors": errors,
        "submitted": submitted,
        "fact_questions": FACT_QUESTIONS,
        "scale": MATURITY_SCALE,
        "role_examples": ROLE_EXAMPLES,
        "ask_name": user.name == "local",
    }
    return render(request, "questionnaire.html.j2", context, status=status)


@router.post("/diagnosis/questionnaire")
async def answer(request: Request) -> Response:
    """Store the answers of one function; nothing is stored when one is invalid."""
    user = require_role(request, "admin", "manager")
    form = await request.form()
    check_csrf(request, form_text(form, "csrf_token"))
    return await run_in_threadpool(_answer, request, user, form)


def _answer(request: Request, user: User, form: Any) -> Response:
    from revarch.diagnosis.questionnaire import run_questionnaire

    site = state_of(request)
    respondent = _respondent(user, form_text(form, "name")[:200])
    submitted = {key: form_text(form, key) for key in form if key != "csrf_token"}
    with site.use() as workspace:
        state = progress(workspace, respondent, new_round=form_text(form, "new") == "1")
        function = state["function"]
        if function is None or form_text(form, "function") != str(function.number):
            raise HTTPException(409, "these answers are out of date; reload the page")
        values, errors = validate(form, state["questions"])
        if errors:
            return _page(request, user, state, errors, submitted, status=400)
        prompts = FormPrompts(values)
        # The run stops at the next function's first question.
        with contextlib.suppress(Paused):
            run_questionnaire(
                workspace, prompts, respondent=state["respondent"], role=values["role"]
            )
    site.wrote()
    target = "/diagnosis/questionnaire"
    if user.name == "local":
        target += f"?name={quote(respondent)}"
    return RedirectResponse(target, status_code=303)
