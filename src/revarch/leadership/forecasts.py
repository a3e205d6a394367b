"""Managers' forecast submissions: submit, import and list them.

Every submission is stored as its own snapshot in the ``forecasts`` table and
never overwritten, so the accuracy of each weekly call can be measured
later. Submission times are wall-clock records (UTC): they never move the
as-of date. Accuracy lives in ``revarch.leadership.accuracy``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revarch.errors import InputError
from revarch.leadership.accuracy import ForecastAccuracy, compute_forecast_accuracy
from revarch.leadership.people import People
from revarch.timeframe import parse_period

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

TABLE = "forecasts"
COLUMNS = (
    "manager_id",
    "period",
    "category",
    "amount",
    "currency",
    "submitted_at",
    "source",
)
# Header aliases of an imported forecast file, per column.
ALIASES: dict[str, tuple[str, ...]] = {
    "manager_id": ("manager_id", "manager", "managerid", "owner_id", "owner"),
    "period": ("period", "forecast_period", "quarter"),
    "category": ("category", "forecast_category", "forecastcategory"),
    "amount": ("amount", "forecast", "forecast_amount", "value"),
    "currency": ("currency", "currency_iso_code", "currencyisocode"),
    "submitted_at": ("submitted_at", "submitted", "submitted_on", "timestamp", "date"),
}
# A forecast above this is a typing error, not a forecast.
MAX_AMOUNT = 1e12
REQUIRED = ("manager_id", "period", "amount", "submitted_at")

__all__ = [
    "ForecastAccuracy",
    "ForecastImport",
    "compute_forecast_accuracy",
    "import_forecasts",
    "list_forecasts",
    "submit_forecast",
]


def now_utc() -> dt.datetime:
    """Return the current UTC time without a zone, to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _category(text: str | None, workspace: Workspace) -> str:
    value = (text or workspace.settings.forecast.category).strip().lower()
    return value.replace(" ", "_").replace("-", "_")


def _currency(text: str | None, workspace: Workspace, where: str) -> str:
    if text is None or not text.strip():
        return workspace.settings.company.currency
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InputError(
            f"invalid {where} {text!r}: use a three-letter ISO 4217 code such as "
            "USD or EUR"
        )
    return code


def _amount(value: float | str, where: str) -> float:
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        raise InputError(
            f"invalid {where} {value!r}: use a number such as 250000"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"invalid {where} {value!r}: use a number of 0 or more")
    if number > MAX_AMOUNT:
        raise InputError(
            f"invalid {where} {value!r}: above {MAX_AMOUNT:,.0f}, which no "
            "period's bookings reach; check the amount (base currency, not cents)"
        )
    return number


def submit_forecast(
    workspace: Workspace,
    *,
    manager: str,
    period: str,
    amount: float | str,
    category: str | None = None,
    currency: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record one forecast snapshot; earlier snapshots stay as they are.

    ``manager`` is a seller id or name; ``period`` a period id (2025-Q2).
    ``submitted_at`` (UTC, default now) is the wall-clock time. Raises
    ``InputError`` for an unknown manager or an invalid value.
    """
    people = People.read(workspace)
    managers = [people.by_id[m] for m in people.managers() if m in people.by_id]
    person = people.find(manager, flag="--manager", choices=managers)
    start_month = workspace.settings.company.fiscal_year_start_month
    row = {
        "manager_id": person.id,
        "period": parse_period(period, start_month).id,
        "category": _category(category, workspace),
        "amount": _amount(amount, "--amount"),
        "currency": _currency(currency, workspace, "--currency"),
        "submitted_at": submitted_at or now_utc(),
        "source": "cli",
    }
    workspace.store.insert_rows(TABLE, [row])
    log.info("recorded a %s forecast of %s for %s", row["category"], person.id, period)
    return {**row, "manager_name": person.label}


# -- importing a file -------------------------------------------------------------


@dataclass
class ForecastImport:
    """Counts of one forecast file import: rows read, inserted, skipped."""

    file: str
    rows_read: int
    inserted: int
    unchanged: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }


def parse_submitted_at(text: str, timezone: str, where: str) -> dt.datetime:
    """Parse an ISO date or date-time into naive UTC; zone-less is ``timezone``.

    A date alone means the start of that day.
    """
    cleaned = text.strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        raise InputError(
            f"invalid {where} {text!r}: use an ISO date or date-time such as "
            "2025-04-07 or 2025-04-07T16:30:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _find_columns(headers: tuple[str, ...], file: str) -> dict[str, str]:
    from revarch.importers.base import normalize_header

    by_key = {normalize_header(h): h for h in headers}
    found: dict[str, str] = {}
    for column, aliases in ALIASES.items():
        for alias in aliases:
            header = by_key.get(normalize_header(alias))
            if header is not None:
                found[column] = header
                break
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        raise InputError(
            f"{file}: missing column {missing[0]} (also read as "
            f"{', '.join(ALIASES[missing[0]][1:])}); the file has "
            f"{', '.join(headers)}; add the column and import again"
        )
    return found


def _file_rows(
    workspace: Workspace, path: Path, timezone: str
) -> tuple[list[dict[str, Any]], int]:
    """Read and check every row of a forecast file; raise on the first bad one."""
    from revarch.storage.store import ROW_COLUMN

    raw = workspace.store.read_csv(path)
    columns = _find_columns(raw.headers, path.name)
    people = People.read(workspace)
    start_month = workspace.settings.company.fiscal_year_start_month
    rows = []
    for record in workspace.store.rows(raw.table.order_by(ROW_COLUMN)):

        def where(column: str, row: dict[str, Any] = record) -> str:
            return f"{path.name} row {row[ROW_COLUMN]} column {columns[column]}"

        def value(column: str, row: dict[str, Any] = record) -> str | None:
            header = columns.get(column)
            text = row[header] if header else None
            return text.strip() if isinstance(text, str) and text.strip() else None

        for column in REQUIRED:
            if value(column) is None:
                raise InputError(f"{where(column)} is empty; every row needs one")
        manager = people.find(str(value("manager_id")), flag=where("manager_id"))
        rows.append(
            {
                "manager_id": manager.id,
                "period": parse_period(
                    str(value("period")), start_month, flag=where("period")
                ).id,
                "category": _category(value("category"), workspace),
                "amount": _amount(str(value("amount")), where("amount")),
                "currency": _currency(
                    value("currency"),
                    workspace,
                    where("currency") if "currency" in columns else "currency",
                ),
                "submitted_at": parse_submitted_at(
                    str(value("submitted_at")), timezone, where("submitted_at")
                ),
                "source": path.name,
            }
        )
    return rows, raw.rows


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in COLUMNS)


def import_forecasts(
    workspace: Workspace, path: Path, *, timezone: str | None = None
) -> ForecastImport:
    """Import forecast snapshots from a CSV file; rows already stored are skipped.

    Columns: manager (id or name), period, amount, submitted_at, and
    optionally category (default the ``forecast.category`` setting) and
    currency (default the base currency). Zone-less times are read in
    ``timezone`` (default the workspace's). Any invalid row stops the import
    with nothing written.
    """
    zone = timezone or workspace.settings.company.timezone
    rows, read = _file_rows(workspace, path, zone)
    existing = {_key(row) for row in _stored_rows(workspace)}
    new: list[dict[str, Any]] = []
    for row in rows:
        if _key(row) not in existing:
            existing.add(_key(row))
            new.append(row)
    workspace.store.insert_rows(TABLE, new)
    log.info("imported %d forecast snapshots from %s", len(new), path)
    notes = []
    if len(new) < len(rows):
        notes.append(
            f"{len(rows) - len(new)} rows were already stored (same manager, "
            "period, category, amount, currency, time and file) and were skipped"
        )
    return ForecastImport(path.name, read, len(new), len(rows) - len(new), notes)


# -- listing ----------------------------------------------------------------------


def _stored_rows(workspace: Workspace) -> list[dict[str, Any]]:
    table = workspace.store.table(TABLE)
    return workspace.store.rows(table.select(*COLUMNS))


def list_forecasts(
    workspace: Workspace,
    *,
    manager: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Return every stored snapshot, by manager, period and submission time.

    Each row carries ``manager_name`` and ``late``: submitted at or after the
    end of its period (in the workspace timezone).
    """
    from revarch.leadership.accuracy import period_close

    people = People.read(workspace)
    start_month = workspace.settings.company.fiscal_year_start_month
    wanted_manager = None
    if manager is not None:
        wanted_manager = people.find(manager, flag="--manager").id
    wanted_period = parse_period(period, start_month).id if period else None
    rows = []
    for row in _stored_rows(workspace):
        if wanted_manager is not None and row["manager_id"] != wanted_manager:
            continue
        if wanted_period is not None and row["period"] != wanted_period:
            continue
        close = period_close(workspace, row["period"])
        rows.append(
            {
                **row,
                "manager_name": people.name(row["manager_id"]),
                "late": row["submitted_at"] >= close,
            }
        )
    rows.sort(key=lambda r: (r["manager_id"], r["period"], r["submitted_at"]))
    return rows
