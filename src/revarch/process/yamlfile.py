"""Rendering the process definition as YAML and writing it into revarch.yaml.

Writing replaces only the top-level ``process:`` block and keeps every other
line of the file, comments included.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import yaml

from revarch.config import Process, read_settings
from revarch.errors import ConfigError

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

_TOP_LEVEL = re.compile(r"^\S")


def _stage_data(process: Process) -> list[dict[str, Any]]:
    """Return the stages as plain data, leaving out empty optional keys."""
    stages = []
    for stage in process.stages:
        data = stage.model_dump(mode="json")
        data["required_activities"] = [
            activity["name"]
            if activity["type"] is None and not activity["subject_contains"]
            else {k: v for k, v in activity.items() if v not in (None, [])}
            for activity in data["required_activities"]
        ]
        stages.append(data)
    return stages


def render_process(process: Process) -> str:
    """Render the ``process:`` block of revarch.yaml."""
    data = {
        "process": {
            "stages": _stage_data(process),
            "won_labels": list(process.won_labels),
            "lost_labels": list(process.lost_labels),
            "pipelines": list(process.pipelines),
        }
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=80)


def replace_block(text: str, block: str) -> str:
    """Replace the top-level ``process:`` block of a YAML text (or append it).

    The block runs from the ``process:`` line to the next line that starts a
    top-level key or comment.
    """
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"^process\s*:", line)), None
    )
    if start is None:
        separator = "" if not text or text.endswith("\n") else "\n"
        return text + separator + block
    end = start + 1
    while end < len(lines) and not _TOP_LEVEL.match(lines[end]):
        end += 1
    # Blank lines before the next top-level line stay outside the block.
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def write_process(workspace: Workspace, process: Process) -> None:
    """Write ``process`` into the workspace's revarch.yaml and reload the settings.

    The file is restored and ``ConfigError`` raised if the result does not
    validate.
    """
    path = workspace.config_path
    original = path.read_text(encoding="utf-8")
    path.write_text(replace_block(original, render_process(process)), encoding="utf-8")
    try:
        read_settings(path)
    except ConfigError:
        path.write_text(original, encoding="utf-8")
        raise
    workspace.reload_settings()
    log.info("wrote the process definition to %s", path)
