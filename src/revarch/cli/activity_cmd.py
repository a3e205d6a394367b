"""``revarch activity`` and ``revarch process adherence``: the input metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace
from revarch.cli.process_cmd import process_app

SinceOption = Annotated[
    str | None,
    typer.Option(
        help="First date of the window (YYYY-MM-DD, inclusive).", show_default=False
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        help="Last date of the window (YYYY-MM-DD, inclusive).", show_default=False
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
CsvOption = Annotated[
    Path | None,
    typer.Option(
        "--csv", help="Also write the rows to this CSV file.", show_default=False
    ),
]
HIDDEN = ("seller", "manager")
HEADERS = {
    "seller_name": "seller",
    "manager_name": "manager",
    "activities_median": "team median",
    "activities_change": "change",
    "adherence": "adherence",
    "open_visits": "open visits",
    "open_required": "open required",
    "open_completed": "open done",
}


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "adherence":
        return f"{value:.1%}"
    if column.endswith("_change"):
        return f"{value:+,.0f}"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{value:,.0f}"
    return str(value)


def _print(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    if not rows:
        console.print(f"{title}: no rows.")
        return
    table = Table(*(HEADERS.get(c, c) for c in columns), title=title)
    for row in rows:
        table.add_row(*(_cell(c, row.get(c)) for c in columns))
    console.print(table)


def _write_csv(frame: Any, path: Path | None) -> None:
    if path is not None:
        frame.to_csv(path, index=False)


def activity(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Group by seller, manager or team and one period: week (ISO), "
            "month, quarter or year (fiscal), joined with commas.",
        ),
    ] = "seller,week",
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Count calls, emails, social touches and meetings per group and period.

    Each row shows the team median of its period and the change from the
    group's previous period. --json and --csv carry every type's median and
    change.

    Example: revarch activity --by seller,week --since 2025-04-01
    """
    from revarch.metrics.activity_report import MEASURES, compute_activity_report

    with workspace(ctx) as ws:
        result = compute_activity_report(
            ws, by=by, since=since, until=until, as_of=as_of
        )
    _write_csv(result.table, csv)
    if as_json:
        print_json(result.to_dict())
        return
    keys = [k for k in result.keys if k not in HIDDEN]
    extra = [
        c for c in ("activities_median", "activities_change") if c in result.columns
    ]
    _print(result.rows, [*keys, *MEASURES, *extra], "Activity")
    for note in result.notes:
        console.print(f"Note: {note}")


def adherence(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Group by seller, manager, team, stage or requirement, joined "
            "with commas.",
        ),
    ] = "seller",
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="A period (2025-Q2, 2025-03, 2025-W14, FY2025); sets --since and "
            "--until.",
            show_default=False,
        ),
    ] = None,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="Add one row per stage visit and required activity to --json.",
        ),
    ] = False,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Show the share of required activities logged in each stage visit.

    A requirement is met by an activity linked to the opportunity, of its
    type and subject, dated within the visit. Visits that left the stage in
    the window count; visits still open are shown apart.

    Example: revarch process adherence --by seller --period 2025-Q2
    """
    from revarch.metrics.adherence import MEASURES, compute_adherence

    with workspace(ctx) as ws:
        result = compute_adherence(
            ws,
            by=by,
            since=since,
            until=until,
            as_of=as_of,
            period=period,
            detail=detail,
        )
    _write_csv(result.table, csv)
    if as_json:
        print_json(result.to_dict())
        return
    keys = [k for k in result.keys if k not in HIDDEN]
    _print(result.rows, [*keys, *MEASURES], "Process adherence")
    totals = result.totals
    if result.defined:
        share = _cell("adherence", totals["adherence"])
        console.print(
            f"All: {totals['completed']} of {totals['required']} required "
            f"activities logged ({share}) in {totals['visits']} completed visits."
        )
    for note in result.notes:
        console.print(f"Note: {note}")


def register(app: typer.Typer) -> None:
    app.command()(activity)
    process_app.command()(adherence)
