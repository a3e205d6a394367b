"""The dates a weekly report covers: its week, quarter to date and trailing window."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from revarch.errors import InputError
from revarch.timeframe import parse_period, period_of

WEEK = re.compile(r"^\d{4}-W\d{2}$")


def months_before(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` months earlier, clamped to the month's end."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class ReportDates:
    """Every date range one weekly report reads."""

    week_id: str
    week_start: dt.date
    week_end: dt.date
    quarter_id: str
    quarter_start: dt.date
    trailing_start: dt.date
    as_of: dt.date

    def previous(self, trailing_months: int, start_month: int) -> ReportDates:
        """Return the dates of the week before, with the same as-of date."""
        return report_dates(
            self.week_start - dt.timedelta(days=1),
            as_of=self.as_of,
            trailing_months=trailing_months,
            start_month=start_month,
        )


def report_dates(
    day_in_week: dt.date, *, as_of: dt.date, trailing_months: int, start_month: int
) -> ReportDates:
    """Return the report's dates for the ISO week containing ``day_in_week``."""
    week = period_of(day_in_week, "week", start_month)
    quarter = period_of(week.end, "quarter", start_month)
    return ReportDates(
        week_id=week.id,
        week_start=week.start,
        week_end=week.end,
        quarter_id=quarter.id,
        quarter_start=quarter.start,
        trailing_start=months_before(week.end, trailing_months) + dt.timedelta(days=1),
        as_of=as_of,
    )


def choose_week(week: str | None, as_of: dt.date) -> dt.date:
    """Return a day in the report week: ``--week``, else the last complete week.

    The last complete week is the latest ISO week that ends before the
    as-of date.
    """
    if week is None:
        return as_of - dt.timedelta(days=as_of.isoweekday())
    if not WEEK.match(week.strip().upper()):
        raise InputError(f"invalid --week {week!r}: use an ISO week such as 2025-W14")
    return parse_period(week.strip().upper(), flag="--week").start
