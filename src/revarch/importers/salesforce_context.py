"""State shared by the steps of a Salesforce import, and checked column parsing.

``FileParser`` stages a file's parsed columns and checks them all in one
query, so a bad value is an ``InputError`` naming the file, row, column and
value before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.importers import parsing
from revarch.importers.base import Columns, ImportOptions
from revarch.storage import Finding, RawFile, Store
from revarch.storage.store import ROW_COLUMN
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

# The expected value of a date column, in parsing.check_parsed's words.
DATE_EXPECTED = "a real calendar date and time"


@dataclass
class SourceFile:
    """One staged export file and its columns."""

    kind: str
    raw: RawFile
    columns: Columns

    @property
    def name(self) -> str:
        return self.raw.path.name

    @property
    def table(self) -> ir.Table:
        return self.raw.table

    def text(self, *aliases: str) -> ir.StringValue:
        """Return the cleaned text of the first alias found, or NULL."""
        value = self.columns.get(*aliases)
        return ibis.null(dt.string) if value is None else parsing.text(value)

    def ref(self, *aliases: str) -> ir.StringValue:
        """Return the cleaned id of the first alias found, or NULL."""
        value = self.columns.get(*aliases)
        return ibis.null(dt.string) if value is None else parsing.ref(value)


@dataclass
class ImportContext:
    """The workspace, options and what the import has found so far."""

    workspace: Workspace
    store: Store
    options: ImportOptions
    source: str
    timezone: str
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rejected: int = 0
    _staged: list[str] = field(default_factory=list)

    @property
    def base_currency(self) -> str:
        return self.workspace.settings.company.currency

    def stage(self, expr: ir.Table) -> ir.Table:
        """Materialize an intermediate result in the store's scratch database."""
        table = self.store.stage(expr, scratch=True)
        self._staged.append(table.get_name())
        return table

    def count(self, expr: ir.Table) -> int:
        return int(self.store.fetch(expr.count()))

    def sample(
        self, expr: ir.Table, *, limit: int = 10
    ) -> tuple[int, list[dict[str, Any]]]:
        """Return the row count of ``expr`` and its first rows by file row."""
        total = self.count(expr)
        rows = self.store.rows(expr.order_by(ROW_COLUMN), limit=limit) if total else []
        return total, rows

    def add_finding(
        self, kind: str, count: int, message: str, examples: Sequence[str]
    ) -> None:
        """Record a finding; one with a zero count is left out."""
        if count:
            log.info("%s: %s (%d)", self.source, message, count)
            self.findings.append(Finding(kind, count, message, list(examples)))

    def mark(self) -> int:
        """Return a mark for ``release_since``: how many tables are staged."""
        return len(self._staged)

    def release_since(self, mark: int, keep: ir.Table) -> None:
        """Drop the tables staged after ``mark`` except ``keep``.

        A large import then keeps only the tables later steps read.
        """
        keep_name = keep.get_name()
        later = self._staged[mark:]
        for name in later:
            if name != keep_name:
                self.store.drop(name)
        self._staged[mark:] = [keep_name] if keep_name in later else []

    def release_file(self, file: SourceFile) -> None:
        """Drop a staged file that no later step reads."""
        self.store.drop(file.table.get_name())

    def drop_staged(self, files: Sequence[SourceFile] = ()) -> None:
        """Drop the staged tables and files of this import."""
        for name in self._staged:
            self.store.drop(name)
        for file in files:
            self.store.drop(file.table.get_name())
        self._staged.clear()


@dataclass(frozen=True)
class _Check:
    """One validation: ``invalid`` over the raw file, or a parse that failed."""

    header: str
    expected: str
    invalid: ir.BooleanValue
    parsed: ir.Value | None = None


class FileParser:
    """Builds the parsed columns of one file and validates them all at once.

    The parse helpers return column expressions and record a check each.
    ``stage`` materializes the columns once and counts every check's invalid
    rows in one query, so the large date-parsing expressions are compiled
    once. The first failing check raises ``InputError`` naming the file,
    row, column and value.
    """

    def __init__(
        self,
        ctx: ImportContext,
        file: SourceFile,
        date_headers: Sequence[str | None] = (),
    ) -> None:
        self._ctx = ctx
        self._file = file
        self._checks: list[_Check] = []
        present = [h for h in date_headers if h is not None]
        self._formats = (
            parsing.detect_date_formats(
                ctx.store, file.table, present, file=file.name, order=ctx.options.order
            )
            if present
            else {}
        )

    def _parsed(self, header: str, parsed: ir.Value, expected: str) -> None:
        raw = parsing.text(self._file.table[header])
        invalid = raw.notnull() & parsed.isnull()
        self._checks.append(_Check(header, expected, invalid, parsed))

    def reject(self, header: str, invalid: ir.BooleanValue, expected: str) -> None:
        """Record a check: rows where ``invalid`` is true are an error."""
        self._checks.append(_Check(header, expected, invalid))

    def require(self, header: str, expected: str) -> None:
        """Record that every row needs a value in ``header``."""
        self.reject(header, parsing.text(self._file.table[header]).isnull(), expected)

    def number(self, header: str | None) -> ir.FloatingValue:
        """Parse an amount or other number; a non-numeric value is an error."""
        if header is None:
            return ibis.null(dt.float64)
        parsed = parsing.number(self._file.table[header])
        self._parsed(header, parsed, "a number such as 12500 or 12500.50")
        return parsed

    def integer(self, header: str | None) -> ir.IntegerValue:
        """Parse a whole number such as SortOrder."""
        return self.number(header).round().cast(dt.int32)

    def boolean(self, header: str | None) -> ir.BooleanValue:
        """Parse a flag (0/1, TRUE/FALSE, true/false); other values are errors."""
        if header is None:
            return ibis.null(dt.boolean)
        parsed = parsing.boolean(self._file.table[header])
        self._parsed(header, parsed, "a flag: 1 or 0, TRUE or FALSE")
        return parsed

    def timestamp(
        self, header: str | None, *, wall_time: bool = False
    ) -> ir.TimestampValue:
        """Parse a date-time column into UTC.

        ISO values are UTC (the Salesforce Data Export convention) unless
        ``wall_time`` is set; locale values (slashes, AM/PM) are wall time in
        the import's timezone. A date-only field read with ``wall_time``
        keeps its calendar date in that timezone.
        """
        if header is None:
            return ibis.null(dt.timestamp)
        fmt = self._formats[header]
        zone = "UTC" if fmt.style == "iso" and not wall_time else self._ctx.timezone
        parsed = parsing.timestamp(self._file.table[header], fmt, timezone=zone)
        self._parsed(header, parsed, DATE_EXPECTED)
        return parsed

    def date(self, header: str | None) -> ir.DateValue:
        """Parse a date column; any time part is dropped, never shifted."""
        if header is None:
            return ibis.null(dt.date)
        parsed = parsing.date(self._file.table[header], self._formats[header])
        self._parsed(header, parsed, DATE_EXPECTED)
        return parsed

    def stage(self, **columns: ir.Value) -> ir.Table:
        """Stage the columns (plus the file row), run every check, return the table."""
        table = self._file.table
        select: dict[str, ir.Value] = dict(columns)
        # Per check: the column flagging invalid rows, or the pair (flag of a
        # non-empty raw value, parsed column) whose value is set but whose
        # parse is NULL. The parse runs once, for its column.
        pairs: list[tuple[str, str | None]] = []
        for number, check in enumerate(self._checks):
            if check.parsed is None:
                flag = f"_invalid_{number}"
                select[flag] = check.invalid
                pairs.append((flag, None))
                continue
            name = _column_of(columns, check.parsed) or f"_value_{number}"
            select.setdefault(name, check.parsed)
            present = f"_present_{number}"
            select[present] = parsing.text(table[check.header]).notnull()
            pairs.append((present, name))
        staged = self._ctx.stage(table.select(ROW_COLUMN, **select))
        self._validate(staged, pairs)
        return staged.select(ROW_COLUMN, *columns)

    def _validate(self, staged: ir.Table, pairs: list[tuple[str, str | None]]) -> None:
        if not pairs:
            return
        counts: dict[str, ir.Value] = {}
        for number, (first, parsed) in enumerate(pairs):
            invalid = (
                staged[first]
                if parsed is None
                else staged[first] & staged[parsed].isnull()
            )
            counts[f"invalid_{number}"] = invalid.fill_null(False).cast(dt.int64).sum()
        found = self._ctx.store.rows(staged.aggregate(**counts))[0]
        for number, check in enumerate(self._checks):
            if found[f"invalid_{number}"]:
                parsing.first_invalid(
                    self._ctx.store,
                    self._file.table,
                    check.invalid,
                    check.header,
                    file=self._file.name,
                    expected=check.expected,
                )


def _column_of(columns: dict[str, ir.Value], expr: ir.Value) -> str | None:
    """Return the name of the column that is exactly ``expr``, if any."""
    for name, value in columns.items():
        if isinstance(value, ir.Expr) and value.equals(expr):
            return name
    return None


def digest(*parts: ir.Value) -> ir.StringValue:
    """Return an md5 hex digest of the parts joined by a unit separator."""
    texts = [part.cast(dt.string).fill_null("") for part in parts]
    joined = texts[0]
    for text in texts[1:]:
        joined = joined.concat("\x1f", text)
    return joined.hexdigest("md5")
