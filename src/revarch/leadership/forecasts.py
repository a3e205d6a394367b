"""Managers' forecast submissions: submit, import and list them.

Every submission is stored as its own snapshot in the ``forecasts`` table and
never overwritten, so the accuracy of each weekly call can be measured
later. Submission times are wall-clock records (UTC): they never move the
as-of date. Accuracy lives in ``revarch.leadership.accuracy``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revarch.errors import InputError
from revarch.leadership.accuracy import (
    ForecastAccuracy,
    compute_forecast_accuracy,
    conversion_problem,
    period_close,
    period_end_instant,
    rate_starts,
)
from revarch.leadership.people import People
from revarch.timeframe import Period, parse_period

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


def _category(text: str | None, workspace: Workspace, where: str) -> str:
    """Return the category in snake case; None means the configured one."""
    default = workspace.settings.forecast.category
    if text is not None and not text.strip():
        raise InputError(
            f"invalid {where} {text!r}: the category is empty; give one such as "
            f"commit or best_case, or leave it out for the default {default}"
        )
    value = (text or default).strip().lower()
    return value.replace(" ", "_").replace("-", "_")


def _currency_code(text: str | None, workspace: Workspace, where: str) -> str:
    if text is None or not text.strip():
        return workspace.settings.company.currency
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InputError(
            f"invalid {where} {text!r}: use a three-letter ISO 4217 code such as "
            "USD or EUR"
        )
    return code


def _check_convertible(
    code: str,
    period: Period,
    workspace: Workspace,
    starts: dict[str, dt.date],
    where: str,
) -> None:
    """Raise ``InputError`` when accuracy could not convert ``code`` to base.

    A forecast converts at the rate in effect on its period's first day.
    """
    base = workspace.settings.company.currency
    day = period.start
    reason = conversion_problem(code, day, base, starts)
    if reason is None:
        return
    if code not in starts:
        fix = f"import {code} rates into fx_rates"
    else:
        reason += f", the first day of {period.id}, whose rate converts this forecast"
        fix = f"import a {code} rate dated on or before {day.isoformat()}"
    raise InputError(
        f"invalid {where} {code!r}: it is not the base currency {base}, and "
        f"{reason}; {fix} (an fx_rates.csv through `revarch import csv`), or give "
        f"the amount in {base}"
    )


def _amount(value: float | str, where: str) -> float:
    """Return the amount rounded to cents; raise ``InputError`` if unusable."""
    try:
        number = decimal.Decimal(str(value).replace(",", "").strip())
    except decimal.InvalidOperation:
        raise InputError(
            f"invalid {where} {value!r}: use a number such as 250000"
        ) from None
    if not number.is_finite() or number < 0:
        raise InputError(f"invalid {where} {value!r}: use a number of 0 or more")
    if number > MAX_AMOUNT:
        raise InputError(
            f"invalid {where} {value!r}: above {MAX_AMOUNT:,.0f}, which no "
            "period's bookings reach; check the amount (base currency, not cents)"
        )
    cents = number.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    if number > 0 and cents == 0:
        raise InputError(
            f"invalid {where} {value!r}: amounts are kept to the cent and this "
            "one rounds to 0.00; give the forecast in currency units, for "
            "example 250000, or 0 for no bookings"
        )
    return float(cents) + 0.0


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
    ``submitted_at`` (UTC, default now) is the wall-clock time. The amount
    is kept to the cent. Raises ``InputError`` for an unknown manager, an
    invalid value or a currency accuracy could not convert. The result's
    ``warnings`` say when the snapshot is late or the manager has no team.
    """
    people = People.read(workspace)
    managers = [people.by_id[m] for m in people.managers() if m in people.by_id]
    person = people.find(manager, flag="--manager", choices=managers)
    start_month = workspace.settings.company.fiscal_year_start_month
    chosen = parse_period(period, start_month)
    code = _currency_code(currency, workspace, "--currency")
    _check_convertible(code, chosen, workspace, rate_starts(workspace), "--currency")
    row = {
        "manager_id": person.id,
        "period": chosen.id,
        "category": _category(category, workspace, "--category"),
        "amount": _amount(amount, "--amount"),
        "currency": code,
        "submitted_at": submitted_at or now_utc(),
        "source": "cli",
    }
    workspace.store.insert_rows(TABLE, [row])
    log.info("recorded a %s forecast of %s for %s", row["category"], person.id, period)
    warnings = []
    close = period_end_instant(chosen, workspace.settings.company.timezone)
    if row["submitted_at"] >= close:
        warnings.append(_late_warning(chosen, close, workspace))
    if not people.team_of(person.id):
        warnings.append(
            f"no seller reports to {person.label} ({person.id}) in the sellers "
            "table, so their actual will be 0 and only the absolute error of "
            "this forecast can be reported; check the manager or the sellers' "
            "manager_id"
        )
    return {**row, "manager_name": person.label, "warnings": warnings}


def _late_warning(period: Period, close: dt.datetime, workspace: Workspace) -> str:
    zone = workspace.settings.company.timezone
    return (
        f"{period.id} already closed at the end of {period.end.isoformat()} "
        f"({zone}, {close.isoformat(sep=' ')} UTC): this snapshot is recorded "
        "as late, and forecast accuracy will not use it"
    )


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


@dataclass
class _FileContext:
    """Inputs shared by the checks of one forecast file's rows."""

    workspace: Workspace
    file: str
    columns: dict[str, str]
    people: People
    timezone: str
    rate_starts: dict[str, dt.date]


def _file_row(record: dict[str, Any], context: _FileContext) -> dict[str, Any]:
    """Check one row of a forecast file and return it as a ``forecasts`` row."""
    from revarch.storage.store import ROW_COLUMN

    columns = context.columns
    workspace = context.workspace

    def where(column: str) -> str:
        return f"{context.file} row {record[ROW_COLUMN]} column {columns[column]}"

    def value(column: str) -> str | None:
        header = columns.get(column)
        text = record[header] if header else None
        return text.strip() if isinstance(text, str) and text.strip() else None

    for column in REQUIRED:
        if value(column) is None:
            raise InputError(f"{where(column)} is empty; every row needs one")
    manager = context.people.find(str(value("manager_id")), flag=where("manager_id"))
    start_month = workspace.settings.company.fiscal_year_start_month
    period = parse_period(str(value("period")), start_month, flag=where("period"))
    currency_at = where("currency") if "currency" in columns else "currency"
    code = _currency_code(value("currency"), workspace, currency_at)
    _check_convertible(code, period, workspace, context.rate_starts, currency_at)
    return {
        "manager_id": manager.id,
        "period": period.id,
        "category": _category(value("category"), workspace, "category"),
        "amount": _amount(str(value("amount")), where("amount")),
        "currency": code,
        "submitted_at": parse_submitted_at(
            str(value("submitted_at")), context.timezone, where("submitted_at")
        ),
        "source": context.file,
    }


def _file_rows(
    workspace: Workspace, path: Path, timezone: str
) -> tuple[list[dict[str, Any]], int]:
    """Read and check every row of a forecast file; raise on the first bad one."""
    from revarch.storage.store import ROW_COLUMN

    raw = workspace.store.read_csv(path)
    context = _FileContext(
        workspace=workspace,
        file=path.name,
        columns=_find_columns(raw.headers, path.name),
        people=People.read(workspace),
        timezone=timezone,
        rate_starts=rate_starts(workspace),
    )
    records = workspace.store.rows(raw.table.order_by(ROW_COLUMN))
    return [_file_row(record, context) for record in records], raw.rows


def _import_notes(workspace: Workspace, new: list[dict[str, Any]]) -> list[str]:
    """Return notes on added snapshots that are late or whose manager has no team."""
    notes = []
    zone = workspace.settings.company.timezone
    late = [r for r in new if r["submitted_at"] >= period_close(workspace, r["period"])]
    if late:
        notes.append(
            f"{len(late)} added snapshots were submitted after their period "
            f"closed (the end of its last day in {zone}): they are recorded as "
            "late, and forecast accuracy will not use them"
        )
    people = People.read(workspace)
    alone = sorted({r["manager_id"] for r in new} - set(people.managers()))
    alone = [m for m in alone if not people.team_of(m)]
    if alone:
        names = ", ".join(f"{people.name(m)} ({m})" for m in alone)
        notes.append(
            f"no seller reports to {names} in the sellers table, so their "
            "actual will be 0; check the managers or the sellers' manager_id"
        )
    return notes


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in COLUMNS)


def import_forecasts(
    workspace: Workspace, path: Path, *, timezone: str | None = None
) -> ForecastImport:
    """Import forecast snapshots from a CSV file; rows already stored are skipped.

    Columns: manager (id or name), period, amount, submitted_at, and
    optionally category (default the ``forecast.category`` setting) and
    currency (default the base currency; another one needs fx_rates rates from
    the period's first day). Amounts are kept to the cent. Zone-less times are
    read in ``timezone`` (default the workspace's). Any invalid row stops the
    import with nothing written.
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
    notes += _import_notes(workspace, new)
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
