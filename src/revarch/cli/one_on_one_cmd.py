"""``revarch one-on-one SELLER``: the weekly 30-minute 1-on-1 agenda."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace


def _value(unit: str, value: Any) -> str:
    if value is None:
        return "-"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _difference(unit: str, value: Any) -> str:
    if value is None:
        return "-"
    if unit == "rate":
        return f"{value * 100:+.1f} pts"
    if unit == "days":
        return f"{value:+.1f}"
    # A team median can fall between two counts: 5 against 5.5 is -0.5, not -0.
    if float(value).is_integer():
        return f"{value:+,.0f}"
    return f"{value:+,.1f}"


def _print(data: dict[str, Any]) -> None:
    week = data["week"]
    console.print(
        f"[bold]1-on-1: {data['seller_name']}[/] with {data['manager_name'] or '-'}, "
        f"week {week['id']} ({week['start']} to {week['end']})"
    )
    for number, item in enumerate(data["agenda"], start=1):
        console.print(f"{number}. {item}", markup=False)
    table = Table("metric", "seller", "team median", "difference", "", title="Metrics")
    for metric in data["metrics"]:
        unit = metric["unit"]
        table.add_row(
            metric["label"],
            _value(unit, metric["value"]),
            _value(unit, metric["team_median"]),
            _difference(unit, metric["difference"]),
            metric["standing"] or "",
        )
    console.print(table)
    if data["deals"]:
        deals = Table(
            "opportunity",
            "stage",
            "amount",
            "flags",
            "risk",
            title="Opportunities to inspect",
        )
        for deal in data["deals"]:
            deals.add_row(
                f"{deal['name'] or deal['id']} ({deal['id']})",
                deal["stage_label"] or "-",
                f"{deal['amount']:,.0f}",
                ", ".join(deal["flags"]) or "-",
                f"{deal['risk']:g}",
            )
        console.print(deals)
        if data["deals_total"] > len(data["deals"]):
            console.print(
                f"{data['deals_total'] - len(data['deals'])} more in "
                f"`revarch inspect --seller {data['seller']}`."
            )
    for note in data["notes"]:
        console.print(f"Note: {note}", markup=False)


def one_on_one(
    ctx: typer.Context,
    seller: Annotated[str, typer.Argument(help="Seller id or name.")],
    week: Annotated[
        str | None,
        typer.Option(
            help="ISO week such as 2025-W14 (default: the last complete week "
            "before the as-of date).",
            show_default=False,
        ),
    ] = None,
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
    """Print the 1-on-1 agenda: metrics vs the team, #1 competency gap, deals.

    Example: revarch one-on-one "Kenji Baker" --week 2025-W30
    """
    from revarch.leadership import build_one_on_one

    with workspace(ctx) as ws:
        data = build_one_on_one(ws, seller, week, as_of=as_of)
    if as_json:
        print_json(data)
        return
    _print(data)


def register(app: typer.Typer) -> None:
    app.command("one-on-one")(one_on_one)
