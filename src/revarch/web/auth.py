"""Sessions, CSRF tokens and roles.

A session is a signed cookie (itsdangerous) holding the user name, the
session's CSRF token and a fingerprint of the password hash, so a changed
password ends old sessions. Without any user configured (allowed on loopback
only) every visitor is the local admin.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature

from revarch.web.state import WebState
from revarch.web.users import User, read_users

log = logging.getLogger(__name__)

COOKIE = "revarch_session"
CSRF_FIELD = "csrf_token"
LOCAL_ADMIN = User(name="local", role="admin")


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def load_session(request: Request) -> dict[str, Any]:
    """Read the signed session cookie; a missing or forged one gives a new session."""
    state = state_of(request)
    raw = request.cookies.get(COOKIE)
    if raw:
        max_age = state.config.session_hours * 3600
        try:
            data = state.serializer.loads(raw, max_age=max_age)
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                return data
        except BadSignature:
            log.warning("rejected a session cookie with a bad or expired signature")
    return {"c": secrets.token_urlsafe(32), "new": True}


def save_session(request: Request, response: Response) -> None:
    """Set the session cookie when the session is new or changed."""
    session: dict[str, Any] = request.state.session
    if not session.pop("new", False) and not session.pop("changed", False):
        return
    state = state_of(request)
    response.set_cookie(
        COOKIE,
        state.serializer.dumps(session),
        max_age=state.config.session_hours * 3600,
        httponly=True,
        secure=state.config.secure_cookies or request.url.scheme == "https",
        samesite="lax",
        path="/",
    )


def start_session(request: Request, user: User) -> None:
    """Log ``user`` in: a fresh session with a new CSRF token."""
    request.state.session = {
        "u": user.name,
        "f": user.fingerprint,
        "c": secrets.token_urlsafe(32),
        "changed": True,
    }


def end_session(request: Request) -> None:
    request.state.session = {"c": secrets.token_urlsafe(32), "changed": True}


def csrf_token(request: Request) -> str:
    return str(request.state.session["c"])


def check_csrf(request: Request, token: str | None) -> None:
    """Raise 403 unless the form's token matches the session's."""
    if not token or not hmac.compare_digest(token, csrf_token(request)):
        log.warning("rejected a form with a missing or wrong CSRF token")
        raise HTTPException(403, "the form expired or came from another site; reload")


def current_user(request: Request) -> User | None:
    """Return the logged-in user, the local admin when no user exists, or None."""
    if hasattr(request.state, "user"):
        found: User | None = request.state.user
        return found
    users = read_users(state_of(request).path)
    user: User | None = None
    if not users:
        user = LOCAL_ADMIN
    else:
        session = request.state.session
        found = users.get(str(session.get("u", "")))
        if found is not None and session.get("f") == found.fingerprint:
            user = found
    request.state.user = user
    return user


def require_user(request: Request) -> User:
    """Return the user or raise 401 (the HTML pages turn it into the login page)."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "log in to see this page")
    return user


def require_role(request: Request, *roles: str) -> User:
    """Return the user when their role is one of ``roles``, else raise 403."""
    user = require_user(request)
    if user.role not in roles:
        log.warning(
            "user %s (%s) was denied %s", user.name, user.role, request.url.path
        )
        raise HTTPException(403, f"a {user.role} cannot open this page")
    return user
