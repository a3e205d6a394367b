"""Shared fixtures: temporary workspaces and the real CRM exports beside the repo.

The real exports live in ../shared/data (they are not ours to redistribute).
Tests that need them skip with the reason when the folder is missing, except
under CI (CI=true), where a missing folder fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from revarch.workspace import Workspace, init_workspace, open_workspace

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REVARCH_TEST_DATA", REPO.parent / "shared" / "data"))


def real_data(name: str) -> Path:
    """Return the folder of one real data set, or skip (fail under CI) without it."""
    path = DATA / name
    if path.is_dir():
        return path
    reason = (
        f"real CRM exports not found at {path}; put the shared data folder "
        "beside the repository or set REVARCH_TEST_DATA"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace in a temporary folder."""
    init_workspace(tmp_path / "ws", name="Test Co")
    ws = open_workspace(tmp_path / "ws")
    yield ws
    ws.close()
