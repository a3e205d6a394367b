"""The CLI's global behaviour: version, help examples, errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def all_commands() -> list[list[str]]:
    """Return the path of every leaf command, such as ['import', 'csv']."""
    import typer

    from revarch.cli.main import app

    def walk(command: object, path: list[str]) -> list[list[str]]:
        children = getattr(command, "commands", None)
        if not children:
            return [path]
        found: list[list[str]] = []
        for name, child in sorted(children.items()):
            found += walk(child, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])


def test_every_command_help_shows_example() -> None:
    from typer.testing import CliRunner

    from revarch.cli.main import app

    runner = CliRunner()
    commands = all_commands()
    assert len(commands) > 30
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Example: revarch " in result.output, command


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
