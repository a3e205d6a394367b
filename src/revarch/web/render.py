"""Pages and their JSON twins from one builder, plus the error pages.

``twin(router, path, template)`` registers a builder that returns a dict
twice: ``path`` renders it with the template, ``path.json`` returns it as
JSON (and is the route the OpenAPI document describes).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from revarch import __version__
from revarch.report.render import format_change, format_metric
from revarch.web.auth import CSRF_FIELD, csrf_token, current_user

Builder = Callable[..., dict[str, Any]]
# Adds what only the page shows (charts, pickers) to the builder's data.
Decorator = Callable[[Request, dict[str, Any]], dict[str, Any]]

ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("revarch.web", "templates"),
            jinja2.PackageLoader("revarch.report", "templates"),
        ]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["metric"] = format_metric
ENV.filters["change"] = format_change

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input: the message names the value and the fix"},
    401: {"description": "Not logged in"},
    403: {"description": "The user's role may not see this"},
    404: {"description": "Not found"},
    422: {"description": "A parameter has the wrong type"},
}


def jsonable(value: Any) -> Any:
    """Turn analysis output into JSON values: dates as ISO text, NaN as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return jsonable(value.item())
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return str(value)


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a template inside the layout, with the user and the CSRF token."""
    page = ENV.get_template(template)
    html = page.render(
        request=request,
        user=current_user(request),
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        version=__version__,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def twin(
    router: APIRouter,
    path: str,
    template: str,
    *,
    summary: str,
    decorate: Decorator | None = None,
) -> Callable[[Builder], Builder]:
    """Register ``builder`` as the page ``path`` and its JSON twin ``path.json``."""

    def register(builder: Builder) -> Builder:
        @functools.wraps(builder)
        def as_json(*args: Any, **kwargs: Any) -> JSONResponse:
            return JSONResponse(jsonable(builder(*args, **kwargs)))

        @functools.wraps(builder)
        def as_html(*args: Any, **kwargs: Any) -> HTMLResponse:
            request = kwargs["request"]
            data = builder(*args, **kwargs)
            extra = decorate(request, data) if decorate else {}
            return render(request, template, {"data": data, **extra})

        # The .json route comes first: a path parameter would also match ".json".
        router.add_api_route(
            f"{path}.json",
            as_json,
            methods=["GET"],
            summary=summary,
            response_class=JSONResponse,
            responses=ERROR_RESPONSES,
            name=f"{builder.__name__}_json",
        )
        router.add_api_route(
            path,
            as_html,
            methods=["GET"],
            include_in_schema=False,
            response_class=HTMLResponse,
            name=builder.__name__,
        )
        return builder

    return register


def name_fields(message: str, names: Iterable[str]) -> str:
    """Return ``message`` with each ``--flag`` of ``names`` written as the field name.

    The analyses word their errors for the command line (``invalid --week``),
    while a browser user set ``week`` in the URL or a form.
    """
    for name in names:
        flag = "--" + name.replace("_", "-")
        message = re.sub(re.escape(flag) + r"\b", name, message)
    return message
