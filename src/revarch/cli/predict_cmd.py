"""``revarch predict``: how well input metrics predict next-period bookings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _rate(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def predict(
    ctx: typer.Context,
    by: Annotated[
        Literal["quarter", "month"],
        typer.Option(
            "--by", help="Period of each seller row: quarter (fiscal) or month."
        ),
    ] = "quarter",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The date taken as now (YYYY-MM-DD). Default: the as_of setting, "
            "else the latest business event in the data.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Test out of sample whether activity, conversion and competency predict bookings.

    Trains on earlier periods and tests on the next, against the naive
    baseline of last period's bookings; reports MAE and MAPE.

    Example: revarch predict --by quarter --json
    """
    from revarch.metrics.predict import compute_prediction

    with workspace(ctx) as ws:
        result = compute_prediction(ws, as_of=as_of, period=by)
    if as_json:
        print_json(result.to_dict())
        return
    if result.folds:
        table = Table(
            "test period",
            "train rows",
            "test rows",
            "MAE model",
            "MAE baseline",
            "MAPE model",
            "MAPE baseline",
            title="Time-ordered splits",
        )
        for fold in result.folds:
            table.add_row(
                fold["test_period"],
                str(fold["train_rows"]),
                str(fold["test_rows"]),
                _money(fold["mae_model"]),
                _money(fold["mae_baseline"]),
                _rate(fold["mape_model"]),
                _rate(fold["mape_baseline"]),
            )
        console.print(table)
    console.print(result.verdict)
    for note in result.notes:
        console.print(f"Note: {note}")


def register(app: typer.Typer) -> None:
    app.command()(predict)
