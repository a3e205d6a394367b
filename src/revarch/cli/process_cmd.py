"""``revarch process ...``: the sales process definition and its stage analytics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace

if TYPE_CHECKING:
    import pandas as pd

process_app = typer.Typer(
    help="Sales process: draft, check and calibrate the stages; measure the "
    "funnel, transitions, days in stage, stalls and the weekly trend.",
    no_args_is_help=True,
)

SinceOption = Annotated[
    str | None,
    typer.Option(
        help="First creation date of the opportunities covered (YYYY-MM-DD, "
        "inclusive).",
        show_default=False,
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        help="Last creation date covered (YYYY-MM-DD, inclusive); open "
        "opportunities are taken as of this date.",
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
PipelineOption = Annotated[
    str | None,
    typer.Option(help="Only this pipeline (it must be covered by the process)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CsvOption = Annotated[
    Path | None,
    typer.Option(
        "--csv", help="Also write the table to this CSV file.", show_default=False
    ),
]
WriteOption = Annotated[
    bool,
    typer.Option(
        "--write",
        help="Replace the process: block of revarch.yaml (the rest of the file "
        "and its comments stay).",
    ),
]

PERCENT_COLUMNS = ("conversion", "cumulative_conversion", "expected_conversion")


def _cell(column: str, value: Any) -> str:
    """Format one table cell: rates as percent, days with one decimal."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and (
        column in PERCENT_COLUMNS
        or column.startswith("expected_conversion")
        or column == "conversion_shortfall"
    ):
        return f"{value:.1%}"
    if isinstance(value, float) and column.startswith("rank") and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and column == "amount":
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def show_table(frame: pd.DataFrame, title: str, *, empty: str = "No rows.") -> None:
    """Print a pandas table as a rich table with formatted cells."""
    if frame.empty:
        console.print(f"{title}: {empty}")
        return
    # The terminal shows stage ids and seller names; --json and --csv have all.
    hidden = [c for c in ("label", "expected_days_source") if c in frame.columns]
    if "seller_name" in frame.columns and frame["seller_name"].notna().any():
        hidden.append("seller")
    frame = frame.drop(columns=hidden)
    table = Table(*[str(c) for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(
            *[_cell(str(c), v) for c, v in zip(frame.columns, row, strict=True)]
        )
    console.print(table)


def _finish(result: Any, as_json: bool, csv: Path | None, title: str) -> None:
    """Write the CSV when asked, then print JSON or the table."""
    if csv is not None:
        result.table.to_csv(csv, index=False)
    if as_json:
        print_json(result.to_dict())
        return
    show_table(result.table, title)


def _notes(data: dict[str, Any]) -> None:
    """Print the counts every stage analysis reports beside its table."""
    window = data["window"]
    console.print(
        f"Window: {window['view']}, {window['since'] or 'start'} to "
        f"{window['until'] or 'end'}, as of {window['as_of']}."
    )
    if data.get("without_history"):
        console.print(
            f"Left out: {data['without_history']} opportunities without stage history."
        )
    if data.get("outside_process"):
        console.print(
            f"Not covered: {data['outside_process']} opportunities in pipelines "
            "outside the process."
        )


@process_app.command()
def funnel(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Show each stage's reached, advanced, lost and open counts and conversion.

    Example: revarch process funnel --since 2025-01-01 --until 2025-06-30
    """
    from revarch.process import compute_funnel

    with workspace(ctx) as ws:
        result = compute_funnel(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline
        )
    _finish(result, as_json, csv, "Funnel")
    if not as_json:
        console.print(f"Won {result.won}, lost {result.lost}, open {result.open}.")
        _notes(result.to_dict())


@process_app.command()
def transitions(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Count the moves between stages, backward moves and skipped stages.

    Example: revarch process transitions --json
    """
    from revarch.process import compute_transitions

    with workspace(ctx) as ws:
        result = compute_transitions(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline
        )
    _finish(result, as_json, csv, "Stage transitions")
    if not as_json:
        console.print(
            f"Backward moves: {result.backward_moves}. Skips: {result.skips}."
        )
        _notes(result.to_dict())


@process_app.command()
def velocity(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="Add per-opportunity days per stage and the age of every open "
            "opportunity to --json.",
        ),
    ] = False,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Show days in stage per stage: median, p75 and p90 of completed visits.

    Example: revarch process velocity --pipeline "New Business"
    """
    from revarch.process import compute_velocity

    with workspace(ctx) as ws:
        result = compute_velocity(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline
        )
    if csv is not None:
        result.table.to_csv(csv, index=False)
    if as_json:
        print_json(result.to_dict(detail=detail))
        return
    show_table(result.table, "Days in stage")
    _notes(result.to_dict())


@process_app.command()
def stalls(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """List stalled open opportunities and rank the stages where deals stall.

    Example: revarch process stalls --csv stalled.csv
    """
    from revarch.process import compute_stalls

    with workspace(ctx) as ws:
        result = compute_stalls(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline
        )
    _finish(result, as_json, csv, "Stalled opportunities")
    if as_json:
        return
    show_table(result.stages_table, "Where deals stall")
    if result.age_unknown:
        console.print(
            f"Age unknown (never counted as stalled): {len(result.age_unknown)} "
            "open opportunities, e.g. "
            + ", ".join(o.id for o in result.age_unknown[:5])
        )
    _notes(result.to_dict())


@process_app.command()
def trend(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Show each stage's conversion per ISO week of entering the stage.

    --since and --until select the dates the stage was entered.

    Example: revarch process trend --since 2025-01-01
    """
    from revarch.process import compute_trend

    with workspace(ctx) as ws:
        result = compute_trend(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline
        )
    _finish(result, as_json, csv, "Weekly stage conversion")
    if not as_json:
        _notes(result.to_dict())


@process_app.command()
def suggest(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    write: WriteOption = False,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Draft a process from the data and print its YAML for revarch.yaml.

    Stages follow the CRM's stage order (else the typical order in the
    history); expected values come from the trailing performance.trailing_months
    of history unless --since/--until set another window.

    Example: revarch process suggest --write
    """
    from revarch.process.definition import suggest_process

    with workspace(ctx) as ws:
        result = suggest_process(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline, write=write
        )
    if csv is not None:
        result.table.to_csv(csv, index=False)
    if as_json:
        print_json(result.to_dict())
        return
    show_table(result.table, "Suggested stages")
    console.print(result.yaml, markup=False, highlight=False)
    if write:
        console.print("Wrote the process: block of revarch.yaml.")
    else:
        console.print("Paste this block into revarch.yaml, or run again with --write.")


@process_app.command()
def check(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """List every way the process definition falls short of the framework.

    Exits 0 with the findings listed.

    Example: revarch process check --json
    """
    from revarch.process.definition import check_process

    with workspace(ctx) as ws:
        result = check_process(ws, as_of=as_of)
    if csv is not None:
        result.table.to_csv(csv, index=False)
    if as_json:
        print_json(result.to_dict())
        return
    if result.ok:
        console.print("The process definition meets the framework.")
        return
    show_table(result.table.drop(columns=["yaml"]), "Process check")
    for finding in result.findings:
        if finding.yaml:
            console.print(finding.yaml, markup=False, highlight=False)


@process_app.command()
def calibrate(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    pipeline: PipelineOption = None,
    write: WriteOption = False,
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Set expected conversion and days per stage from history; show old and new.

    The default window is the trailing performance.trailing_months before the
    as-of date.

    Example: revarch process calibrate --write
    """
    from revarch.process.definition import calibrate_process

    with workspace(ctx) as ws:
        result = calibrate_process(
            ws, since=since, until=until, as_of=as_of, pipeline=pipeline, write=write
        )
    _finish(result, as_json, csv, "Calibrated expected values")
    if not as_json:
        console.print(
            "Wrote the new values to revarch.yaml."
            if write
            else "Run again with --write to save the new values."
        )


def register(app: typer.Typer) -> None:
    app.add_typer(process_app, name="process")
