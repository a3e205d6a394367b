"""``revarch check``: data-quality findings with counts and example ids."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace


def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List data-quality findings: missing history, unmapped stages, missing rates.

    Example: revarch -w ./acme check --json
    """
    with workspace(ctx) as ws:
        from revarch.quality import check_workspace

        report = check_workspace(ws)
    if as_json:
        print_json(report)
        return
    if not report["imports"]:
        console.print("Nothing imported yet: run revarch import KIND PATH first.")
        return
    table = Table("finding", "count", "examples")
    for finding in report["findings"]:
        table.add_row(
            finding["message"],
            str(finding["count"]),
            ", ".join(str(e) for e in finding["examples"][:5]),
        )
    console.print(table)
    if not report["findings"]:
        console.print("No data-quality findings.")


def register(app: typer.Typer) -> None:
    app.command()(check)
