"""Converting amounts to the workspace's base currency.

The ``fx_rates`` table contains ``currency``, ``date`` (from which the rate
applies) and ``rate`` (base-currency units per unit of the currency). The
rate in effect on a date is the latest one on or before it, as Salesforce's
dated conversion rates work. An amount in the base currency converts at 1
and needs no rate; any other currency without a rate in effect is an error,
so amounts in different currencies are never added up unconverted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.timeframe import local_date

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

RATE_COLUMN = "fx_rate"
_CURRENCY = "_fx_currency"


def normalize_currency(currency: ir.StringValue, base: str) -> ir.StringValue:
    """Return the upper-case ISO code; a missing currency means the base one."""
    # NOTE: importers record the currency of every amount; a row without one
    # comes from a single-currency export and is read as the base currency.
    return currency.strip().upper().nullif("").fill_null(base)


def amount_date(
    summary: ir.Table, timezone: str, *, status: str = "status"
) -> ir.DateValue:
    """Return the conversion date: close date when closed, else creation date.

    Creation timestamps are cut into dates in ``timezone``. A closed
    opportunity without a close date falls back to its creation date.
    """
    created = local_date(summary.created_at, timezone)
    closed = summary[status].isin(["won", "lost"])
    return closed.ifelse(summary.close_date.coalesce(created), created)


def _rates(workspace: Workspace) -> ir.Table:
    rates = workspace.store.table("fx_rates")
    rates = rates.filter(~rates.is_deleted)
    return rates.select(
        _rate_currency=rates.currency.strip().upper(),
        _rate_date=rates.date,
        _rate=rates.rate,
    )


def _latest_rates(rows: ir.Table, rates: ir.Table, date: str) -> ir.Table:
    """Return the rate in effect per distinct (currency, date) of ``rows``.

    This is an as-of join written as a range join and a max, because Spark has
    no as-of join. Two rates for one currency and date (``usd`` and ``USD``
    rows) leave the choice between them to the engine, as an as-of join does.
    """
    keys = rows.select(_key_currency=rows[_CURRENCY], _key_date=rows[date]).distinct()
    candidates = keys.inner_join(
        rates,
        [
            keys._key_currency == rates._rate_currency,
            keys._key_date >= rates._rate_date,
        ],
    )
    return candidates.group_by(["_key_currency", "_key_date"]).aggregate(
        _rate=candidates._rate.argmax(candidates._rate_date)
    )


def join_rates(
    workspace: Workspace,
    table: ir.Table,
    *,
    currency: str = "currency",
    date: str = "fx_date",
) -> ir.Table:
    """Add ``fx_rate`` to every row: base units per unit of its currency.

    Joins ``fx_rates`` as of each row's ``date`` (the latest rate on or
    before it). The rate is null where a foreign currency has no rate in
    effect, and ``check_rates`` turns that into an error. An ``fx_rate``
    column already in ``table`` is replaced.
    """
    if RATE_COLUMN in table.columns:
        table = table.drop(RATE_COLUMN)
    base = workspace.settings.company.currency
    rows = table.mutate(**{_CURRENCY: normalize_currency(table[currency], base)})
    latest = _latest_rates(rows, _rates(workspace), date)
    joined = rows.left_join(
        latest,
        [rows[_CURRENCY] == latest._key_currency, rows[date] == latest._key_date],
    )
    rate = (joined[_CURRENCY] == base).ifelse(
        ibis.literal(1.0), joined._rate.cast(dtypes.float64)
    )
    return joined.mutate(**{RATE_COLUMN: rate}).select(*table.columns, RATE_COLUMN)


def attach_rates(
    workspace: Workspace,
    table: ir.Table,
    *,
    amounts: Sequence[str],
    currency: str = "currency",
    date: str = "fx_date",
    label: str | None = None,
) -> ir.Table:
    """Add ``fx_rate`` to every row (see ``join_rates``) and check it.

    Raises ``InputError`` naming the currency and the date when a row with a
    non-null amount in ``amounts`` has a foreign currency and no rate in
    effect. ``label`` names the column that identifies a row in that message
    (an opportunity id, for example).
    """
    with_rate = join_rates(workspace, table, currency=currency, date=date)
    check_rates(
        workspace, with_rate, amounts=amounts, currency=currency, date=date, label=label
    )
    return with_rate


def check_rates(
    workspace: Workspace,
    with_rate: ir.Table,
    *,
    amounts: Sequence[str],
    currency: str = "currency",
    date: str = "fx_date",
    label: str | None = None,
    cache_key: str | None = None,
) -> None:
    """Raise ``InputError`` for the first amount that has no rate in effect.

    ``with_rate`` carries ``fx_rate``, as ``join_rates`` adds it or as a
    derived table stores it. With ``cache_key``, which must name everything
    the rows depend on, the store keeps the check's result for its
    connection, so checking the same stored rows again costs no scan.
    """
    if not amounts:
        return
    has_amount = ibis.or_(*(with_rate[name].notnull() for name in amounts))
    missing = with_rate.filter(has_amount, with_rate[RATE_COLUMN].isnull())
    base = workspace.settings.company.currency
    missing = missing.mutate(_code=normalize_currency(missing[currency], base))
    first = missing.order_by(["_code", date]).limit(1)
    first = first.mutate(_count=missing.count())
    if cache_key is not None:
        first = workspace.store.stage_once(f"missing_rates:{cache_key}", lambda: first)
    found = workspace.store.rows(first)
    if not found:
        return
    row = found[0]
    raise InputError(_missing_rate_message(row, row["_count"], date, label, base))


def _missing_rate_message(
    row: dict[str, object], count: int, date: str, label: str | None, base: str
) -> str:
    code = row["_code"]
    day = row[date]
    when = day.isoformat() if isinstance(day, dt.date) else "an unknown date"
    which = f" (for example {row[label]})" if label and row.get(label) else ""
    return (
        f"no fx_rates rate for currency {code} on or before {when}, needed to "
        f"convert {count} amount(s) to the base currency {base}{which}; "
        f"add a rate for {code} dated on or before {when} ({base} per 1 {code}) "
        "to fx_rates, for example with an fx_rates.csv through `revarch import csv`"
    )


def convert_to_base(
    workspace: Workspace,
    table: ir.Table,
    *,
    amounts: Sequence[str],
    currency: str = "currency",
    date: str = "fx_date",
    label: str | None = None,
    suffix: str = "_base",
) -> ir.Table:
    """Add ``<amount><suffix>`` columns in the base currency for each amount.

    See ``attach_rates`` for the rate rule and the error on a missing rate.
    """
    with_rate = attach_rates(
        workspace, table, amounts=amounts, currency=currency, date=date, label=label
    )
    return _converted(with_rate, amounts, suffix)


def convert_with_stored_rate(
    workspace: Workspace,
    table: ir.Table,
    *,
    amounts: Sequence[str],
    currency: str = "currency",
    date: str = "fx_date",
    label: str | None = None,
    suffix: str = "_base",
) -> ir.Table:
    """Add ``<amount><suffix>`` columns from the ``fx_rate`` the table carries.

    Meant for rows of ``opportunity_summary``, which stores each amount's
    rate. Raises the same ``InputError`` as ``convert_to_base`` on a missing
    rate.
    """
    check_rates(
        workspace, table, amounts=amounts, currency=currency, date=date, label=label
    )
    return _converted(table, amounts, suffix)


def _converted(with_rate: ir.Table, amounts: Sequence[str], suffix: str) -> ir.Table:
    converted = {
        f"{name}{suffix}": with_rate[name].cast(dtypes.float64) * with_rate[RATE_COLUMN]
        for name in amounts
    }
    return with_rate.mutate(**converted)
