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
    """Generate a believable B2B company, export it as Salesforce files, import it.

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


def register(app: typer.Typer) -> None:
    app.command()(demo)
