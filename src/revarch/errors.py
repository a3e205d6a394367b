"""The one exception hierarchy of revarch.

Interfaces (the CLI, the web app) catch ``RevarchError`` at one place and show
its message; anything else is a bug and shows a traceback only on request.
"""

from __future__ import annotations


class RevarchError(Exception):
    """Base of every error revarch raises on purpose."""


class InputError(RevarchError):
    """Bad user input: a file, a row, a column, a setting or an option.

    The message names the input, shows the bad value, says what is allowed
    and what to do.
    """


class WorkspaceNotFoundError(RevarchError):
    """A command needs a workspace and the folder is not one."""


class ConfigError(InputError):
    """An invalid key or value in ``revarch.yaml``."""
