"""Periods, local dates, the as-of date and windows."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revarch.config import Settings
from revarch.errors import InputError
from revarch.timeframe import (
    Window,
    compute_as_of,
    local_date,
    make_window,
    parse_period,
    period_key,
    period_of,
    resolve_as_of,
    within_local_days,
)
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.metrics_support import load, opportunity

D = dt.date


# -- periods -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-W01", D(2024, 12, 30), D(2025, 1, 5)),
        ("2020-W53", D(2020, 12, 28), D(2021, 1, 3)),
        ("2021-W01", D(2021, 1, 4), D(2021, 1, 10)),
        ("2025-W14", D(2025, 3, 31), D(2025, 4, 6)),
    ],
    ids=["w01-starts-in-december", "w53", "w01-after-w53", "w14"],
)
def test_iso_week_bounds(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text)
    assert period.start == start
    assert period.end == end
    assert period.kind == "week"


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (D(2024, 12, 30), "2025-W01"),
        (D(2021, 1, 3), "2020-W53"),
        (D(2027, 1, 1), "2026-W53"),
        (D(2022, 1, 2), "2021-W52"),
    ],
)
def test_iso_week_of_boundary_dates(day: dt.date, week: str) -> None:
    assert period_of(day, "week").id == week


def test_week_53_missing_rejected() -> None:
    with pytest.raises(InputError, match=r"'2021-W53'.*no week 53"):
        parse_period("2021-W53")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("FY2025", D(2024, 4, 1), D(2025, 3, 31)),
        ("2025-Q1", D(2024, 4, 1), D(2024, 6, 30)),
        ("2025-Q2", D(2024, 7, 1), D(2024, 9, 30)),
        ("2025-Q3", D(2024, 10, 1), D(2024, 12, 31)),
        ("2025-Q4", D(2025, 1, 1), D(2025, 3, 31)),
    ],
)
def test_fiscal_april_start(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text, 4)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("day", "quarter", "year"),
    [
        (D(2024, 10, 31), "2024-Q4", "FY2024"),
        (D(2024, 11, 1), "2025-Q1", "FY2025"),
        (D(2025, 1, 31), "2025-Q1", "FY2025"),
        (D(2025, 2, 1), "2025-Q2", "FY2025"),
        (D(2025, 10, 31), "2025-Q4", "FY2025"),
    ],
)
def test_fiscal_november_start(day: dt.date, quarter: str, year: str) -> None:
    assert period_of(day, "quarter", 11).id == quarter
    assert period_of(day, "year", 11).id == year


def test_fiscal_january_is_calendar() -> None:
    assert parse_period("FY2025").start == D(2025, 1, 1)
    assert parse_period("FY2025").end == D(2025, 12, 31)
    assert parse_period("2025-Q2").start == D(2025, 4, 1)


def test_calendar_quarter_ignores_fiscal() -> None:
    period = parse_period("2025-CQ2", 4)
    assert (period.start, period.end) == (D(2025, 4, 1), D(2025, 6, 30))


def test_month_bounds_leap_year() -> None:
    period = parse_period("2024-02")
    assert (period.start, period.end) == (D(2024, 2, 1), D(2024, 2, 29))


@pytest.mark.parametrize(
    "text", ["2025-Q5", "2025-13", "Q2-2025", "FY25", "2025-CQ0", ""]
)
def test_invalid_period_named(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_period(text)
    message = str(raised.value)
    assert repr(text) in message
    assert "2025-W14" in message
    assert "FY2025" in message


def test_lowercase_period_accepted() -> None:
    assert parse_period("fy2025").id == "FY2025"


@given(
    day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)),
    start_month=st.integers(1, 12),
)
def test_date_in_exactly_one_quarter(day: dt.date, start_month: int) -> None:
    quarter = period_of(day, "quarter", start_month)
    assert quarter.contains(day)
    fiscal_year = int(quarter.id[:4])
    quarters = [
        parse_period(f"{fiscal_year + y}-Q{q}", start_month)
        for y in (-1, 0, 1)
        for q in range(1, 5)
    ]
    holding = [q.id for q in quarters if q.contains(day)]
    assert holding == [quarter.id]
    year = period_of(day, "year", start_month)
    assert year.contains(day)
    assert year.start <= quarter.start
    assert quarter.end <= year.end


@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_week_and_month_contain_date(day: dt.date) -> None:
    for kind in ("week", "month", "calendar_quarter"):
        period = period_of(day, kind)
        assert period.contains(day)
        assert parse_period(period.id) == period


def test_period_key_matches_python() -> None:
    days = [D(2024, 12, 30), D(2021, 1, 3), D(2025, 3, 31), D(2024, 10, 1)]
    table = ibis.memtable({"day": days})
    cases = [
        (kind, start_month)
        for kind in ("week", "month", "quarter", "year", "calendar_quarter")
        for start_month in (1, 4, 10)
    ]
    expr = table.select(
        **{
            f"{kind}_{start_month}": period_key(table.day, kind, start_month)
            for kind, start_month in cases
        }
    )
    keys = ibis.duckdb.connect().execute(expr)
    for kind, start_month in cases:
        expected = [period_of(day, kind, start_month).id for day in days]
        assert keys[f"{kind}_{start_month}"].tolist() == expected, kind


# -- local dates -----------------------------------------------------------------


def test_local_date_shifts_by_zone() -> None:
    instants = [dt.datetime(2025, 3, 1, 3, 0), dt.datetime(2025, 3, 1, 23, 30)]
    table = ibis.memtable({"at": instants})
    con = ibis.duckdb.connect()
    new_york = con.execute(table.select(d=local_date(table.at, "America/New_York")))
    tokyo = con.execute(table.select(d=local_date(table.at, "Asia/Tokyo")))
    assert [d.date() for d in new_york["d"]] == [D(2025, 2, 28), D(2025, 3, 1)]
    assert [d.date() for d in tokyo["d"]] == [D(2025, 3, 1), D(2025, 3, 2)]


# Zones with DST (also at midnight, by 30 minutes, or south of the equator)
# and without. Years stay where the tz data of DuckDB's ICU and of Python agree.
ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(1980, 1, 1), max_value=dt.datetime(2035, 12, 31)
)


def _python_local_date(instant: dt.datetime, zone: str) -> dt.date:
    utc = instant.replace(tzinfo=dt.UTC)
    return utc.astimezone(zoneinfo.ZoneInfo(zone)).date()


@settings(max_examples=40, deadline=None)
@given(
    instants=st.lists(INSTANTS, min_size=1, max_size=20), zone=st.sampled_from(ZONES)
)
def test_local_date_matches_zoneinfo(instants: list[dt.datetime], zone: str) -> None:
    table = ibis.memtable({"at": instants}, schema={"at": "timestamp"})
    found = ibis.duckdb.connect().to_pyarrow(table.select(d=local_date(table.at, zone)))
    assert found["d"].to_pylist() == [_python_local_date(i, zone) for i in instants]


def test_local_date_around_midnight_dst() -> None:
    # Sao Paulo moved its clocks at local midnight: 2018-11-04 00:00 (-03)
    # became 01:00 (-02), and 2019-02-17 00:00 (-02) became 2019-02-16 23:00.
    instants = [
        dt.datetime(2018, 11, 4, 2, 59, 59, 999999),
        dt.datetime(2018, 11, 4, 3, 0),
        dt.datetime(2019, 2, 17, 1, 59, 59),
        dt.datetime(2019, 2, 17, 2, 0),
        dt.datetime(2019, 2, 17, 3, 0),
    ]
    zone = "America/Sao_Paulo"
    table = ibis.memtable({"at": instants}, schema={"at": "timestamp"})
    found = ibis.duckdb.connect().to_pyarrow(table.select(d=local_date(table.at, zone)))
    expected = [D(2018, 11, 3), D(2018, 11, 4), D(2019, 2, 16), D(2019, 2, 16)]
    assert found["d"].to_pylist() == [*expected, D(2019, 2, 17)]


@settings(max_examples=40, deadline=None)
@given(
    instants=st.lists(st.none() | INSTANTS, min_size=1, max_size=20),
    zone=st.sampled_from(ZONES),
    since=st.none() | st.dates(min_value=D(1980, 1, 1), max_value=D(2035, 12, 31)),
    days=st.integers(0, 3000),
)
def test_within_local_days_matches_local_date(
    instants: list[dt.datetime | None],
    zone: str,
    since: dt.date | None,
    days: int,
) -> None:
    until = (since or D(1980, 1, 1)) + dt.timedelta(days=days)
    table = ibis.memtable(
        {"n": list(range(len(instants))), "at": instants},
        schema={"n": "int64", "at": "timestamp"},
    )
    inside = within_local_days(table.at, zone, since=since, until=until)
    found = ibis.duckdb.connect().to_pyarrow(table.filter(inside).select("n"))
    expected = [
        n
        for n, instant in enumerate(instants)
        if instant is not None
        and (since is None or _python_local_date(instant, zone) >= since)
        and _python_local_date(instant, zone) <= until
    ]
    assert sorted(found["n"].to_pylist()) == expected


def test_within_local_days_calendar_ends() -> None:
    # The last instant is already 10000-01-01 in Kolkata (UTC+05:30).
    instants = [
        dt.datetime(1, 1, 1, 12),
        dt.datetime(9999, 12, 31, 1),
        dt.datetime(9999, 12, 31, 20),
    ]
    table = ibis.memtable({"at": instants}, schema={"at": "timestamp"})
    inside = within_local_days(
        table.at, "Asia/Kolkata", since=D(1, 1, 1), until=D(9999, 12, 31)
    )
    found = ibis.duckdb.connect().to_pyarrow(table.filter(inside))
    assert sorted(found["at"].to_pylist()) == instants[:2]


# -- the as-of date --------------------------------------------------------------


def _zoned_workspace(tmp_path, zone: str) -> Workspace:
    init_workspace(tmp_path / "zoned", timezone=zone)
    return open_workspace(tmp_path / "zoned")


def test_as_of_ignores_open_close_date(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [
            opportunity(
                "won-1",
                created_at=dt.datetime(2024, 1, 5, 10),
                close_date=D(2024, 3, 10),
                status="won",
            ),
            opportunity(
                "open-1",
                created_at=dt.datetime(2024, 2, 1, 9),
                close_date=D(2026, 12, 31),
            ),
        ],
    )
    assert compute_as_of(workspace) == D(2024, 3, 10)


def test_as_of_counts_history_and_activities(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [opportunity("o1", created_at=dt.datetime(2024, 1, 5), status="open")],
    )
    load(
        workspace,
        "stage_events",
        [
            {
                "opportunity_id": "o1",
                "stage_label": "Qualify",
                "entered_at": dt.datetime(2024, 2, 2, 12),
                "seq": 1,
                "source_id": "h1",
            }
        ],
    )
    assert compute_as_of(workspace) == D(2024, 2, 2)
    load(
        workspace,
        "activities",
        [
            {
                "id": "a1",
                "opportunity_id": "o1",
                "type": "call",
                "occurred_at": dt.datetime(2024, 2, 20, 8),
            }
        ],
    )
    assert compute_as_of(workspace) == D(2024, 2, 20)


def test_as_of_skips_deleted_and_merged(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [
            opportunity("kept", created_at=dt.datetime(2024, 1, 5)),
            opportunity("merged", created_at=dt.datetime(2024, 6, 1), is_merged=True),
            opportunity("gone", created_at=dt.datetime(2024, 7, 1), is_deleted=True),
        ],
    )
    load(
        workspace,
        "stage_events",
        [
            {
                "opportunity_id": "merged",
                "stage_label": "Qualify",
                "entered_at": dt.datetime(2024, 8, 1),
                "seq": 1,
                "source_id": "h1",
            }
        ],
    )
    assert compute_as_of(workspace) == D(2024, 1, 5)


def test_as_of_cut_in_workspace_zone(tmp_path) -> None:
    ws = _zoned_workspace(tmp_path, "America/Los_Angeles")
    with ws:
        load(
            ws,
            "opportunities",
            [opportunity("o1", created_at=dt.datetime(2024, 3, 1, 5, 0))],
        )
        assert compute_as_of(ws) == D(2024, 2, 29)


def test_as_of_override_order(workspace: Workspace) -> None:
    load(
        workspace,
        "opportunities",
        [opportunity("o1", created_at=dt.datetime(2024, 1, 5))],
    )
    assert resolve_as_of(workspace) == D(2024, 1, 5)
    workspace.settings = Settings(as_of="2023-12-31")
    assert resolve_as_of(workspace) == D(2023, 12, 31)
    assert resolve_as_of(workspace, "2023-06-30") == D(2023, 6, 30)


def test_as_of_invalid_flag_named(workspace: Workspace) -> None:
    with pytest.raises(InputError, match=r"--as-of '2024-13-01'.*YYYY-MM-DD"):
        resolve_as_of(workspace, "2024-13-01")


# -- windows -------------------------------------------------------------------


def test_window_to_dict_iso(workspace: Workspace) -> None:
    window = make_window(
        workspace,
        view="cohort",
        since="2024-01-01",
        until="2024-03-31",
        as_of="2024-06-30",
    )
    assert window.to_dict() == {
        "view": "cohort",
        "since": "2024-01-01",
        "until": "2024-03-31",
        "as_of": "2024-06-30",
    }


def test_window_period_sets_dates(workspace: Workspace) -> None:
    window = make_window(workspace, period="2024-CQ1", as_of="2024-06-30")
    assert (window.since, window.until) == (D(2024, 1, 1), D(2024, 3, 31))


def test_window_since_after_until(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="--since 2024-05-01 is after --until"):
        make_window(
            workspace, since="2024-05-01", until="2024-04-01", as_of="2024-06-30"
        )


def test_window_ends_at_as_of() -> None:
    window = Window("snapshot", None, D(2025, 1, 1), D(2024, 6, 30))
    assert window.end == D(2024, 6, 30)
    table = ibis.memtable({"day": [D(2024, 6, 30), D(2024, 7, 1), None]})
    con = ibis.duckdb.connect()
    inside = con.execute(table.select(x=window.includes(table.day)))["x"].tolist()
    assert inside == [True, False, False]
