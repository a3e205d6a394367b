"""Open, create and locate workspaces: a folder with revarch.yaml and a DuckDB file."""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from revarch.config import CONFIG_FILE, Settings, read_settings
from revarch.errors import InputError, WorkspaceNotFoundError

if TYPE_CHECKING:
    from revarch.storage import Store
    from revarch.storage.external import ExternalStore

DATABASE_FILE = "revarch.duckdb"
TEMPLATE = Path(__file__).with_name("revarch_template.yaml")


def _yaml_scalar(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def init_workspace(
    path: Path,
    *,
    name: str | None = None,
    currency: str = "USD",
    timezone: str = "UTC",
) -> Path:
    """Create a workspace folder with a commented revarch.yaml and its database."""
    config_path = path / CONFIG_FILE
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, not a folder; choose a folder name")
    if config_path.exists():
        raise InputError(
            f"{path} is already a workspace ({config_path} exists); "
            "open it with --workspace or choose another folder"
        )
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise InputError(
            f"invalid --currency {currency!r}: use a three-letter ISO 4217 "
            "code such as USD or EUR"
        )
    if timezone not in zoneinfo.available_timezones():
        raise InputError(
            f"unknown --timezone {timezone!r}: use an IANA name such as "
            "'UTC', 'Europe/Berlin' or 'America/New_York'"
        )
    path.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.read_text(encoding="utf-8").format(
        name=_yaml_scalar(name or path.resolve().name),
        currency=currency,
        timezone=timezone,
    )
    config_path.write_text(text, encoding="utf-8")
    workspace = open_workspace(path)
    workspace.store.close()
    return path


def locate_workspace(path: Path | None) -> Path:
    """Return the workspace folder: the given one, REVARCH_WORKSPACE, or the cwd."""
    if path is None:
        env = os.environ.get("REVARCH_WORKSPACE")
        path = Path(env) if env else Path.cwd()
    if not (path / CONFIG_FILE).is_file():
        raise WorkspaceNotFoundError(
            f"{path} is not a revarch workspace (no {CONFIG_FILE}); create one "
            "with `revarch init DIR`, or point at one with --workspace or "
            "REVARCH_WORKSPACE"
        )
    return path


@dataclass
class Workspace:
    """An open workspace: its folder, settings and storage."""

    path: Path
    settings: Settings
    _store: Store | None = field(default=None, repr=False)
    _analytics: ExternalStore | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def database_path(self) -> Path:
        return self.path / DATABASE_FILE

    @property
    def database(self) -> Store:
        """Return the workspace's DuckDB file, where imports and entered answers go."""
        if self._store is None:
            from revarch.storage import Store

            self._store = Store.open(self.database_path)
        return self._store

    @property
    def store(self) -> Store:
        """Return the store the analyses read from.

        That is the DuckDB file, or the backend that ``analytics`` in
        revarch.yaml names (see ``revarch.storage.external``).
        """
        analytics = self.settings.analytics
        if self._analytics is not None and self._analytics.settings != analytics:
            self._analytics.close()
            self._analytics = None
        if analytics.backend == "duckdb":
            return self.database
        if self._analytics is None:
            from revarch.storage.external import ExternalStore

            self._analytics = ExternalStore(self.database, analytics)
        # ExternalStore offers Store's read methods and passes writes on to
        # the DuckDB file.
        return cast("Store", self._analytics)

    def reload_settings(self) -> None:
        """Read revarch.yaml again after it was edited."""
        self.settings = read_settings(self.config_path)

    def close(self) -> None:
        if self._analytics is not None:
            self._analytics.close()
            self._analytics = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(path: Path | str | None = None) -> Workspace:
    """Open the workspace at ``path`` (or REVARCH_WORKSPACE, or the cwd)."""
    folder = locate_workspace(Path(path) if path is not None else None)
    settings = read_settings(folder / CONFIG_FILE)
    return Workspace(path=folder, settings=settings)
