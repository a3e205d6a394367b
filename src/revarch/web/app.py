"""The FastAPI application: middleware, the one error handler, routes and assets."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revarch import __version__
from revarch.errors import InputError, RevarchError
from revarch.web.auth import current_user, load_session, save_session
from revarch.web.config import WebConfig
from revarch.web.render import name_fields, render
from revarch.web.routes import ROUTERS
from revarch.web.state import WebState

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' "
        "'unsafe-inline'; script-src 'self'; form-action 'self'; "
        "frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class BodyLimit:
    """Reject request bodies larger than the upload limit with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        megabytes = self.limit // (1024 * 1024)
        log.warning(
            "rejected a request body over %d MB to %s", megabytes, scope["path"]
        )
        response = JSONResponse(
            {"detail": f"the upload is larger than the {megabytes} MB limit"},
            status_code=413,
        )
        await response(scope, _drain, send)


class BodyTooLarge(Exception):
    """Raised inside ``BodyLimit`` when the body passes the limit."""


async def _drain() -> Message:
    return {"type": "http.disconnect"}


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(
        ".json"
    ) or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str) -> Response:
    """Return an error as JSON for the API, as a page (or the login) for people."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    return render(
        request, "error.html.j2", {"status": status, "message": message}, status=status
    )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(RevarchError)
    async def revarch_error(request: Request, exc: RevarchError) -> Response:
        status = 400 if isinstance(exc, InputError) else 500
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(
            request, status, name_fields(str(exc), request.query_params)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code >= 400:
            log.info(
                "%s %s: %s %s",
                request.method,
                request.url.path,
                exc.status_code,
                exc.detail,
            )
        return error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(
        request: Request, exc: RequestValidationError
    ) -> Response:
        parts = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        message = "invalid request: " + "; ".join(parts)
        log.info("%s %s: %s", request.method, request.url.path, message)
        if wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        return error_response(request, 422, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(
            request, 500, "internal error; the server log has details"
        )


def _add_middleware(app: FastAPI, config: WebConfig) -> None:
    @app.middleware("http")
    async def session_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        request.state.session = load_session(request)
        response = await call_next(request)
        save_session(request, response)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if config.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        user = getattr(request.state, "user", None)
        log.info(
            '%s "%s %s" %d %.0fms user=%s',
            request.client.host if request.client else "-",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            user.name if user else "-",
        )
        return response

    app.add_middleware(BodyLimit, limit=config.max_upload_bytes)


def create_app(config: WebConfig) -> FastAPI:
    """Build the application for one workspace."""
    state = WebState(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="revarch",
        version=__version__,
        description="The SMARTSCALING revenue system of one workspace. Every page "
        "of the web app has a JSON twin at the same URL plus .json.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = state
    _add_handlers(app)
    _add_middleware(app, config)
    for router in ROUTERS:
        app.include_router(router)
    static = StaticFiles(packages=[("revarch.web", "static")])
    app.mount("/static", static, name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Any:
        user = current_user(request)
        if user is not None and user.role == "seller":
            return RedirectResponse(f"/sellers/{_quote(user.person or '')}", 303)
        return RedirectResponse("/dashboard", 303)

    return app
