"""``revarch comp``: comp statements per seller, a what-if plan, the payroll CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from revarch.cli.common import console, print_json, workspace
from revarch.errors import InputError


def _rate(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def _percent(value: Any) -> str:
    return "-" if value is None else f"{value:.0%}"


SHORT = {
    "margin": "margin",
    "process_adherence": "process",
    "competency_development": "skills",
    "revenue": "revenue",
}


def _print_statements(result: Any) -> None:
    """Print one row per seller: attainment per component, payout, review.

    Each component's payout is in the trace (``--seller``) and the CSV.
    """
    measures = [c.measure for c in result.plan.components]
    table = Table(
        title=f"Comp {result.period.id}: attainment and payout",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("seller", no_wrap=True, max_width=22)
    for measure in measures:
        table.add_column(SHORT.get(measure, measure), justify="right")
    for header in ("payout", "of TI"):
        table.add_column(header, justify="right")
    table.add_column("review")
    for item in result.statements:
        cells = [item["seller_name"]]
        cells += [_percent(line["attainment"]) for line in item["components"]]
        incentive = item["target_incentive"]
        share = item["total"] / incentive if incentive else None
        cells += [f"{item['total']:,.0f}", _percent(share)]
        cells.append(", ".join(SHORT.get(m, m) for m in item["review"]))
        table.add_row(*cells)
    console.print(table)
    totals = result.totals
    console.print(
        f"Total {totals['total']:,.2f} for {totals['sellers']} sellers "
        f"(target incentives {totals['target_incentive']:,.2f}); "
        f"{totals['needs_review']} statements need review. "
        "Columns are attainment (actual / target); TI is the target incentive "
        "(--json and --csv have every amount). "
        "revarch comp --seller NAME shows one statement's calculation."
    )


def _find_statement(result: Any, seller: str) -> dict[str, Any]:
    """Return the statement of a seller given by id or name."""
    requested = seller.strip().lower()
    for item in result.statements:
        if requested in (item["seller"].lower(), item["seller_name"].lower()):
            return dict(item)
    names = ", ".join(item["seller_name"] for item in result.statements[:8])
    raise InputError(
        f"invalid --seller {seller!r}: no statement for that id or name in "
        f"{result.period.id}; sellers on the plan include {names}"
    )


def _print_trace(item: dict[str, Any]) -> None:
    console.print(f"[bold]{item['seller_name']}[/] ({item['seller']}):")
    for line in item["trace"]:
        console.print(f"  {line}", markup=False)
    for line in item["components"]:
        console.print(f"  {line['measure']}: {line['detail']}", markup=False)


def _print_comparison(comparison: Any) -> None:
    table = Table("seller", "current", "what-if", "difference", title="What-if plan")
    for row in comparison.rows:
        what_if = row["total_what_if"]
        difference = row["difference"]
        table.add_row(
            row["seller_name"],
            f"{row['total_current']:,.2f}",
            "-" if what_if is None else f"{what_if:,.2f}",
            "-" if difference is None else f"{difference:+,.2f}",
        )
    totals = comparison.totals
    table.add_row(
        "total",
        f"{totals['total_current']:,.2f}",
        f"{totals['total_what_if']:,.2f}",
        f"{totals['difference']:+,.2f}",
        style="bold",
    )
    console.print(table)


def comp(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            help="Plan period, such as 2025-Q2 (fiscal quarter); default: the one "
            "holding the as-of date.",
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
    seller: Annotated[
        str | None,
        typer.Option(
            help="Print this seller's calculation trace (id or name).",
            show_default=False,
        ),
    ] = None,
    what_if: Annotated[
        Path | None,
        typer.Option(
            "--what-if",
            help="YAML file with another plan (a comp: block); compares totals "
            "side by side.",
            show_default=False,
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the statements to this CSV for payroll.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compute each seller's incentive: every component's attainment and payout.

    The plan is the comp: section of revarch.yaml. Amounts are in the base
    currency; a component without data pays 0 and is marked for review.

    Example: revarch comp --period 2025-Q2 --seller "Kenji Baker"
    """
    from revarch.comp import compare_plans, compute_comp, export_payroll, read_plan_file

    with workspace(ctx) as ws:
        if what_if is not None:
            other = read_plan_file(what_if)
            comparison = compare_plans(ws, other, period=period, as_of=as_of)
            result = comparison.current
        else:
            comparison = None
            result = compute_comp(ws, period=period, as_of=as_of)
        currency = ws.settings.company.currency
    chosen = _find_statement(result, seller) if seller is not None else None
    if csv is not None:
        export_payroll(result, csv, currency)
    if as_json:
        data = comparison.to_dict() if comparison else result.to_dict()
        if chosen is not None and comparison is None:
            data["statements"] = [chosen]
        print_json(data)
        return
    if comparison is not None:
        _print_comparison(comparison)
    else:
        _print_statements(result)
    if chosen is not None:
        _print_trace(chosen)
    for note in result.notes:
        console.print(f"Note: {note}")


def register(app: typer.Typer) -> None:
    app.command()(comp)
