"""Web users: names, roles and Argon2 password hashes in the workspace's users.json.

The file sits beside revarch.yaml, readable by its owner only, so users can
be added while a server runs (the server reads it again on every login).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from revarch.errors import InputError

log = logging.getLogger(__name__)

USERS_FILE = "users.json"
ROLES = ("admin", "manager", "seller")
Role = Literal["admin", "manager", "seller"]
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_HASHER = PasswordHasher()
# Verifying against this hash when the name is unknown takes as long as a real
# check, so response times do not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("revarch-no-such-user")


@dataclass(frozen=True)
class User:
    """A person who can log in: admin (everything), manager (their team), seller."""

    name: str
    role: Role
    person: str | None = None
    password_hash: str = ""
    created_at: str = ""

    @property
    def fingerprint(self) -> str:
        """Return a short digest of the password hash; it changes with the password."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def public(self) -> dict[str, str | None]:
        return {"name": self.name, "role": self.role, "person": self.person}


def users_path(workspace: Path) -> Path:
    return workspace / USERS_FILE


def read_users(workspace: Path) -> dict[str, User]:
    """Read the users of a workspace. A missing file means no users."""
    path = users_path(workspace)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["users"]
        users = [User(**row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path} is not a valid users file ({exc}); fix it or remove it and "
            "add the users again with `revarch serve user add`"
        ) from exc
    return {user.name: user for user in users}


def write_users(workspace: Path, users: dict[str, User]) -> None:
    """Write the users file atomically, readable and writable by its owner only."""
    path = users_path(workspace)
    rows = [asdict(users[name]) for name in sorted(users)]
    text = json.dumps({"users": rows}, indent=2) + "\n"
    handle, temp = tempfile.mkstemp(prefix=".users-", dir=workspace)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InputError(
            f"invalid user name {name!r}: use 1-64 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_role(role: str, person: str | None) -> Role:
    if role not in ROLES:
        raise InputError(f"invalid --role {role!r}: use {', '.join(ROLES)}")
    if role in ("manager", "seller") and not person:
        raise InputError(
            f"a {role} needs --person: their id in the sellers table (see "
            "`revarch metrics --by seller --json`)"
        )
    if role == "admin" and person:
        raise InputError("an admin sees everything; leave out --person")
    return cast(Role, role)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password has {len(password)} characters; use at least "
            f"{MIN_PASSWORD_LENGTH}"
        )
    return password


def add_user(
    workspace: Path, name: str, role: str, password: str, *, person: str | None
) -> User:
    """Add a user (or replace one of the same name) with a hashed password."""
    users = read_users(workspace)
    user = User(
        name=check_name(name),
        role=check_role(role, person),
        person=person or None,
        password_hash=_HASHER.hash(check_password(password)),
        created_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    users[name] = user
    write_users(workspace, users)
    log.info("stored web user %s (%s)", name, role)
    return user


def remove_user(workspace: Path, name: str) -> None:
    users = read_users(workspace)
    if name not in users:
        raise InputError(f"unknown user {name!r}; `revarch serve user list` shows them")
    del users[name]
    write_users(workspace, users)


def authenticate(workspace: Path, name: str, password: str) -> User | None:
    """Return the user when the password matches, else None."""
    user = read_users(workspace).get(name)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
