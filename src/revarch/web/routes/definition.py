"""The sales process definition form: stages, aliases, criteria and expectations.

The form is validated by the same pydantic model that reads revarch.yaml,
written with the same function as ``revarch process suggest --write``, and
followed by the ``revarch process check`` findings.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from revarch.web.auth import check_csrf, require_role, state_of
from revarch.web.render import render, twin
from revarch.web.routes.common import form_text

router = APIRouter(tags=["process"])

BLANK_ROWS = 2
MAX_STAGES = 30
STAGE_FIELDS = (
    "id",
    "label",
    "aliases",
    "entry_criteria",
    "exit_criteria",
    "required_activities",
    "expected_conversion",
    "expected_days",
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]


def _items(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\r\n,]+", text) if item.strip()]


def _activity(line: str) -> dict[str, Any]:
    """Read 'name', or 'name | type | subject words, ...' into an activity."""
    parts = [part.strip() for part in line.split("|")]
    activity: dict[str, Any] = {"name": parts[0]}
    if len(parts) > 1 and parts[1]:
        activity["type"] = parts[1].lower()
    if len(parts) > 2:
        activity["subject_contains"] = _items(parts[2])
    return activity


def _stage(form: Any, index: int) -> dict[str, Any] | None:
    def field(name: str) -> str:
        return form_text(form, f"stages-{index}-{name}")

    if not any(field(name) for name in STAGE_FIELDS):
        return None
    stage: dict[str, Any] = {
        "id": field("id"),
        "label": field("label"),
        "aliases": _items(field("aliases")),
        "entry_criteria": _lines(field("entry_criteria")),
        "exit_criteria": _lines(field("exit_criteria")),
        "required_activities": [
            _activity(line) for line in _lines(field("required_activities"))
        ],
    }
    for name in ("expected_conversion", "expected_days"):
        stage[name] = field(name) or None
    return stage


def parse_form(form: Any) -> dict[str, Any]:
    """Return the process data of the form; rows left blank are skipped."""
    stages = []
    for index in range(MAX_STAGES + BLANK_ROWS):
        stage = _stage(form, index)
        if stage is not None:
            stages.append(stage)
    data = {
        "stages": stages,
        "won_labels": _items(form_text(form, "won_labels")),
        "lost_labels": _items(form_text(form, "lost_labels")),
        "pipelines": _items(form_text(form, "pipelines")),
    }
    return data


def field_errors(error: ValidationError) -> dict[str, str]:
    """Map pydantic errors to form field names: stages-INDEX-FIELD or a list name.

    INDEX counts the submitted stages, which is how the rejected form shows them.
    """
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = list(item["loc"])
        if len(loc) >= 3 and loc[0] == "stages" and isinstance(loc[1], int):
            key = f"stages-{loc[1]}-{loc[2]}"
            if loc[2] == "required_activities" and len(loc) > 4:
                item["msg"] = f"activity {int(loc[3]) + 1}, {loc[4]}: {item['msg']}"
        elif len(loc) >= 1:
            key = str(loc[0])
        else:
            key = "form"
        value = item.get("input")
        shown = "" if isinstance(value, dict | list) else f" (value: {value!r})"
        errors.setdefault(key, item["msg"] + shown)
    return errors


def _form_rows(stages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Turn stages (settings or a rejected form) into the text of the form rows."""
    rows = []
    for stage in stages:
        activities = []
        for activity in stage.get("required_activities", []):
            parts = [activity["name"]]
            subjects = activity.get("subject_contains") or []
            if activity.get("type") or subjects:
                parts.append(activity.get("type") or "")
            if subjects:
                parts.append(", ".join(subjects))
            activities.append(" | ".join(parts))
        rows.append(
            {
                "id": stage.get("id") or "",
                "label": stage.get("label") or "",
                "aliases": ", ".join(stage.get("aliases", [])),
                "entry_criteria": "\n".join(stage.get("entry_criteria", [])),
                "exit_criteria": "\n".join(stage.get("exit_criteria", [])),
                "required_activities": "\n".join(activities),
                "expected_conversion": _text(stage.get("expected_conversion")),
                "expected_days": _text(stage.get("expected_days")),
            }
        )
    return rows + [dict.fromkeys(STAGE_FIELDS, "") for _ in range(BLANK_ROWS)]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _definition(workspace: Any) -> dict[str, Any]:
    from revarch.process.definition import check_process

    process = workspace.settings.process
    return {
        "process": process.model_dump(mode="json"),
        "check": check_process(workspace).to_dict(),
    }


def _form_context(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    process = data["process"]
    return {
        "rows": _form_rows(process["stages"]),
        "lists": {
            key: ", ".join(process[key])
            for key in ("won_labels", "lost_labels", "pipelines")
        },
        "errors": errors,
    }


@twin(
    router,
    "/process/definition",
    "definition.html.j2",
    summary="The sales process definition and the process check findings",
    decorate=lambda request, data: {
        **_form_context(data, {}),
        "saved": request.query_params.get("saved") == "1",
    },
)
def definition(request: Request) -> dict[str, Any]:
    """Show the process definition of revarch.yaml and what the check finds."""
    require_role(request, "admin", "manager")
    return state_of(request).cached(("definition",), _definition)


@router.post("/process/definition", include_in_schema=False)
async def save_definition(request: Request) -> Response:
    """Validate the submitted process; save it only when every field is valid."""
    require_role(request, "admin")
    form = await request.form()
    check_csrf(request, form_text(form, "csrf_token"))
    return await _save(request, form)


async def _save(request: Request, form: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_save_sync, request, form)


def _save_sync(request: Request, form: Any) -> Response:
    from revarch.config import Process
    from revarch.errors import ConfigError
    from revarch.process.yamlfile import write_process

    data = parse_form(form)
    state = state_of(request)
    try:
        process = Process.model_validate(data)
    except ValidationError as exc:
        return _rejected(request, data, field_errors(exc))
    try:
        with state.use() as workspace:
            write_process(workspace, process)
    except ConfigError as exc:
        return _rejected(request, data, {"form": str(exc)})
    state.wrote()
    return RedirectResponse("/process/definition?saved=1", status_code=303)


def _rejected(
    request: Request, data: dict[str, Any], errors: dict[str, str]
) -> Response:
    """Show the form again with the submitted values and the errors beside them."""
    stages = []
    for stage in data["stages"]:
        stage = dict(stage)
        for name in ("expected_conversion", "expected_days"):
            stage[name] = stage[name] or ""
        stages.append(stage)
    shown = {"process": {**data, "stages": stages}}
    current = state_of(request).cached(("definition",), _definition)
    context = {
        "data": {"process": data, "check": current["check"]},
        **_form_context(shown, errors),
        "saved": False,
    }
    return render(request, "definition.html.j2", context, status=400)
