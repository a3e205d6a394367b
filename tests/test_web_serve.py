"""``revarch serve``: refusing unsafe exposure, managing users, logging requests."""

from __future__ import annotations

import logging
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from revarch.cli.main import app as cli
from revarch.errors import InputError
from revarch.web import WebConfig, create_app
from revarch.web.config import check_exposure, is_loopback
from revarch.web.users import authenticate, read_users
from revarch.workspace import Workspace

from .conftest import REPO

WEB = REPO / "src" / "revarch" / "web"


def invoke(workspace: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["-w", str(workspace), *args], input=stdin)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.0.2.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_exposure_needs_users(workspace: Workspace) -> None:
    result = invoke(workspace.path, "serve", "--host", "0.0.0.0")
    assert isinstance(result.exception, InputError)
    assert "no user is configured" in str(result.exception)


def test_exposure_needs_tls() -> None:
    with pytest.raises(InputError, match="without TLS"):
        check_exposure(
            "0.0.0.0", users=1, certfile=None, keyfile=None, behind_proxy=False
        )


def test_exposure_allows_proxy_or_certificate(tmp_path: Path) -> None:
    check_exposure("0.0.0.0", users=1, certfile=None, keyfile=None, behind_proxy=True)
    pem = tmp_path / "cert.pem"
    check_exposure("0.0.0.0", users=1, certfile=pem, keyfile=pem, behind_proxy=False)


def test_exposure_certificate_needs_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="go together"):
        check_exposure(
            "127.0.0.1",
            users=0,
            certfile=tmp_path / "c.pem",
            keyfile=None,
            behind_proxy=False,
        )


def test_exposure_loopback_without_users() -> None:
    check_exposure(
        "127.0.0.1", users=0, certfile=None, keyfile=None, behind_proxy=False
    )


def test_user_add_hashes_password(workspace: Workspace) -> None:
    result = invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    path = workspace.path / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "a long enough secret" not in text
    assert read_users(workspace.path)["ada"].password_hash.startswith("$argon2")
    assert authenticate(workspace.path, "ada", "a long enough secret") is not None
    assert authenticate(workspace.path, "ada", "a long enough secreT") is None


def test_user_add_short_password(workspace: Workspace) -> None:
    result = invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="short\n",
    )
    assert isinstance(result.exception, InputError)
    assert "at least 10" in str(result.exception)
    assert not (workspace.path / "users.json").exists()


def test_user_add_seller_needs_person(workspace: Workspace) -> None:
    result = invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "sam",
        "--role",
        "seller",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert isinstance(result.exception, InputError)
    assert "needs --person" in str(result.exception)


def test_user_add_unknown_person(workspace: Workspace) -> None:
    result = invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "sam",
        "--role",
        "seller",
        "--person",
        "nobody",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert isinstance(result.exception, InputError)
    assert "unknown --person 'nobody'" in str(result.exception)


def test_user_add_invalid_role(workspace: Workspace) -> None:
    result = invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "x",
        "--role",
        "boss",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert isinstance(result.exception, InputError)
    assert "invalid --role 'boss'" in str(result.exception)


def test_user_list_and_remove(workspace: Workspace) -> None:
    invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    listed = invoke(workspace.path, "serve", "user", "list")
    assert "ada" in listed.output
    assert "admin" in listed.output
    assert invoke(workspace.path, "serve", "user", "remove", "ada").exit_code == 0
    assert read_users(workspace.path) == {}


def test_password_change_ends_sessions(workspace: Workspace) -> None:
    from tests.web_support import login

    invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    client = TestClient(create_app(WebConfig(workspace=workspace.path)))
    login(client, "ada")
    assert client.get("/sellers.json").status_code == 200
    invoke(
        workspace.path,
        "serve",
        "user",
        "add",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="another long secret\n",
    )
    assert client.get("/sellers.json").status_code == 401


def test_request_logged(workspace: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(create_app(WebConfig(workspace=workspace.path)))
    with caplog.at_level(logging.INFO, logger="revarch.web"):
        client.get("/login")
        client.get("/dashboard.json?week=nonsense")
    lines = [r.getMessage() for r in caplog.records]
    assert any('"GET /login" 200' in line for line in lines)
    assert any("invalid --week 'nonsense'" in line for line in lines)


def test_session_key_private(workspace: Workspace) -> None:
    create_app(WebConfig(workspace=workspace.path))
    key = workspace.path / ".web-secret"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_text(encoding="utf-8").strip()) >= 40


def test_web_imports_no_database_layer() -> None:
    pattern = re.compile(r"^\s*(import|from)\s+(duckdb|ibis)\b", re.M)
    for path in sorted(WEB.rglob("*.py")):
        assert not pattern.search(path.read_text(encoding="utf-8")), path
