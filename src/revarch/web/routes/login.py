"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from revarch.web.auth import check_csrf, end_session, start_session, state_of
from revarch.web.render import render
from revarch.web.users import authenticate

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Return a local path to go to after login; anything else goes home."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """Show the login form."""
    return render(request, "login.html.j2", {"next": safe_next(next), "errors": {}})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the name and password and start a session."""
    check_csrf(request, csrf_token)
    state = state_of(request)
    target = safe_next(next)
    name = name.strip()
    if state.login_blocked(name):
        error = "too many failed attempts for this name; wait five minutes"
        return _failed(request, name, target, error)
    user = authenticate(state.path, name, password)
    if user is None:
        state.login_failed(name)
        return _failed(request, name, target, "unknown name or wrong password")
    state.login_succeeded(name)
    start_session(request, user)
    return RedirectResponse(target, status_code=303)


def _failed(request: Request, name: str, target: str, error: str) -> Response:
    context = {"next": target, "name": name, "errors": {"password": error}}
    return render(request, "login.html.j2", context, status=400)


@router.post("/logout")
def logout(
    request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    end_session(request)
    return RedirectResponse("/login", status_code=303)
