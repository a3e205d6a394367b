"""The workspace database: schema, CSV staging and all-or-nothing imports.

This package is the only code that talks to DuckDB directly. Importers and
analyses build Ibis expressions; the store compiles and runs them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from revarch.errors import InputError, RevarchError
from revarch.storage.csvfile import prepare_csv
from revarch.storage.schema import (
    IMPORTED_TABLES,
    SCHEMA_VERSION,
    SYSTEM_DDL,
    TableSpec,
)

log = logging.getLogger(__name__)

ROW_COLUMN = "_row"
# Tables staged by ``Store.stage`` are named with this prefix.
STAGE_PREFIX = "_stage_"
# Imports stage their files and intermediate tables in a scratch database
# file in the store's work folder, where tables are written compressed and
# paged out to that file. DuckDB keeps temporary tables in memory instead
# and spills them uncompressed. At 1M opportunities the scratch file halved
# the time and memory of parsing the activities.
SCRATCH = "revarch_scratch"
SCRATCH_PREFIX = f"{SCRATCH}.main."
# DuckDB's default memory limit is 80% of the machine's RAM: importing the
# 1M-opportunity demo export (benchmarks/scale.py) once grew to 19 GB on a
# 24 GB machine. Past this limit DuckDB pages scratch tables out to their
# file and spills the rest beside the database file, or to the store's work
# folder for an in-memory store. With it the 1M import peaks at about
# 1.5 GB of RSS and a re-import of it at about 1.7 GB.
MEMORY_LIMIT = "1.25GB"


@dataclass(frozen=True)
class RawFile:
    """A CSV file staged as a temporary table of strings.

    ``table`` has one VARCHAR column per header (spaces stripped) plus
    ``_row``, the row number in the file counting the header as row 1.
    """

    path: Path
    table: ir.Table
    headers: tuple[str, ...]
    rows: int
    encoding: str


@dataclass
class Finding:
    """Something an import corrected, dropped or could not resolve."""

    kind: str
    count: int
    message: str
    examples: list[str] = field(default_factory=list)


@dataclass
class TableLoad:
    """Rows for one workspace table, as an Ibis expression over staged files."""

    table: str
    expr: ir.Table
    file: str


@dataclass
class TableCounts:
    """Counts of the rows an import inserted, updated, kept and deleted in one table."""

    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class ImportResult:
    """The summary an import prints: rows read, inserted, updated, rejected."""

    importer: str
    source: str
    files: list[str]
    full_export: bool
    rows_read: int
    tables: list[TableCounts]
    rejected: int
    findings: list[Finding]
    notes: list[str]

    def total(self, attr: str) -> int:
        return sum(getattr(counts, attr) for counts in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "importer": self.importer,
            "source": self.source,
            "files": self.files,
            "full_export": self.full_export,
            "rows_read": self.rows_read,
            "inserted": self.total("inserted"),
            "updated": self.total("updated"),
            "unchanged": self.total("unchanged"),
            "deleted": self.total("deleted"),
            "rejected": self.rejected,
            "tables": [vars(counts) for counts in self.tables],
            "findings": [vars(finding) for finding in self.findings],
            "notes": self.notes,
        }


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def emptied_import_error(file: str, live: int, records: str, source: str) -> InputError:
    """Return the error for a full import of a file that lost all its rows.

    An export that lost its rows (a header-only file, a failed export) is
    far likelier than a CRM that deleted everything.
    """
    name = source.split(":", 1)[-1]
    return InputError(
        f"{file}: no rows, so this full import would mark all {live} {records} "
        f"of source {name!r} deleted; check the export, or pass --partial to "
        "import it without deleting"
    )


def _sql_name(name: str) -> str:
    """Quote a table name, qualified when it lives in the scratch database."""
    if name.startswith(SCRATCH_PREFIX):
        return f"{SCRATCH}.main.{_quote(name[len(SCRATCH_PREFIX) :])}"
    return _quote(name)


def _duckdb_message(exc: Exception) -> str:
    text = str(exc).strip()
    return re.sub(r"\s+", " ", text.split("\n\n")[0])[:400]


class Store:
    """One open DuckDB workspace file and its Ibis connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path | None):
        self._con = connection
        self.path = path
        self.ibis = ibis.duckdb.from_connection(connection)
        self._workdir = Path(tempfile.mkdtemp(prefix="revarch-"))
        self._limit_memory()
        self._staged = 0
        self._stage_cache: dict[str, str] = {}
        self._scratch = False
        # The view of each staged CSV file, and the table it reads.
        self._views: dict[str, str] = {}
        self._ensure_schema()

    @classmethod
    def open(cls, path: Path) -> Store:
        try:
            connection = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise RevarchError(
                f"cannot open the workspace database {path}: "
                f"{_duckdb_message(exc)}; close other revarch processes using it"
            ) from exc
        return cls(connection, path)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(duckdb.connect(":memory:"), None)

    def close(self) -> None:
        if self._scratch:
            self._run(f"DETACH {SCRATCH}")
        self._con.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _limit_memory(self) -> None:
        """Cap DuckDB's memory so that large imports spill to disk."""
        self._run(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if self.path is None:
            self._run("SET temp_directory = ?", [str(self._workdir / "spill")])

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
        """Execute one statement and fetch all of its rows."""
        return self._con.execute(sql, params or []).fetchall()

    def _query(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        cursor = self._con.execute(sql, params or [])
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- schema and metadata -------------------------------------------------

    def _ensure_schema(self) -> None:
        for ddl in SYSTEM_DDL:
            self._run(ddl)
        for spec in IMPORTED_TABLES.values():
            self._run(spec.ddl())
        if self.get_meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def get_meta(self, key: str) -> str | None:
        found = self._run("SELECT value FROM meta WHERE key = ?", [key])
        return str(found[0][0]) if found else None

    def set_meta(self, key: str, value: str) -> None:
        self._run(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value]
        )

    @property
    def data_version(self) -> int:
        return int(self.get_meta("data_version") or 0)

    def table(self, name: str) -> ir.Table:
        """Return a workspace table as an Ibis expression."""
        return self.ibis.table(name)

    def has_table(self, name: str) -> bool:
        found = self._run(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        )
        return bool(found[0][0])

    def count(self, name: str) -> int:
        return int(self._run(f"SELECT count(*) FROM {_sql_name(name)}")[0][0])

    def insert_rows(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows (dicts with the same keys) into a table in one transaction.

        Meant for the small records people enter (answers, plans, audits).
        Raises ``ValueError`` when the rows do not all have the same keys.
        """
        if not rows:
            return 0
        columns = list(rows[0])
        for number, row in enumerate(rows, start=1):
            if set(row) != set(columns):
                raise ValueError(
                    f"row {number} for table {name} has columns {sorted(row)}, "
                    f"expected {sorted(columns)}"
                )
        names = ", ".join(_quote(column) for column in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {_quote(name)} ({names}) VALUES ({marks})"
        with self.transaction():
            self._con.executemany(sql, [[row[c] for c in columns] for row in rows])
        return len(rows)

    # -- running Ibis expressions ----------------------------------------------

    def sql(self, expr: ir.Expr) -> str:
        return str(self.ibis.compile(expr))

    def materialize(self, name: str, expr: ir.Table, *, temp: bool = False) -> None:
        """Store the result of ``expr`` as table ``name``, replacing it."""
        # NOTE: Ibis 12's create_table(overwrite=True) emits a DROP without a
        # table name under sqlglot 30, so the old table is dropped here.
        self._run(f"DROP TABLE IF EXISTS {_quote(name)}")
        self.ibis.create_table(name, expr, temp=temp)

    def drop(self, name: str) -> None:
        """Drop a table, or a staged file's view and the table under it."""
        base = self._views.pop(name, None)
        if base is not None:
            self._run(f"DROP VIEW IF EXISTS {_sql_name(name)}")
            name = base
        self._run(f"DROP TABLE IF EXISTS {_sql_name(name)}")

    def _attach_scratch(self) -> None:
        """Attach the scratch database on first use."""
        if not self._scratch:
            path = self._workdir / "scratch.duckdb"
            self._run(f"ATTACH {_quote(str(path))} AS {SCRATCH}")
            self._scratch = True

    def _scratch_table(self, name: str) -> ir.Table:
        return self.ibis.table(name, database=(SCRATCH, "main"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block in one transaction: everything or nothing is written."""
        self._run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK")
            raise
        self._run("COMMIT")

    # -- staging files -------------------------------------------------------

    def read_csv(self, path: Path) -> RawFile:
        """Stage a CSV export as a temporary table of strings, one per header.

        The returned table is a view that adds the file row (``_row``) and
        strips the headers, so the file is copied once.

        Raises ``InputError`` naming the file for an empty, truncated or
        malformed file and for duplicate headers.
        """
        prepared = prepare_csv(path, self._workdir)
        self._attach_scratch()
        self._staged += 1
        short = f"_raw_{self._staged}"
        name = SCRATCH_PREFIX + short
        try:
            self._run(
                f"CREATE OR REPLACE TABLE {_sql_name(name)} AS SELECT * FROM "
                "read_csv(?, all_varchar = true, header = true, strict_mode = true,"
                " null_padding = false)",
                [str(prepared.readable)],
            )
        except duckdb.Error as exc:
            message = _duckdb_message(exc).replace(str(prepared.readable), str(path))
            raise InputError(
                f"{path}: cannot read the CSV: {message}; check "
                "that the export is complete (not truncated) and comma or "
                "semicolon separated, and export it again if needed"
            ) from exc
        columns = [row[0] for row in self._run(f"DESCRIBE {_sql_name(name)}")]
        if len(columns) == 1 and re.search(r"[,;]", columns[0]):
            # DuckDB's sniffer falls back to a single column, instead of
            # failing, when a row is cut short or a quote is left open.
            self.drop(name)
            raise InputError(
                f"{path}: the rows could not be split into columns, so the file "
                f"is probably truncated (its last line, line "
                f"{_count_lines(prepared.readable)}, ends mid-row or inside an "
                "open quote); export it again"
            )
        headers = tuple(column.strip() for column in columns)
        # DuckDB renames a repeated header (Id, Id_1), so the check reads the
        # header line itself.
        seen: set[str] = set()
        for header in _header_line(prepared.readable, len(columns)) or headers:
            if header.strip().lower() in seen:
                raise InputError(
                    f"{path}: the header {header.strip()!r} appears twice; "
                    "rename or remove one of the columns and import again"
                )
            seen.add(header.strip().lower())
        select = ", ".join(
            f"{_quote(orig)} AS {_quote(new)}"
            for orig, new in zip(columns, headers, strict=True)
        )
        # A view, not a copy: rowid numbers the rows in file order, because
        # the table was just written in that order and never changed.
        self._run(
            f"CREATE OR REPLACE VIEW {_sql_name(name + '_rows')} AS SELECT "
            f"CAST(rowid + 2 AS BIGINT) AS {ROW_COLUMN}, {select} FROM {_quote(short)}"
        )
        self._views[f"{name}_rows"] = name
        rows = self.count(name)
        return RawFile(
            path=path,
            table=self._scratch_table(f"{short}_rows"),
            headers=headers,
            rows=rows,
            encoding=prepared.encoding,
        )

    def stage(self, expr: ir.Table, *, scratch: bool = False) -> ir.Table:
        """Materialize an expression into a temporary table and return it.

        With ``scratch`` the table goes to the scratch database, which suits
        an import's large intermediate tables. It cannot be written inside a
        transaction on the workspace.
        """
        self._staged += 1
        name = f"{STAGE_PREFIX}{self._staged}"
        if not scratch:
            self.materialize(name, expr, temp=True)
            return self.ibis.table(name)
        self._attach_scratch()
        self.ibis.create_table(name, expr, database=f"{SCRATCH}.main")
        return self._scratch_table(name)

    def stage_once(self, key: str, build: Callable[[], ir.Table]) -> ir.Table:
        """Stage ``build()`` once per ``key`` for this connection and reuse it.

        The key must name everything the rows depend on (the data version
        and the settings), so a changed workspace gets a new table.
        """
        name = self._stage_cache.get(key)
        if name is not None:
            return self.ibis.table(name)
        table = self.stage(build())
        self._stage_cache[key] = table.get_name()
        return table

    def fetch(self, expr: ir.Expr) -> Any:
        """Execute an expression and return its pandas result."""
        return self.ibis.execute(expr)

    def rows(self, expr: ir.Table, limit: int | None = None) -> list[dict[str, Any]]:
        """Execute a table expression and return its rows as dicts."""
        if limit is not None:
            expr = expr.limit(limit)
        return self.ibis.to_pyarrow(expr).to_pylist()

    # -- applying an import --------------------------------------------------

    def apply_import(
        self,
        *,
        importer: str,
        source: str,
        files: Sequence[str],
        loads: Sequence[TableLoad],
        full_export: bool,
        rows_read: int,
        rejected: int = 0,
        findings: Sequence[Finding] = (),
        notes: Sequence[str] = (),
    ) -> ImportResult:
        """Upsert staged rows into the workspace tables in one transaction.

        Rows are keyed by each table's key. A full export marks the source's
        rows missing from it as deleted. Re-applying the same rows changes
        nothing. A key owned by another source is an error.
        """
        staged = [
            (IMPORTED_TABLES[load.table], self._staged_rows(load.expr), load.file)
            for load in loads
        ]
        self._match_sellers(staged, source)
        for spec, table, file in staged:
            self._check_staged(spec, table, file, source)
            if full_export:
                self._check_not_emptied(spec, table, file, source)
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        try:
            return self._write_import(
                staged,
                importer=importer,
                source=source,
                files=files,
                full_export=full_export,
                rows_read=rows_read,
                rejected=rejected,
                findings=findings,
                notes=notes,
                started=started,
            )
        except duckdb.Error as exc:
            raise RevarchError(
                f"the import of {', '.join(files)} failed and nothing was "
                f"written: {_duckdb_message(exc)}"
            ) from exc
        finally:
            for _spec, table, _file in staged:
                self.drop(table.get_name())

    def _staged_rows(self, expr: ir.Table) -> ir.Table:
        """Return ``expr`` as a staged table: a table staged already is reused.

        Its extra columns are ignored when the rows are written.
        """
        op = expr.op()
        if isinstance(op, ops.DatabaseTable) and op.name.startswith(STAGE_PREFIX):
            return expr
        return self.stage(expr, scratch=True)

    def _write_import(
        self,
        staged: list[tuple[TableSpec, ir.Table, str]],
        *,
        importer: str,
        source: str,
        files: Sequence[str],
        full_export: bool,
        rows_read: int,
        rejected: int,
        findings: Sequence[Finding],
        notes: Sequence[str],
        started: dt.datetime,
    ) -> ImportResult:
        counts: list[TableCounts] = []
        with self.transaction():
            for spec, table, _file in staged:
                counts.append(self._upsert(spec, table, source, full_export))
            matched, filled = self._fill_matched_sellers()
            for table_counts in counts:
                if table_counts.table == "sellers":
                    table_counts.updated += filled
                    table_counts.unchanged += matched - filled
            changed = any(c.inserted or c.updated or c.deleted for c in counts)
            if changed:
                self.set_meta("data_version", str(self.data_version + 1))
            self._replace_findings(source, findings)
            result = ImportResult(
                importer=importer,
                source=source,
                files=list(files),
                full_export=full_export,
                rows_read=rows_read,
                tables=counts,
                rejected=rejected,
                findings=list(findings),
                notes=list(notes),
            )
            self._log_import(result, started)
        return result

    def _match_sellers(
        self, staged: list[tuple[TableSpec, ir.Table, str]], source: str
    ) -> None:
        """Reuse sellers another source already imported: same email, or same id.

        Matched rows are dropped from the staged sellers, and references to
        them in the other staged tables are rewritten to the existing id.
        """
        # A failed import may have left the rows it matched behind.
        self._run("DROP TABLE IF EXISTS _seller_fill")
        sellers = [t for spec, t, _f in staged if spec.name == "sellers"]
        if not sellers:
            return
        name = _sql_name(sellers[0].get_name())
        email = "email" in sellers[0].columns
        match = "lower(trim(s.email)) = lower(trim(t.email))" if email else "false"
        self._run(
            "CREATE OR REPLACE TEMP TABLE _seller_match AS "
            f"SELECT DISTINCT ON (s.id) s.id AS new_id, t.id AS old_id "
            f"FROM {name} s JOIN sellers t ON (t.id = s.id OR {match}) "
            "WHERE t.import_source <> ? AND NOT t.is_deleted ORDER BY s.id, t.id",
            [source],
        )
        self._run(
            "CREATE OR REPLACE TEMP TABLE _seller_fill AS "
            f"SELECT m.old_id AS _old_id, s.* FROM {name} s "
            "JOIN _seller_match m ON s.id = m.new_id"
        )
        self._run(f"DELETE FROM {name} WHERE id IN (SELECT new_id FROM _seller_match)")
        for _spec, table, _file in staged:
            for column in ("seller_id", "manager_id"):
                if column in table.columns:
                    self._run(
                        f"UPDATE {_sql_name(table.get_name())} SET {column} = m.old_id "
                        f"FROM _seller_match m WHERE {column} = m.new_id"
                    )
        self._run("DROP TABLE _seller_match")

    def _fill_matched_sellers(self) -> tuple[int, int]:
        """Fill the empty columns of matched sellers from the new source's rows.

        Runs inside the import's transaction. Another source's values are
        never overwritten, so a seller list can add hire dates or managers to
        the sellers a CRM export brought, and re-importing it changes nothing.
        Returns the number of sellers matched and of those changed.
        """
        if not self.has_table("_seller_fill"):
            return 0, 0
        matched = self.count("_seller_fill")
        described = {row[0] for row in self._run("DESCRIBE sellers")}
        staged = [row[0] for row in self._run("DESCRIBE _seller_fill")]
        skip = {"_old_id", "id", ROW_COLUMN, "import_source", "is_deleted"}
        columns = [c for c in staged if c in described and c not in skip]
        changed: set[str] = set()
        for column in columns:
            quoted = _quote(column)
            found = self._run(
                f"UPDATE sellers SET {quoted} = f.{quoted} FROM _seller_fill f "
                f"WHERE sellers.id = f._old_id AND sellers.{quoted} IS NULL "
                f"AND f.{quoted} IS NOT NULL RETURNING sellers.id"
            )
            changed.update(str(row[0]) for row in found)
        self._run("DROP TABLE _seller_fill")
        return matched, len(changed)

    def _check_not_emptied(
        self, spec: TableSpec, table: ir.Table, file: str, source: str
    ) -> None:
        """Reject a full import that would mark every row of a table deleted."""
        if self.count(table.get_name()):
            return
        live = self._run(
            f"SELECT count(*) FROM {spec.name} WHERE import_source = ? "
            "AND NOT is_deleted",
            [source],
        )[0][0]
        if live:
            raise emptied_import_error(file, live, spec.name, source)

    def _check_staged(
        self, spec: TableSpec, table: ir.Table, file: str, source: str
    ) -> None:
        name = _sql_name(table.get_name())
        # The store adds import_source itself, so staged rows are keyed without it.
        key_columns = [c for c in spec.key if c != "import_source"]
        key = ", ".join(key_columns)
        for column in key_columns:
            # A key column declared DEFAULT '' (a rater, a pipeline) may be ''.
            empty = (
                ""
                if "DEFAULT ''" in dict(spec.all_columns)[column]
                else f" OR CAST({column} AS VARCHAR) = ''"
            )
            nulls = self._run(
                f"SELECT count(*) FROM {name} WHERE {column} IS NULL{empty}"
            )[0][0]
            if nulls:
                raise InputError(
                    f"{file}: {nulls} rows have no {column} for table "
                    f"{spec.name}; every row needs one"
                )
        row_expr = (
            f"list(t.{ROW_COLUMN} ORDER BY t.{ROW_COLUMN})"
            if ROW_COLUMN in table.columns
            else "NULL"
        )
        several_files = ", " in file and "import_file" in table.columns
        if ROW_COLUMN in table.columns and several_files:
            # Rows from several files (Task.csv, Event.csv) name their file.
            row_expr = (
                f"list(t.import_file || ' row ' || t.{ROW_COLUMN} "
                f"ORDER BY t.import_file, t.{ROW_COLUMN})"
            )
        # The file rows are listed only for the duplicates found, not for
        # every key.
        same_key = " AND ".join(f"t.{c} = d.{c}" for c in key_columns)
        duplicate = self._run(
            f"WITH d AS (SELECT {key}, count(*) AS n FROM {name} GROUP BY {key} "
            "HAVING count(*) > 1 ORDER BY n DESC LIMIT 3) "
            f"SELECT {', '.join('d.' + c for c in key_columns)}, d.n, {row_expr} "
            f"FROM d JOIN {name} t ON {same_key} "
            f"GROUP BY {', '.join('d.' + c for c in key_columns)}, d.n "
            "ORDER BY d.n DESC"
        )
        if duplicate:
            examples = "; ".join(
                f"{'/'.join(str(v) for v in row[: len(key_columns)])} "
                f"({row[-2]} times" + (f", {_rows_text(row[-1])})" if row[-1] else ")")
                for row in duplicate
            )
            raise InputError(
                f"{file}: duplicate {key} for table {spec.name}: {examples}; "
                "each must appear once; remove the duplicates and import again"
            )
        if "import_source" in spec.key:
            return
        join = " AND ".join(f"t.{c} = s.{c}" for c in spec.key)
        clash = self._run(
            f"SELECT {', '.join('s.' + c for c in spec.key)}, t.import_source "
            f"FROM {name} s JOIN {spec.name} t ON {join} "
            f"WHERE t.import_source <> ? LIMIT 3",
            [source],
        )
        if clash:
            owner = str(clash[0][-1])
            ids = ", ".join("/".join(str(v) for v in row[:-1]) for row in clash)
            raise InputError(
                f"{file}: {spec.name} {ids} already imported from source "
                f"{owner!r}; to update those records with a newer export of "
                f"the same CRM, pass --source {owner.split(':', 1)[-1]}"
            )

    def _upsert(
        self, spec: TableSpec, table: ir.Table, source: str, full_export: bool
    ) -> TableCounts:
        counts = TableCounts(spec.name)
        staged = _sql_name(table.get_name())
        provided = set(table.columns)
        values = []
        for column in spec.column_names:
            if column == "import_source":
                values.append("? AS import_source")
            elif column in provided:
                values.append(
                    f"CAST(s.{column} AS {_base_type(spec, column)}) AS {column}"
                )
            else:
                values.append(f"{_default(spec, column)} AS {column}")
        new = f"SELECT {', '.join(values)} FROM {staged} s"
        stored_before = self._run(
            f"SELECT count(*) FROM {spec.name} WHERE import_source = ?", [source]
        )[0][0]
        if not stored_before:
            # The source's first import: every key is new (another source's
            # keys were rejected by _check_staged), so rows go straight in.
            self._run(f"INSERT INTO {spec.name} {new}", [source])
            counts.inserted = self.count(table.get_name())
            return counts
        self._run(f"CREATE OR REPLACE TEMP TABLE _incoming AS {new}", [source])
        key_join = " AND ".join(f"t.{c} = i.{c}" for c in spec.key)
        same = " AND ".join(
            f"t.{c} IS NOT DISTINCT FROM i.{c}"
            for c in spec.column_names
            if c not in spec.positional
        )
        found = self._run(
            f"SELECT count(*) FILTER (WHERE t.{spec.key[0]} IS NULL), "
            f"count(*) FILTER (WHERE t.{spec.key[0]} IS NOT NULL AND NOT ({same})), "
            f"count(*) FILTER (WHERE t.{spec.key[0]} IS NOT NULL AND ({same})) "
            f"FROM _incoming i LEFT JOIN {spec.name} t ON {key_join}"
        )[0]
        counts.inserted, counts.updated, counts.unchanged = (int(v) for v in found)
        live_before = self._run(
            f"SELECT count(*) FROM {spec.name} WHERE import_source = ? "
            "AND NOT is_deleted",
            [source],
        )[0][0]
        if counts.updated or counts.unchanged:
            self._run(
                "CREATE OR REPLACE TEMP TABLE _changed AS SELECT i.* FROM _incoming i "
                f"WHERE NOT EXISTS (SELECT 1 FROM {spec.name} t WHERE {same})"
            )
            self._run(
                f"DELETE FROM {spec.name} t WHERE EXISTS "
                f"(SELECT 1 FROM _changed i WHERE {key_join})"
            )
            self._run(f"INSERT INTO {spec.name} SELECT * FROM _changed")
            self._run("DROP TABLE _changed")
        else:
            # Every key is new, so no stored row changes or is replaced.
            self._run(f"INSERT INTO {spec.name} SELECT * FROM _incoming")
        # Only rows of this source that were stored before can be missing.
        if full_export and live_before:
            missing = (
                f"FROM {spec.name} t WHERE t.import_source = ? AND NOT t.is_deleted "
                f"AND NOT EXISTS (SELECT 1 FROM _incoming i WHERE {key_join})"
            )
            deleted = self._run(f"SELECT count(*) {missing}", [source])
            counts.deleted = int(deleted[0][0])
            if counts.deleted:
                self._run(
                    f"UPDATE {spec.name} SET is_deleted = true WHERE rowid IN "
                    f"(SELECT t.rowid {missing})",
                    [source],
                )
        self._run("DROP TABLE _incoming")
        return counts

    def _replace_findings(self, source: str, findings: Sequence[Finding]) -> None:
        self._run("DELETE FROM import_findings WHERE import_source = ?", [source])
        for finding in findings:
            self._run(
                "INSERT INTO import_findings VALUES (?, ?, ?, ?, ?)",
                [
                    source,
                    finding.kind,
                    finding.count,
                    finding.message,
                    json.dumps(finding.examples[:10]),
                ],
            )

    def _log_import(self, result: ImportResult, started: dt.datetime) -> None:
        next_id = int(self._run("SELECT coalesce(max(id), 0) + 1 FROM imports")[0][0])
        finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self._run(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                next_id,
                result.importer,
                result.source,
                json.dumps(result.files),
                result.full_export,
                started,
                finished,
                result.rows_read,
                result.total("inserted"),
                result.total("updated"),
                result.total("unchanged"),
                result.total("deleted"),
                result.rejected,
                json.dumps(result.to_dict(), default=str),
            ],
        )

    def list_findings(self) -> list[dict[str, Any]]:
        found = self._run(
            "SELECT import_source, kind, count, message, examples "
            "FROM import_findings ORDER BY import_source, kind"
        )
        return [
            {
                "source": source,
                "kind": kind,
                "count": int(count),
                "message": message,
                "examples": json.loads(examples),
            }
            for source, kind, count, message, examples in found
        ]

    def list_imports(self) -> list[dict[str, Any]]:
        return self._query(
            "SELECT id, importer, import_source, files, full_export, started_at, "
            "rows_read, inserted, updated, unchanged, deleted, rejected "
            "FROM imports ORDER BY id"
        )

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return every imported table's rows in key order (for comparisons)."""
        result = {}
        for spec in IMPORTED_TABLES.values():
            order = ", ".join(spec.key)
            rows = self._run(f"SELECT * FROM {spec.name} ORDER BY {order}")
            result[spec.name] = [tuple(row) for row in rows]
        return result


def _default(spec: TableSpec, column: str) -> str:
    """Return the SQL default of a column the importer did not provide."""
    kind = dict(spec.all_columns)[column]
    if " DEFAULT " in kind:
        return kind.split(" DEFAULT ", 1)[1]
    return f"CAST(NULL AS {_base_type(spec, column)})"


def _rows_text(rows: list[Any]) -> str:
    """Return up to five file rows: ``rows [3, 5]`` or ``Task.csv row 3, ...``."""
    first_rows = rows[:5]
    if first_rows and isinstance(first_rows[0], str):
        return ", ".join(first_rows)
    return f"rows {first_rows}"


def _header_line(path: Path, count: int) -> list[str] | None:
    """Return the header cells as written in the file.

    The delimiter is the one that splits the header into ``count`` cells.
    Returns None when no delimiter does.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        start = handle.read(1 << 16)
    for delimiter in (",", ";", "\t", "|"):
        cells = next(csv.reader(io.StringIO(start), delimiter=delimiter), [])
        if len(cells) == count:
            return cells
    return None


def _count_lines(path: Path) -> int:
    """Count the lines of a file, the last one with or without a newline."""
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _base_type(spec: TableSpec, column: str) -> str:
    kind = dict(spec.all_columns)[column]
    return kind.split()[0]
