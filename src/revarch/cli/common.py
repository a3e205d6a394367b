"""State and output helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from revarch.workspace import Workspace, open_workspace

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class State:
    """Global options, set by the top-level callback."""

    workspace: Path | None = None
    verbose: bool = False
    debug: bool = False


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def workspace(ctx: typer.Context) -> Workspace:
    """Open the workspace named by --workspace, REVARCH_WORKSPACE or the cwd."""
    return open_workspace(state(ctx).workspace)


def print_json(data: Any) -> None:
    """Write JSON to stdout, keys in a stable order, dates as ISO text."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default, ensure_ascii=False))
    sys.stdout.write("\n")


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
