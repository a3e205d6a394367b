"""Shared parts of every importer: options, column lookup by alias, the import run."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers.parsing import Order
from revarch.storage import Finding, ImportResult, RawFile, Store, TableLoad
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

# Called with a short description of the step and the steps done and total.
Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    """Ignore progress reports."""


@dataclass
class ImportOptions:
    """Options every importer takes from the command line."""

    source: str | None = None
    partial: bool = False
    timezone: str | None = None
    order: Order | None = None
    progress: Progress = no_progress


def normalize_header(header: str) -> str:
    """Reduce a header to lowercase letters and digits: 'Opp ID' -> 'oppid'."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass
class Columns:
    """Finds a file's columns by any of their known names."""

    raw: RawFile
    file: str
    _by_key: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._by_key = {}
        for header in self.raw.headers:
            self._by_key.setdefault(normalize_header(header), header)

    def find(self, *aliases: str) -> str | None:
        """Return the header matching the first alias found, or None."""
        for alias in aliases:
            header = self._by_key.get(normalize_header(alias))
            if header is not None:
                return header
        return None

    def require(self, field_name: str, *aliases: str) -> str:
        """Return the header for a required field or raise naming what exists."""
        header = self.find(*aliases)
        if header is None:
            names = ", ".join(repr(a) for a in aliases)
            found = ", ".join(self.raw.headers[:40])
            raise InputError(
                f"{self.file}: missing required column for {field_name} "
                f"(looked for {names}); the file has: {found}"
            )
        return header

    def get(self, *aliases: str) -> ir.StringValue | None:
        """Return the column expression for the first alias found, or None."""
        header = self.find(*aliases)
        return None if header is None else self.raw.table[header]


def default_source(importer: str, path: Path, name: str | None) -> str:
    """Name an import source: the importer plus --source or the file or folder name."""
    return f"{importer}:{name or path.resolve().name}"


def workspace_timezone(workspace: Workspace, options: ImportOptions) -> str:
    return options.timezone or workspace.settings.company.timezone


def apply(
    store: Store,
    *,
    importer: str,
    source: str,
    files: Sequence[RawFile],
    loads: Sequence[TableLoad],
    options: ImportOptions,
    rejected: int = 0,
    findings: Iterable[Finding] = (),
    notes: Iterable[str] = (),
) -> ImportResult:
    """Write the staged loads in one transaction and return the summary."""
    all_notes = list(notes)
    for raw in files:
        if raw.encoding != "utf-8":
            all_notes.append(
                f"{raw.path.name} was read as {raw.encoding} and converted to UTF-8"
            )
    result = store.apply_import(
        importer=importer,
        source=source,
        files=[raw.path.name for raw in files],
        loads=loads,
        full_export=not options.partial,
        rows_read=sum(raw.rows for raw in files),
        rejected=rejected,
        findings=[f for f in findings if f.count],
        notes=all_notes,
    )
    log.info(
        "imported %s from %s: %d inserted, %d updated, %d unchanged, %d deleted",
        importer,
        source,
        result.total("inserted"),
        result.total("updated"),
        result.total("unchanged"),
        result.total("deleted"),
    )
    return result
