"""The CLI's global behaviour: version, help examples, errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import revarch


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "revarch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_version_prints_package_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"revarch {revarch.__version__}"


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["check"],
        ["demo"],
        ["import", "salesforce"],
        ["import", "hubspot"],
        ["import", "pipeline"],
        ["import", "csv"],
    ],
    ids=lambda c: " ".join(c),
)
def test_help_shows_real_example(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert "Example: revarch " in result.stdout


def test_outside_workspace_suggests_init(tmp_path: Path) -> None:
    result = run_cli("-w", str(tmp_path), "check")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "revarch init" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_two() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2


def test_init_rejects_unknown_timezone(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "ws"), "--timezone", "Mars/Base")
    assert result.returncode == 1
    assert "Error: unknown --timezone 'Mars/Base'" in result.stderr
    assert not (tmp_path / "ws" / "revarch.yaml").exists()


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = run_cli("--debug", "-w", str(tmp_path), "check")
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_import_rejects_unknown_timezone(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path / "ws")).returncode == 0
    result = run_cli(
        "-w",
        str(tmp_path / "ws"),
        "import",
        "csv",
        str(tmp_path),
        "--timezone",
        "Berlin",
    )
    assert result.returncode == 1
    assert "Error: unknown --timezone 'Berlin'" in result.stderr
    assert "Traceback" not in result.stderr
