"""Server state kept between requests: the open workspace, a cache, the jobs.

A DuckDB connection serves one thread at a time, so every use of the
workspace goes through ``WebState.use()``, which holds one lock. Results are
cached per data generation: an import, a form that writes, or an edit of
revarch.yaml starts a new generation.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from itsdangerous import URLSafeTimedSerializer

from revarch.web.config import WebConfig
from revarch.workspace import Workspace, open_workspace

log = logging.getLogger(__name__)

SECRET_FILE = ".web-secret"
CACHE_SIZE = 128
LOGIN_FAILURES = 5
LOGIN_WINDOW_SECONDS = 300
MAX_TRACKED_NAMES = 10_000

T = TypeVar("T")


@dataclass
class ImportJob:
    """One upload being imported in the background; the page polls it."""

    id: str
    user: str
    kind: str
    files: list[str]
    step: str = "waiting"
    done: int = 0
    total: int = 0
    status: str = "running"
    result: dict[str, Any] | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    form: dict[str, str] = field(default_factory=dict)

    def progress(self, step: str, done: int, total: int) -> None:
        self.step, self.done, self.total = step, done, total

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "files": self.files,
            "status": self.status,
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "seconds": round(time.monotonic() - self.started, 1),
            "result": self.result,
            "error": self.error,
        }


def read_secret(workspace: Path) -> str:
    """Return the workspace's session-signing key, creating it on first use."""
    path = workspace / SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(secret + "\n")
    log.info("created the session key %s", path)
    return secret


class WebState:
    """The server's open workspace, its lock, the result cache and import jobs."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.path = config.workspace
        self.serializer = URLSafeTimedSerializer(
            read_secret(config.workspace), salt="revarch-session"
        )
        self._workspace: Workspace | None = None
        self._lock = threading.RLock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._writes = 0
        self.jobs: dict[str, ImportJob] = {}
        self._failures: dict[str, list[float]] = {}
        self._config_stamp = (0, 0)

    @contextmanager
    def use(self) -> Iterator[Workspace]:
        """Hold the workspace for one request; settings are re-read when edited."""
        with self._lock:
            if self._workspace is None:
                self._workspace = open_workspace(self.path)
                self._config_stamp = self._stamp()
            elif self._stamp() != self._config_stamp:
                self._workspace.reload_settings()
                self._config_stamp = self._stamp()
            yield self._workspace

    def _stamp(self) -> tuple[int, int]:
        info = (self.path / "revarch.yaml").stat()
        return (info.st_mtime_ns, info.st_size)

    def generation(self) -> tuple[Any, ...]:
        """Return what a cached result depends on besides its own key.

        The server holds the database exclusively, so the data changes only
        through its own imports and forms, which call ``wrote()``; revarch.yaml
        can also be edited by hand, so its size and time count too.
        """
        return (self._stamp(), self._writes)

    def cached(self, key: tuple[Hashable, ...], build: Callable[[Workspace], T]) -> T:
        """Return ``build(workspace)`` from the cache of the current generation.

        A hit takes only the cache's own lock, so it never waits for another
        request's analysis.
        """
        with self._cache_lock:
            full = (*key, self.generation())
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]  # type: ignore[no-any-return]
        with self.use() as workspace:
            full = (*key, self.generation())
            with self._cache_lock:
                if full in self._cache:
                    return self._cache[full]  # type: ignore[no-any-return]
            value = build(workspace)
            with self._cache_lock:
                self._cache[full] = value
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            return value

    def wrote(self) -> None:
        """Start a new generation after a form or an import changed something."""
        with self._cache_lock:
            self._writes += 1
            self._cache.clear()

    def close(self) -> None:
        with self._lock:
            if self._workspace is not None:
                self._workspace.close()
                self._workspace = None

    # -- login throttling ------------------------------------------------------

    def login_blocked(self, name: str) -> bool:
        """Return whether ``name`` failed too often in the last few minutes."""
        now = time.monotonic()
        recent = [
            t for t in self._failures.get(name, []) if now - t < LOGIN_WINDOW_SECONDS
        ]
        self._failures[name] = recent
        return len(recent) >= LOGIN_FAILURES

    def login_failed(self, name: str) -> None:
        if len(self._failures) > MAX_TRACKED_NAMES:
            self._failures.clear()
        self._failures.setdefault(name, []).append(time.monotonic())
        log.warning("failed login for user %r", name)

    def login_succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
