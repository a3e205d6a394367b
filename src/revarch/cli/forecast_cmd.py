"""``revarch forecast ...`` and ``revarch import forecasts``: managers' forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from revarch.cli.common import console, print_json, workspace
from revarch.cli.import_cmd import import_app

forecast_app = typer.Typer()

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ManagerOption = Annotated[
    str | None,
    typer.Option(help="Only this manager (seller id or name).", show_default=False),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        help="Only this period: 2025-Q2 (fiscal quarter), 2025-03, FY2025.",
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


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _rate(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def _yes_no(value: Any) -> str:
    if value is None:
        return "-"
    return "yes" if value else "no"


@forecast_app.callback(invoke_without_command=True)
def forecast(
    ctx: typer.Context,
    manager: ManagerOption = None,
    period: PeriodOption = None,
    as_json: JsonOption = False,
) -> None:
    """List forecast submissions; submit one or measure accuracy with a subcommand.

    Every submission is kept as a snapshot. Submission times are UTC.

    Example: revarch forecast --manager 005Nw0000000085IAA
    """
    if ctx.invoked_subcommand is not None:
        return
    from revarch.leadership import list_forecasts

    with workspace(ctx) as ws:
        rows = list_forecasts(ws, manager=manager, period=period)
    if as_json:
        print_json({"rows": rows})
        return
    if not rows:
        console.print("No forecasts recorded. Add one with `revarch forecast submit`.")
        return
    table = Table(
        "manager", "period", "category", "amount", "currency", "submitted (UTC)", "late"
    )
    for row in rows:
        table.add_row(
            row["manager_name"],
            row["period"],
            row["category"],
            _money(row["amount"]),
            row["currency"],
            row["submitted_at"].isoformat(sep=" "),
            _yes_no(row["late"]),
        )
    console.print(table)


@forecast_app.command()
def submit(
    ctx: typer.Context,
    manager: Annotated[str, typer.Option(help="Manager: seller id or name.")],
    period: Annotated[
        str, typer.Option(help="Period forecast: 2025-Q2 (fiscal quarter), FY2025.")
    ],
    amount: Annotated[float, typer.Option(help="Forecast bookings for the period.")],
    category: Annotated[
        str | None,
        typer.Option(
            help="Forecast category (default: the forecast.category setting, commit).",
            show_default=False,
        ),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            help="ISO currency of --amount (default: the base currency).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a forecast snapshot with the current time; earlier ones are kept.

    The amount is kept to the cent. A currency other than the base one needs
    fx_rates rates from the period's first day. A forecast for a period that
    has already closed is recorded as late, with a warning: accuracy does
    not use it.

    Example: revarch forecast submit --manager "Lena Müller" --period 2025-Q3
    --amount 750000
    """
    from revarch.leadership import submit_forecast

    with workspace(ctx) as ws:
        row = submit_forecast(
            ws,
            manager=manager,
            period=period,
            amount=amount,
            category=category,
            currency=currency,
        )
    if as_json:
        print_json(row)
        return
    console.print(
        f"Recorded the {row['category']} forecast of {row['manager_name']} for "
        f"{row['period']}: {row['amount']:,.2f} {row['currency']} at "
        f"{row['submitted_at'].isoformat(sep=' ')} UTC."
    )
    for warning in row["warnings"]:
        console.print(f"[bold yellow]Warning:[/] {escape(warning)}")


@forecast_app.command()
def accuracy(
    ctx: typer.Context,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="manager: one summary row per manager (MAPE, share within "
            "tolerance); default one row per manager and period.",
            show_default=False,
        ),
    ] = None,
    manager: ManagerOption = None,
    period: PeriodOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare each manager's latest commit forecast with the team's bookings.

    accuracy = 1 - |forecast - actual| / actual; within tolerance when the
    error is at most thresholds.forecast_tolerance of the actual. A forecast
    submitted after its period ended is late and not used; one submitted
    after the end of the as-of date is left out.

    Example: revarch forecast accuracy --by manager
    """
    from revarch.errors import InputError
    from revarch.leadership import compute_forecast_accuracy

    if by not in (None, "manager"):
        raise InputError(f"invalid --by {by!r}: use manager, or leave it out")
    with workspace(ctx) as ws:
        result = compute_forecast_accuracy(
            ws, as_of=as_of, manager=manager, period=period
        )
    if as_json:
        print_json(result.to_dict())
        return
    if by == "manager" and result.managers:
        _print_managers(result.managers)
    elif result.rows:
        _print_periods(result.rows)
    console.print(
        f"Category {result.category}; tolerance ±{result.tolerance:.0%}; as of "
        f"{result.window.as_of.isoformat()}."
    )
    for note in result.notes:
        console.print(f"Note: {note}")


def _print_periods(rows: list[dict[str, Any]]) -> None:
    table = Table(
        "manager",
        "period",
        "status",
        "forecast",
        "actual",
        "error",
        "bias",
        "accuracy",
        "within",
        "late",
    )
    for row in rows:
        table.add_row(
            row["manager_name"],
            row["period"],
            row["status"],
            _money(row["forecast"]),
            _money(row["actual"]),
            _money(row["error"]),
            _rate(row["bias"]),
            _rate(row["accuracy"]),
            _yes_no(row["within_tolerance"]),
            str(row["late_submissions"]),
        )
    console.print(table)


def _print_managers(rows: list[dict[str, Any]]) -> None:
    table = Table(
        "manager",
        "scored",
        "within",
        "within share",
        "MAPE",
        "mean bias",
        "missing",
        "late",
    )
    for row in rows:
        table.add_row(
            row["manager_name"],
            str(row["scored"]),
            str(row["within_tolerance"]),
            _rate(row["within_share"]),
            _rate(row["mape"]),
            _rate(row["bias_mean"]),
            str(row["missing"]),
            str(row["late"]),
        )
    console.print(table)


def import_forecasts(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with manager (id or name), period, amount, submitted_at, and "
            "optionally category and currency."
        ),
    ],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="IANA timezone of zone-less submitted_at values (default: the "
            "workspace's).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import forecast snapshots; rows already stored are skipped.

    Any invalid row stops the import with nothing written.

    Example: revarch import forecasts forecasts-2025.csv
    """
    from revarch.leadership import import_forecasts as run_import

    with workspace(ctx) as ws:
        result = run_import(ws, file, timezone=timezone)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"Imported {result.file}: {result.rows_read} rows read, {result.inserted} "
        f"snapshots added, {result.unchanged} already stored."
    )
    for note in result.notes:
        console.print(f"Note: {note}")


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")
    import_app.command("forecasts")(import_forecasts)
