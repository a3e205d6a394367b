"""Clean CRM export values with Ibis expressions: text, ids, numbers, dates.

Everything here builds column expressions, so a 1M-row file is parsed by the
engine and never becomes a Python object per row. Format detection runs one
aggregate query per column over all of its values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.storage import Store
from revarch.storage.store import ROW_COLUMN

# Salesforce writes empty lookups as an id of zeros in some exports.
NULL_IDS = ("000000000000000AAA", "000000000000000", "000000000000000000")

TRUE_VALUES = ("1", "true", "t", "yes", "y")
FALSE_VALUES = ("0", "false", "f", "no", "n")

ISO = (
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
SLASH = (
    r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4}),?"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$"
)

Order = Literal["day", "month"]


def text(value: ir.StringValue) -> ir.StringValue:
    """Strip a value and turn the empty string into NULL."""
    # NULLIF strips once; a CASE would strip in its test and again in its
    # branch, which the engine does not share.
    return value.strip().nullif("")


def ref(value: ir.StringValue) -> ir.StringValue:
    """Clean an id reference: empty and Salesforce null-id sentinels become NULL."""
    cleaned = text(value)
    for sentinel in NULL_IDS:
        cleaned = cleaned.nullif(sentinel)
    return cleaned


def boolean(value: ir.StringValue) -> ir.BooleanValue:
    """Read 0/1, TRUE/FALSE, true/false, yes/no; anything else is NULL."""
    lowered = text(value).lower()
    return ibis.cases(
        (lowered.isin(TRUE_VALUES), True),
        (lowered.isin(FALSE_VALUES), False),
        else_=ibis.null(dt.boolean),
    )


def is_invalid_boolean(value: ir.StringValue) -> ir.BooleanValue:
    cleaned = text(value)
    return cleaned.notnull() & boolean(value).isnull()


# A decimal point, and commas only between groups of three digits: a decimal
# comma (454160,50 or 454.160,50) would otherwise be read as another number.
NUMBER = r"^[+-]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?([eE][+-]?\d+)?$"


def number(value: ir.StringValue) -> ir.FloatingValue:
    """Read an amount: currency symbols, spaces and thousands commas are dropped.

    Values with a decimal comma are not numbers here (NULL), so importers
    report them as invalid instead of storing a wrong amount.
    """
    cleaned = text(value).re_replace(r"[\s$€£]", "")
    valid = cleaned.re_search(NUMBER)
    return valid.ifelse(cleaned.replace(",", "").try_cast(dt.float64), None)


def is_invalid_number(value: ir.StringValue) -> ir.BooleanValue:
    return text(value).notnull() & number(value).isnull()


def first_invalid(
    store: Store,
    table: ir.Table,
    invalid: ir.BooleanValue,
    column: str,
    *,
    file: str,
    expected: str,
) -> None:
    """Raise ``InputError`` naming the first row where ``invalid`` holds."""
    bad = table.filter(invalid)
    found = store.rows(
        bad.select(ROW_COLUMN, value=table[column]).order_by(ROW_COLUMN), limit=3
    )
    if not found:
        return
    total = store.fetch(bad.count())
    first = found[0]
    examples = ", ".join(f"row {r[ROW_COLUMN]}: {_shown(r['value'])}" for r in found)
    raise InputError(
        f"{file}, row {first[ROW_COLUMN]}, column {column!r}: invalid value "
        f"{_shown(first['value'])}, expected {expected} ({_rows(total)}: {examples}); "
        "fix the values and import again"
    )


def _shown(value: object) -> str:
    """Quote a raw value for a message; an empty cell reads as such."""
    return "(empty)" if value is None or not str(value).strip() else repr(value)


def _rows(count: int) -> str:
    return "1 such row" if count == 1 else f"{count} such rows"


# -- dates -----------------------------------------------------------------------


@dataclass(frozen=True)
class DateFormat:
    """The date format of one column, detected from all of its values."""

    column: str
    style: Literal["iso", "slash", "empty"]
    order: Order | None = None


def _slash_part(value: ir.StringValue, group: int) -> ir.IntegerValue:
    return value.re_extract(SLASH, group).nullif("").cast(dt.int32)


def detect_date_formats(
    store: Store,
    table: ir.Table,
    columns: Sequence[str],
    *,
    file: str,
    order: Order | None = None,
) -> dict[str, DateFormat]:
    """Detect the date format of each column from every value it contains.

    ISO dates and date-times are unambiguous. Slash dates are day-first when
    a first part exceeds 12, and month-first when a second part does. A
    column that shows neither takes the order of the other columns of the
    same file, else ``order``. A column that stays ambiguous, or mixes both
    orders, is an error naming the options that settle it.
    """
    present = [c for c in columns if c in table.columns]
    if not present:
        return {}
    aggregates = {}
    for column in present:
        value = text(table[column])
        # A value with no slash or dot is never a slash date, so the slash
        # patterns run only on the values that could be one.
        maybe_slash = value.contains("/") | value.contains(".")
        is_slash = maybe_slash & value.re_search(SLASH)
        slash_value = is_slash.ifelse(value, ibis.null(dt.string))
        aggregates[f"{column}__n"] = value.notnull().sum()
        aggregates[f"{column}__iso"] = value.re_search(ISO).sum()
        aggregates[f"{column}__slash"] = is_slash.sum()
        aggregates[f"{column}__first"] = _slash_part(slash_value, 1).max()
        aggregates[f"{column}__second"] = _slash_part(slash_value, 2).max()
    stats = store.rows(table.aggregate(**aggregates))[0]
    formats: dict[str, DateFormat] = {}
    undecided: list[str] = []
    for column in present:
        total = int(stats[f"{column}__n"] or 0)
        iso = int(stats[f"{column}__iso"] or 0)
        slash = int(stats[f"{column}__slash"] or 0)
        if total == 0:
            formats[column] = DateFormat(column, "empty")
            continue
        if iso + slash < total or (iso and slash):
            _raise_unknown_date(store, table, column, file=file)
        if iso == total:
            formats[column] = DateFormat(column, "iso")
            continue
        first = int(stats[f"{column}__first"] or 0)
        second = int(stats[f"{column}__second"] or 0)
        if first > 12 and second > 12:
            _raise_unknown_date(store, table, column, file=file, mixed=True)
        if first > 12:
            formats[column] = DateFormat(column, "slash", "day")
        elif second > 12:
            formats[column] = DateFormat(column, "slash", "month")
        else:
            undecided.append(column)
    file_orders = {f.order for f in formats.values() if f.order}
    if len(file_orders) > 1 and order is None:
        raise InputError(
            f"{file}: some date columns are day-first and others month-first; "
            "pass --day-first or --month-first to say how the export writes dates"
        )
    for column in undecided:
        chosen = order or (file_orders.pop() if len(file_orders) == 1 else None)
        if chosen is None:
            raise InputError(
                f"{file}, column {column!r}: dates such as "
                f"{_example(store, table, column)!r} could be day-first or "
                "month-first and no value settles it; pass --day-first or "
                "--month-first"
            )
        formats[column] = DateFormat(column, "slash", chosen)
    if order is not None:
        formats = {
            c: DateFormat(c, f.style, order) if f.style == "slash" else f
            for c, f in formats.items()
        }
    return formats


def _example(store: Store, table: ir.Table, column: str) -> str:
    found = store.rows(
        table.filter(text(table[column]).notnull()).select(v=table[column]), limit=1
    )
    return str(found[0]["v"]) if found else ""


def _raise_unknown_date(
    store: Store, table: ir.Table, column: str, *, file: str, mixed: bool = False
) -> None:
    value = text(table[column])
    if mixed:
        bad = value.re_search(SLASH)
        expected = "one date order per column (day-first or month-first, not both)"
    else:
        bad = value.notnull() & ~value.re_search(ISO) & ~value.re_search(SLASH)
        expected = (
            "a date such as 2025-03-31, 2025-03-31 14:05:00, 3/31/25 2:05 PM "
            "or 31/03/2025 14:05"
        )
        if not store.rows(table.filter(bad), limit=1):
            bad = value.notnull()
            expected = "one date style per column (ISO or with slashes, not both)"
    first_invalid(store, table, bad, column, file=file, expected=expected)
    raise InputError(f"{file}, column {column!r}: unreadable dates")


def _pad(value: ir.IntegerValue, width: int) -> ir.StringValue:
    return value.cast(dt.string).lpad(width, "0")


def _iso_text(value: ir.StringValue, fmt: DateFormat) -> tuple[ir.StringValue, ...]:
    """Return year, month, day, hour, minute, second and zone as strings."""
    if fmt.style == "iso":
        groups = [value.re_extract(ISO, i) for i in range(1, 8)]
        year, month, day, hour, minute, second, zone = groups
        return year, month, day, hour, minute, second, zone
    first = value.re_extract(SLASH, 1)
    second_part = value.re_extract(SLASH, 2)
    day, month = (first, second_part) if fmt.order == "day" else (second_part, first)
    year = value.re_extract(SLASH, 3)
    year = (year.length() == 2).ifelse(
        ((year.cast(dt.int32) < 70).ifelse("20", "19")).concat(year), year
    )
    hour = value.re_extract(SLASH, 4)
    meridiem = value.re_extract(SLASH, 7).upper().replace(".", "")
    hour_num = hour.nullif("").cast(dt.int32)
    hour_24 = ibis.cases(
        ((meridiem == "PM") & (hour_num < 12), hour_num + 12),
        ((meridiem == "AM") & (hour_num == 12), 0),
        else_=hour_num,
    )
    hour = hour_24.cast(dt.string).fill_null("")
    return (
        year,
        month,
        day,
        hour,
        value.re_extract(SLASH, 5),
        value.re_extract(SLASH, 6),
        ibis.literal(""),
    )


def _normalized(value: ir.StringValue, fmt: DateFormat) -> tuple[ir.StringValue, ...]:
    year, month, day, hour, minute, second, zone = _iso_text(value, fmt)
    date_text = year.concat("-", month.lpad(2, "0"), "-", day.lpad(2, "0"))
    time_text = (hour.length() == 0).ifelse(
        "00:00:00",
        hour.lpad(2, "0").concat(
            ":", minute.lpad(2, "0"), ":", (second.length() == 0).ifelse("00", second)
        ),
    )
    return date_text, time_text, zone, hour


@ibis.udf.scalar.builtin(name="timezone")
def _timezone_local(zone: str, value: dt.Timestamp()) -> dt.Timestamp(timezone="UTC"):  # type: ignore[valid-type]
    """Interpret a zone-less timestamp as wall time in ``zone``."""


@ibis.udf.scalar.builtin(name="timezone")
def _timezone_wall(zone: str, value: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():  # type: ignore[valid-type]
    """Return the wall time in ``zone`` of an instant."""


def _to_utc(local: ir.TimestampValue, timezone: str) -> ir.TimestampValue:
    if timezone == "UTC":
        return local
    return _timezone_wall("UTC", _timezone_local(timezone, local))


def _zone_offset_minutes(zone: ir.StringValue) -> ir.IntegerValue:
    digits = zone.replace(":", "")
    sign = (digits.left(1) == "-").ifelse(-1, 1)
    hours = digits.substr(1, 2).nullif("").cast(dt.int32).fill_null(0)
    minutes = digits.substr(3, 2).nullif("").cast(dt.int32).fill_null(0)
    return sign * (hours * 60 + minutes)


def timestamp(
    value: ir.StringValue, fmt: DateFormat, *, timezone: str
) -> ir.TimestampValue:
    """Parse into a UTC timestamp; zone-less values are wall time in ``timezone``."""
    cleaned = text(value)
    if fmt.style == "empty":
        return ibis.null(dt.timestamp)
    date_text, time_text, zone, _hour = _normalized(cleaned, fmt)
    local = date_text.concat(" ", time_text).try_cast(dt.timestamp)
    if fmt.style != "iso":
        return _to_utc(local, timezone)
    has_zone = cleaned.re_search(r"(Z|[+-]\d{2}:?\d{2})$")
    with_zone = local - _zone_offset_minutes(zone).as_interval("m")
    # Detection guarantees ISO text, which mostly casts directly; the regex
    # path runs only where the cast fails (unpadded hours, for example).
    zone_less = cleaned.try_cast(dt.timestamp).coalesce(local)
    return has_zone.ifelse(with_zone, _to_utc(zone_less, timezone))


def date(value: ir.StringValue, fmt: DateFormat) -> ir.DateValue:
    """Parse the calendar date; any time part is ignored (never shifted)."""
    cleaned = text(value)
    if fmt.style == "empty":
        return ibis.null(dt.date)
    date_text, _time, _zone, _hour = _normalized(cleaned, fmt)
    return date_text.try_cast(dt.date)


def check_parsed(
    store: Store,
    table: ir.Table,
    column: str,
    parsed: ir.Value,
    *,
    file: str,
) -> None:
    """Raise ``InputError`` for the first non-empty value that did not parse."""
    invalid = text(table[column]).notnull() & parsed.isnull()
    first_invalid(
        store,
        table,
        invalid,
        column,
        file=file,
        expected="a real calendar date and time",
    )
