"""``revarch metrics`` and ``revarch coverage``: outcome metrics and quota coverage."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace

PERIOD_HELP = (
    "Period: 2025-W14 (ISO week), 2025-03 (month), 2025-Q2 (fiscal quarter), "
    "FY2025 (fiscal year, named by the calendar year it ends in, starting in "
    "company.fiscal_year_start_month) or 2025-CQ2 (calendar quarter)."
)

ByOption = Annotated[
    str,
    typer.Option(
        "--by",
        help="Group rows by seller, manager, team, region, pipeline, type, "
        "source (lead source), product, week, month, quarter (fiscal) or year "
        "(fiscal); join several with commas, e.g. seller,quarter.",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="First date of the window (YYYY-MM-DD, inclusive).", show_default=False
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        help="Last date of the window (YYYY-MM-DD, inclusive); open counts are "
        "as of this date.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The date taken as now (YYYY-MM-DD). Default: the as_of setting, "
        "else the latest business event in the data.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]

PERCENT = ("win_rate", "win_rate_value", "win_rate_cohort", "win_rate_value_cohort")
# Columns of the terminal table and their headers; --json and --csv have all.
SHOWN = {
    "won": "won",
    "lost": "lost",
    "open": "open",
    "win_rate": "win rate",
    "win_rate_cohort": "cohort win rate",
    "bookings": "bookings",
    "cycle_days_median": "cycle days",
    "sales_velocity": "velocity /day",
}
# Seller and manager rows show the name; the id is in --json and --csv.
HIDDEN_KEYS = ("seller", "manager")
KEY_HEADERS = {"seller_name": "seller", "manager_name": "manager"}


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in PERCENT or key == "attainment":
        return f"{value:.1%}"
    if key == "pipeline_coverage":
        return f"{value:.2f}x"
    if key.startswith("cycle_days"):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


def _print_table(
    rows: list[dict[str, Any]],
    columns: list[str],
    total: dict[str, Any],
    headers: dict[str, str],
) -> None:
    table = Table(*(headers.get(column, column) for column in columns))
    for row in rows:
        table.add_row(*(_cell(column, row.get(column)) for column in columns))
    if total:
        cells = [
            _cell(column, total[column]) if column in total else ""
            for column in columns
        ]
        cells[0] = "total"
        table.add_row(*cells, style="bold")
    console.print(table)


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def metrics(
    ctx: typer.Context,
    by: ByOption = "seller",
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    period: Annotated[
        str | None, typer.Option(help=PERIOD_HELP + " Sets --since and --until.")
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the rows to this CSV file."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show win rates, bookings, cycle days and sales velocity per group.

    Snapshot keys count opportunities closed in the window, *_cohort keys
    those created in it; open counts are as of --until. Rates are fractions
    in JSON; amounts are in the base currency.

    Example: revarch -w ./acme metrics --by seller,quarter --since 2025-01-01
    """
    from revarch.metrics import MEASURES, compute_metrics

    with workspace(ctx) as ws:
        result = compute_metrics(
            ws, by=by, since=since, until=until, as_of=as_of, period=period
        )
    columns = [*result.keys, *MEASURES]
    if csv_file is not None:
        _write_csv(csv_file, result.rows, columns)
    if as_json:
        print_json(result.to_dict())
        return
    keys = [key for key in result.keys if key not in HIDDEN_KEYS]
    _print_table(result.rows, [*keys, *SHOWN], result.totals, {**KEY_HEADERS, **SHOWN})
    window = result.window.to_dict()
    console.print(
        f"Window: {window['since'] or 'start'} to {window['until'] or 'end'}, "
        f"as of {window['as_of']}."
    )
    for note in result.notes:
        console.print(f"Note: {note}")


def coverage(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help=PERIOD_HELP)],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show quota, bookings, attainment and pipeline coverage per seller.

    Coverage = open amount closing in the period / (quota - bookings).
    Quotas come from the quotas table; amounts are in the base currency.

    Example: revarch -w ./acme coverage --period 2025-Q2 --json
    """
    from revarch.metrics import compute_coverage

    with workspace(ctx) as ws:
        result = compute_coverage(ws, period=period, as_of=as_of)
    if as_json:
        print_json(result.to_dict())
        return
    headers = {
        "seller_name": "seller",
        "quota": "quota",
        "bookings": "bookings",
        "attainment": "attainment",
        "open_amount": "open closing",
        "pipeline_coverage": "coverage",
    }
    _print_table(result.rows, list(headers), result.totals, headers)
    for note in result.notes:
        console.print(f"Note: {note}")


def register(app: typer.Typer) -> None:
    app.command()(metrics)
    app.command()(coverage)
