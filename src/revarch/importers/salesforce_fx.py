"""Exchange rates from DatedConversionRate and CurrencyType.

Salesforce's ConversionRate is units of the currency per one unit of the
corporate currency. The fx_rates table stores base-currency units per unit
of the currency, so the rate is 1 / ConversionRate.
"""

from __future__ import annotations

import datetime as dt_

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
)
from revarch.storage.store import ROW_COLUMN

# The date CurrencyType rates apply from when the export has no dates at all.
NO_DATES = dt_.date(1900, 1, 1)


def _rate(file: SourceFile, parser: FileParser) -> ir.FloatingValue:
    """Return 1 / ConversionRate; a missing or non-positive rate is an error."""
    header = file.columns.require("the conversion rate", "ConversionRate")
    value = parser.number(header)
    positive = "a positive conversion rate"
    parser.reject(header, (value <= 0).fill_null(False), positive)
    parser.require(header, positive)
    return 1 / value


def _currency(file: SourceFile, parser: FileParser) -> ir.StringValue:
    header = file.columns.require("the currency", "IsoCode", "Currency ISO Code")
    code = parsing.text(file.table[header])
    is_code = code.re_search(r"^[A-Za-z]{3}$").fill_null(False)
    parser.reject(header, ~is_code, "a three-letter ISO 4217 code such as EUR")
    return code.upper()


def parse_dated_rates(ctx: ImportContext, file: SourceFile) -> ir.Table:
    """Parse DatedConversionRate into fx_rates rows."""
    start = file.columns.require("the start date", "StartDate", "Start Date")
    parser = FileParser(ctx, file, [start])
    parser.require(start, "the date the rate applies from")
    return parser.stage(
        currency=_currency(file, parser),
        date=parser.date(start),
        rate=_rate(file, parser),
        import_file=ibis.literal(file.name),
        source_id=file.ref("Id"),
    )


def check_corporate(ctx: ImportContext, file: SourceFile) -> None:
    """Raise when CurrencyType's corporate currency is not the base currency."""
    header = file.columns.find("IsCorporate", "Corporate")
    if header is None:
        return
    code_header = file.columns.require("the currency", "IsoCode")
    parser = FileParser(ctx, file)
    staged = parser.stage(
        corporate=parser.boolean(header),
        code=parsing.text(file.table[code_header]).upper(),
    )
    wrong = staged.filter(staged.corporate.fill_null(False))
    wrong = wrong.filter(wrong.code != ctx.base_currency)
    found = ctx.store.rows(wrong.order_by(ROW_COLUMN), limit=1)
    if found:
        row = found[0]
        raise InputError(
            f"{file.name}, row {row[ROW_COLUMN]}, column {code_header!r}: the "
            f"corporate currency is {row['code']!r} but the workspace base "
            f"currency is {ctx.base_currency!r}; the rates would be wrong. Set "
            "company.currency in revarch.yaml to the corporate currency (in a "
            "new workspace), or leave CurrencyType.csv out of the folder"
        )


def parse_currency_types(
    ctx: ImportContext,
    file: SourceFile,
    dated: ir.Table | None,
    earliest: dt_.date | None,
) -> ir.Table:
    """Parse CurrencyType into fx_rates rows dated the earliest date in the data.

    Currencies that have dated rates keep only those.
    """
    check_corporate(ctx, file)
    parser = FileParser(ctx, file)
    rows = parser.stage(
        currency=_currency(file, parser),
        date=ibis.literal(earliest or NO_DATES, type=dt.date),
        rate=_rate(file, parser),
        import_file=ibis.literal(file.name),
        source_id=file.ref("Id"),
    )
    if dated is not None:
        rows = rows.anti_join(dated, "currency")
    return rows


def earliest_date(
    ctx: ImportContext, opportunities: ir.Table, history: ir.Table | None
) -> dt_.date | None:
    """Return the earliest creation, close or stage-entry date in the data."""
    found = ctx.store.rows(
        opportunities.aggregate(
            created=opportunities.created_at.date().min(),
            closed=opportunities.close_date.min(),
        )
    )[0]
    dates = [found["created"], found["closed"]]
    if history is not None:
        entered = ctx.store.rows(
            history.aggregate(entered=history.entered_at.date().min())
        )[0]
        dates.append(entered["entered"])
    known = [d for d in dates if d is not None]
    return min(known) if known else None
