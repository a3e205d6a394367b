"""Find the files of a Salesforce export folder by the object each one holds.

Data Export, Data Loader and report exports name the same object differently
(``Opportunity History.csv``, ``OpportunityHistory.csv``,
``opportunity_history.csv``, ``DTC_OpportunityHistory.csv``). A file matches
an object when its name, ignoring case, ends with the object's words, joined
by nothing, spaces, underscores or hyphens, after an optional prefix that
ends in one of those separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from revarch.errors import InputError

# Object kind -> the word sequences its file names use.
OBJECT_NAMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "opportunity": (("opportunity",), ("opportunities",)),
    "history": (("opportunity", "history"), ("opportunity", "histories")),
    "stage": (("opportunity", "stage"),),
    "user": (("user",),),
    "role": (("user", "role"),),
    "task": (("task",),),
    "event": (("event",),),
    "call": (("telephony",), ("call",), ("call", "log"), ("phone", "call")),
    "dated_rate": (("dated", "conversion", "rate"),),
    "currency": (("currency", "type"),),
}

# Display names for messages, in the order files are read.
OBJECT_LABELS: dict[str, str] = {
    "opportunity": "Opportunity",
    "history": "OpportunityHistory",
    "stage": "OpportunityStage",
    "user": "User",
    "role": "UserRole",
    "task": "Task",
    "event": "Event",
    "call": "call log (Telephony)",
    "dated_rate": "DatedConversionRate",
    "currency": "CurrencyType",
}

_SEPARATOR = r"[\s_\-]*"


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    body = _SEPARATOR.join(re.escape(word) for word in words)
    return re.compile(rf"^(?:.*[\s_.\-])?{body}s?$", re.IGNORECASE)


_PATTERNS = {
    kind: tuple(_pattern(words) for words in variants)
    for kind, variants in OBJECT_NAMES.items()
}


@dataclass
class ExportFiles:
    """The recognised files of an export folder, by object kind."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def get(self, kind: str) -> Path | None:
        return self.files.get(kind)


def classify(path: Path) -> str | None:
    """Return the object kind a CSV file name stands for, or None."""
    if path.suffix.lower() != ".csv":
        return None
    for kind, patterns in _PATTERNS.items():
        if any(pattern.match(path.stem) for pattern in patterns):
            return kind
    return None


def find_export_files(folder: Path) -> ExportFiles:
    """List the export's files by object kind; raise without an Opportunity file."""
    if not folder.exists():
        raise InputError(f"{folder}: folder not found; check the path")
    if not folder.is_dir():
        raise InputError(
            f"{folder}: is a file, expected the folder of a Salesforce export "
            "(with Opportunity.csv and, if exported, OpportunityHistory.csv)"
        )
    found = ExportFiles(folder)
    by_kind: dict[str, list[Path]] = {}
    names = sorted(p for p in folder.iterdir() if p.is_file())
    for path in names:
        kind = classify(path)
        if kind is None:
            found.ignored.append(path.name)
        else:
            by_kind.setdefault(kind, []).append(path)
    for kind, paths in by_kind.items():
        if len(paths) > 1:
            listed = ", ".join(p.name for p in paths)
            raise InputError(
                f"{folder}: {len(paths)} files contain the {OBJECT_LABELS[kind]} "
                f"object ({listed}); keep one of them in the folder"
            )
        found.files[kind] = paths[0]
    if "opportunity" not in found.files:
        listed = ", ".join(p.name for p in names) or "no files"
        raise InputError(
            f"{folder}: no Opportunity file found (looked for names such as "
            f"Opportunity.csv, opportunities.csv or PREFIX_Opportunity.csv); "
            f"the folder has: {listed}"
        )
    found.files = {k: found.files[k] for k in OBJECT_LABELS if k in found.files}
    return found
