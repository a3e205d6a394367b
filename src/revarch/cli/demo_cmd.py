"""``revarch demo``: generate the demo company and import it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revarch.cli.common import console
from revarch.cli.progress import DelayedProgress


def demo(
    folder: Annotated[Path, typer.Argument(help="Workspace folder to create.")] = Path(
        "revarch-demo"
    ),
    sellers: Annotated[int, typer.Option(min=2, help="Number of sellers.")] = 25,
    months: Annotated[int, typer.Option(min=3, help="Months of history.")] = 18,
    seed: Annotated[
        int, typer.Option(help="Random seed: same seed, same company.")
    ] = 7,
    scale: Annotated[
        float,
        typer.Option(min=0.01, help="Multiplies opportunity volume (160: ~1M)."),
    ] = 1.0,
) -> None:
    """Generate a company, import it as a Salesforce export, write its weekly report.

    Example: revarch demo ./acme-demo --sellers 25 --months 18 --seed 7
    """
    from revarch.demo import create_demo

    with DelayedProgress("Building the demo company") as progress:
        summary = create_demo(
            folder,
            sellers=sellers,
            months=months,
            seed=seed,
            scale=scale,
            progress=progress,
        )
    for line in summary.lines():
        console.print(line)
    path = write_weekly_report(summary.path)
    console.print(f"Weekly report: {path}")
    console.print(
        f"Open it in a browser, or run: revarch -w {summary.path} report --help"
    )


def write_weekly_report(folder: Path) -> Path:
    """Build the latest complete week's report for a workspace; return its path."""
    from revarch.report.build import build_report
    from revarch.report.render import render_html
    from revarch.workspace import open_workspace

    with open_workspace(folder) as ws:
        data = build_report(ws)
    target = folder / "reports" / f"{data['week']['id']}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(data), encoding="utf-8")
    return target


def register(app: typer.Typer) -> None:
    app.command()(demo)
