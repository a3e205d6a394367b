"""Run the analyses on another Ibis backend than the workspace's DuckDB file.

``ExternalStore`` offers the read side of ``Store`` (``table``, ``rows``,
``fetch``, ``stage``, ``materialize`` ...) on an external engine, Spark for
now. Where each table comes from:

- tables that ``analytics.tables`` maps are read from the backend, with the
  columns of the workspace table (missing columns are an error, other types
  are cast);
- every other workspace table (sellers without a mapping, answers, inputs,
  the system tables) is copied from the DuckDB file into the backend as a
  temporary view, and copied again after an import or a write through this
  store;
- derived and staged tables are computed on the backend once and kept as
  temporary views until the store closes.

Writes (imports, answers) go to the DuckDB file, through the same
``Store`` that opened it. Expressions over DuckDB tables (a staged CSV file,
for example) run on DuckDB, so code that reads a file and checks it works
unchanged.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import TableNotFound

from revarch.errors import InputError, RevarchError
from revarch.storage.schema import IMPORTED_TABLES, SYSTEM_DDL
from revarch.storage.spark import SparkConnection, connect_spark

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from revarch.config import Analytics
    from revarch.storage.store import ImportResult, RawFile, Store

log = logging.getLogger(__name__)

SYSTEM_TABLES = tuple(
    match.group(1)
    for ddl in SYSTEM_DDL
    if (match := re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", ddl))
)
# Workspace tables that may be copied into the backend. Derived tables are
# left out on purpose: the DuckDB file's copies were built from its own
# rows, so they are rebuilt on the backend instead.
COPIED_TABLES = frozenset(IMPORTED_TABLES) | frozenset(SYSTEM_TABLES)


class ExternalStore:
    """The workspace's tables on an external Ibis backend, for the analyses."""

    def __init__(self, database: Store, settings: Analytics) -> None:
        self.database = database
        self.settings = settings
        self.path = database.path
        self._connection: SparkConnection | None = None
        self._workdir = Path(tempfile.mkdtemp(prefix="revarch-analytics-"))
        # Views share the session with other stores, so their names carry a
        # token of this store.
        self._prefix = f"revarch_{uuid.uuid4().hex[:8]}"
        self._views = 0
        self._mapped: dict[str, ir.Table] = {}
        # Copied table name to its view and the data version it was copied at.
        self._copies: dict[str, tuple[str, int]] = {}
        self._built: dict[str, str] = {}
        self._staged: set[str] = set()
        self._database_staged: set[str] = set()
        self._stage_cache: dict[str, ir.Table] = {}
        self._meta: dict[str, str] = {}

    # -- the backend ---------------------------------------------------------

    def _connect(self) -> SparkConnection:
        if self._connection is None:
            self._connection = connect_spark(self.settings.master, self.settings.conf)
        return self._connection

    @property
    def ibis(self) -> BaseBackend:
        """Return the Ibis backend the analyses run on (connecting on first use)."""
        return self._connect().backend

    def _runs_here(self, expr: ir.Expr) -> bool:
        """Return whether ``expr`` reads backend tables (else DuckDB runs it)."""
        if self._connection is None:
            return False
        return ibis.get_backend(expr) is self._connection.backend

    def _new_view(self, label: str) -> str:
        self._views += 1
        return f"{self._prefix}_{label}_{self._views}"

    def close(self) -> None:
        """Drop this store's views and stop the Spark session revarch started."""
        if self._connection is not None:
            copies = [view for view, _version in self._copies.values()]
            for view in [*copies, *self._built.values(), *self._staged]:
                self._connection.drop_view(view)
            self._connection.close()
            self._connection = None
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- metadata --------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """Return a value this store set, else the workspace file's value."""
        if key in self._meta:
            return self._meta[key]
        return self.database.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        """Record a value for this store only.

        Metadata set here describes tables built on the backend (the derived
        tables' key), so it must not reach the DuckDB file.
        """
        self._meta[key] = value

    @property
    def data_version(self) -> int:
        return self.database.data_version

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block, and forget the metadata it set if it raises.

        The backend's temporary views have no transactions: a failed block can
        leave a view behind, but its metadata no longer claims it is current.
        """
        saved = dict(self._meta)
        try:
            yield
        except BaseException:
            self._meta = saved
            raise

    # -- tables ----------------------------------------------------------------

    def table(self, name: str) -> ir.Table:
        """Return a workspace table, a derived table or a staged view."""
        if name in self._built:
            return self.ibis.table(self._built[name])
        if name in self.settings.tables:
            return self._mapped_table(name)
        if name in COPIED_TABLES:
            return self._copied_table(name)
        if name in self._staged:
            return self.ibis.table(name)
        raise RevarchError(
            f"table {name!r} is not on the {self.settings.backend} backend: it "
            "is neither a workspace table nor one built in this session"
        )

    def has_table(self, name: str) -> bool:
        if name in self._built or name in self._staged:
            return True
        if name in self.settings.tables:
            return True
        return name in COPIED_TABLES and self.database.has_table(name)

    def count(self, name: str) -> int:
        return int(self.fetch(self.table(name).count()))

    def _mapped_table(self, name: str) -> ir.Table:
        """Return a mapped backend table with the workspace table's columns."""
        found = self._mapped.get(name)
        if found is not None:
            return found
        target = self.settings.tables[name]
        *database, table_name = target.split(".")
        where = f"revarch.yaml analytics.tables.{name}: table {target!r}"
        try:
            table = self.ibis.table(table_name, database=".".join(database) or None)
        except TableNotFound as exc:
            raise InputError(
                f"{where} not found on the {self.settings.backend} backend; "
                "create it or correct the name"
            ) from exc
        except Exception as exc:
            # Spark raises its own errors for a missing database or catalog,
            # which share no base class with Ibis's errors.
            raise InputError(
                f"{where} cannot be read on the {self.settings.backend} backend "
                f"({_first_line(exc)}); create it or correct the name"
            ) from exc
        conformed = self._conform(name, target, table)
        self._mapped[name] = conformed
        return conformed

    def _conform(self, name: str, target: str, table: ir.Table) -> ir.Table:
        """Select the workspace table's columns from ``table``, cast to its types."""
        expected = self.database.table(name).schema()
        missing = [column for column in expected if column not in table.columns]
        if missing:
            raise InputError(
                f"revarch.yaml analytics.tables.{name}: table {target!r} lacks the "
                f"columns {', '.join(missing)} of the workspace table {name}; add "
                "them (see the data model in docs/data-model.md)"
            )
        columns: dict[str, ir.Value] = {}
        for column, kind in expected.items():
            value = table[column]
            if value.type().copy(nullable=True) != kind.copy(nullable=True):
                log.info(
                    "casting %s.%s from %s to %s", target, column, value.type(), kind
                )
                value = value.cast(kind)
            columns[column] = value
        return table.select(**columns)

    def _copied_table(self, name: str) -> ir.Table:
        """Copy a workspace table into the backend and return it there.

        The copy is reused until an import changes the data version (imports
        write to the DuckDB file directly, not through this store).
        """
        version = self.database.data_version
        found = self._copies.get(name)
        if found is not None and found[1] == version:
            return self.ibis.table(found[0])
        self._forget_copy(name)
        view = self._new_view(name)
        path = self._workdir / f"{view}.parquet"
        self.database.ibis.to_parquet(self.database.table(name), path)
        self._connect().register_parquet(view, path)
        self._copies[name] = (view, version)
        log.info("copied workspace table %s into the analytics backend", name)
        return self.ibis.table(view)

    def _forget_copy(self, name: str) -> None:
        """Drop the copy of a table the workspace file changed, to copy it again."""
        found = self._copies.pop(name, None)
        if found is not None and self._connection is not None:
            self._connection.drop_view(found[0])

    # -- running expressions -----------------------------------------------------

    def sql(self, expr: ir.Expr) -> str:
        if not self._runs_here(expr):
            return self.database.sql(expr)
        return str(self.ibis.compile(expr))

    @contextmanager
    def _backend_errors(self) -> Iterator[None]:
        """Turn the backend's own errors into one that names the mapped tables.

        A mapped column whose values do not fit the workspace type (text in
        a date column, an array for a number) fails only when Spark runs the
        query, with an error that names neither the setting nor the table.
        """
        try:
            yield
        except RevarchError:
            raise
        except Exception as exc:
            mapped = ", ".join(
                f"{name} -> {target}" for name, target in self.settings.tables.items()
            )
            raise RevarchError(
                f"the {self.settings.backend} backend failed: {_first_line(exc)}; "
                "check that the columns of the mapped tables "
                f"(analytics.tables: {mapped or 'none'}) hold values of the "
                "workspace tables' types (docs/data-model.md)"
            ) from exc

    def fetch(self, expr: ir.Expr) -> Any:
        """Execute an expression and return its pandas result."""
        if not self._runs_here(expr):
            return self.database.fetch(expr)
        with self._backend_errors():
            return self.ibis.execute(expr)

    def rows(self, expr: ir.Table, limit: int | None = None) -> list[dict[str, Any]]:
        """Execute a table expression and return its rows as dicts."""
        if not self._runs_here(expr):
            return self.database.rows(expr, limit)
        if limit is not None:
            expr = expr.limit(limit)
        with self._backend_errors():
            return list(self.ibis.to_pyarrow(expr).to_pylist())

    def materialize(self, name: str, expr: ir.Table, *, temp: bool = False) -> None:
        """Compute ``expr`` on the backend as table ``name``, replacing it.

        ``temp`` is accepted for ``Store``'s signature: every table built on
        the backend is temporary.
        """
        if not self._runs_here(expr):
            self.database.materialize(name, expr, temp=temp)
            return
        old = self._built.pop(name, None)
        if old is not None:
            self._connect().drop_view(old)
        view = self._new_view(name)
        with self._backend_errors():
            self._connect().register_query(view, expr)
        self._built[name] = view
        log.info("built %s on the analytics backend", name)

    def stage(self, expr: ir.Table) -> ir.Table:
        """Compute an expression once into a temporary view and return it."""
        if not self._runs_here(expr):
            staged = self.database.stage(expr)
            self._database_staged.add(staged.get_name())
            return staged
        view = self._new_view("stage")
        with self._backend_errors():
            self._connect().register_query(view, expr)
        self._staged.add(view)
        return self.ibis.table(view)

    def stage_once(self, key: str, build: Callable[[], ir.Table]) -> ir.Table:
        """Stage ``build()`` once per ``key`` for this store and reuse it."""
        found = self._stage_cache.get(key)
        if found is None:
            found = self.stage(build())
            self._stage_cache[key] = found
        return found

    def drop(self, name: str) -> None:
        """Drop a table or view this store built; ignore any other name."""
        view = self._built.pop(name, None)
        if view is None and name in self._staged:
            self._staged.discard(name)
            view = name
        if view is not None:
            self._connect().drop_view(view)
        elif name in self._database_staged:
            self._database_staged.discard(name)
            self.database.drop(name)

    # -- writes go to the workspace file ---------------------------------------

    def read_csv(self, path: Path) -> RawFile:
        return self.database.read_csv(path)

    def insert_rows(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows into the workspace file and forget the table's copy."""
        inserted = self.database.insert_rows(name, rows)
        self._forget_copy(name)
        return inserted

    def apply_import(self, **kwargs: Any) -> ImportResult:
        """Apply an import to the workspace file and forget every copy."""
        result = self.database.apply_import(**kwargs)
        for name in list(self._copies):
            self._forget_copy(name)
        return result

    def list_findings(self) -> list[dict[str, Any]]:
        return self.database.list_findings()

    def list_imports(self) -> list[dict[str, Any]]:
        return self.database.list_imports()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return self.database.snapshot()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
