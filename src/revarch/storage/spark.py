"""Start or join a Spark session and register tables in it for ``ExternalStore``.

PySpark is imported here only, and only when a workspace's settings name
Spark as the analytics backend, so ``import revarch`` never needs it.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from revarch.errors import RevarchError

log = logging.getLogger(__name__)

INSTALL_SPARK = "pip install 'revarch[spark]'"
INSTALL_JAVA = (
    "install Java 17 (on Debian: apt-get install default-jre-headless) or set "
    "JAVA_HOME to a Java 17 installation"
)
# Settings for a session revarch starts: no progress bars on the terminal,
# and on a local master the driver listens on the loopback address only and
# the web UI stays off. ``analytics.conf`` overrides them.
DEFAULTS = {"spark.ui.showConsoleProgress": "false"}
LOCAL_DEFAULTS = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
}


@dataclass
class SparkConnection:
    """A Spark session, the Ibis backend on it, and whether revarch started it."""

    session: Any
    backend: BaseBackend
    owned: bool

    def register_parquet(self, view: str, path: Path) -> None:
        """Register a Parquet file as the temporary view ``view``."""
        self.session.read.parquet(str(path)).createOrReplaceTempView(view)

    def register_query(self, view: str, expr: ir.Table) -> None:
        """Compute ``expr`` once and register the result as the view ``view``.

        The result is checkpointed, so later queries read the computed rows
        instead of running the query again (and so window functions over ties
        give the same rows every time).
        """
        self.backend.create_view(view, expr, overwrite=True)  # type: ignore[attr-defined]
        frame = self.session.table(view).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(view)

    def drop_view(self, view: str) -> None:
        self.session.catalog.dropTempView(view)

    def close(self) -> None:
        """Stop the session if revarch started it, and leave any other running."""
        if self.owned:
            self.session.stop()


def connect_spark(master: str, conf: Mapping[str, str]) -> SparkConnection:
    """Join the running Spark session, or start one on ``master`` with ``conf``.

    Raises ``RevarchError`` saying what to install when PySpark or Java is
    missing, or when Spark does not start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RevarchError(
            "analytics.backend is pyspark in revarch.yaml, but PySpark is not "
            f"installed; install it with {INSTALL_SPARK} (Spark also needs "
            "Java 17), or set analytics.backend: duckdb"
        ) from exc
    session = SparkSession.getActiveSession()
    owned = session is None
    if session is None:
        session = _start_session(SparkSession, master, conf)
    else:
        log.info("running the analytics on the Spark session already active")
    # Ibis sets the session time zone to UTC, the zone workspace instants are
    # stored in.
    backend = ibis.pyspark.connect(session)
    return SparkConnection(session=session, backend=backend, owned=owned)


def _start_session(session_class: Any, master: str, conf: Mapping[str, str]) -> Any:
    """Start a Spark session; raise ``RevarchError`` when Java or Spark fails."""
    check_java()
    settings = dict(DEFAULTS)
    if master.startswith("local"):
        settings.update(LOCAL_DEFAULTS)
    settings.update(conf)
    builder = session_class.builder.master(master).appName("revarch")
    for key, value in settings.items():
        builder = builder.config(key, value)
    log.info("starting Spark on master %s", master)
    try:
        return builder.getOrCreate()
    except Exception as exc:
        # PySpark raises its own runtime errors (the JVM did not start, the
        # master is unreachable), which share no narrower base class.
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise RevarchError(
            f"cannot start Spark on master {master!r} (analytics.master): "
            f"{message}; check the master URL and analytics.conf, and that "
            f"Java 17 is installed ({INSTALL_JAVA})"
        ) from exc


def check_java() -> None:
    """Raise ``RevarchError`` when no java program is in JAVA_HOME or on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java"):
        return
    raise RevarchError(
        "analytics.backend is pyspark in revarch.yaml, and Spark needs Java 17, "
        f"but no java program was found on PATH or in JAVA_HOME; {INSTALL_JAVA}"
    )
