"""A demo workspace for the web tests: CRM data, leadership records, assessments.

Built once per test session and copied for each module that changes it.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from revarch.demo import create_demo
from revarch.importers.base import ImportOptions
from revarch.leadership.demo import write_demo_leadership
from revarch.leadership.people import People
from revarch.metrics import compute_metrics
from revarch.talent import import_assessments
from revarch.talent.demo import write_demo_assessments
from revarch.timeframe import resolve_as_of
from revarch.web.users import add_user
from revarch.workspace import open_workspace

PASSWORD = "correct horse battery"
SEED = 3


@dataclass(frozen=True)
class Team:
    """Ids of people in the demo: a manager, one of their sellers, an outsider."""

    manager: str
    seller: str
    outsider: str


def build_workspace(folder: Path) -> Path:
    """Create the demo company with forecasts, a comp plan and assessments."""
    create_demo(
        folder, sellers=6, months=4, seed=SEED, scale=0.1, progress=lambda *a: None
    )
    with open_workspace(folder) as workspace:
        write_demo_leadership(workspace, SEED)
        rows = compute_metrics(workspace, by="seller").rows
        bookings = {row["seller"]: float(row["bookings"] or 0) for row in rows}
        path = write_demo_assessments(
            folder / "export", bookings, SEED, last_assessment=resolve_as_of(workspace)
        )
        import_assessments(workspace, path, ImportOptions())
    return folder


def find_team(folder: Path) -> Team:
    """Pick a manager with a seller, and a seller outside that manager's team."""
    with open_workspace(folder) as workspace:
        people = People.read(workspace)
    for manager in people.managers():
        team = sorted(people.team_of(manager))
        others = sorted(p.id for p in people.sellers() if p.id not in team)
        if team and others and manager in people.by_id:
            return Team(manager=manager, seller=team[0], outsider=others[0])
    raise AssertionError("the demo has no manager with a team and an outsider")


def add_users(folder: Path, team: Team) -> None:
    """Add an admin, the manager, their seller and the outsider as users."""
    add_user(folder, "ada", "admin", PASSWORD, person=None)
    add_user(folder, "max", "manager", PASSWORD, person=team.manager)
    add_user(folder, "sam", "seller", PASSWORD, person=team.seller)
    add_user(folder, "otto", "seller", PASSWORD, person=team.outsider)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once; copy it before changing anything."""
    return build_workspace(tmp_path_factory.mktemp("web-demo") / "ws")


def copy_workspace(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def login(client: object, name: str, password: str = PASSWORD) -> None:
    """Log ``client`` (a TestClient) in as ``name``; fail the test if refused."""
    page = client.get("/login")  # type: ignore[attr-defined]
    token = csrf_from(page.text)
    response = client.post(  # type: ignore[attr-defined]
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def assert_same(actual: object, expected: object, path: str = "") -> None:
    """Assert two JSON values are equal, floats to 1e-9 (sums vary in the last bit)."""
    if isinstance(expected, float) and isinstance(actual, int | float):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), path
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert sorted(actual) == sorted(expected), path
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), path
        assert len(actual) == len(expected), path
        for index, (left, right) in enumerate(zip(actual, expected, strict=True)):
            assert_same(left, right, f"{path}[{index}]")
    else:
        assert actual == expected, path
