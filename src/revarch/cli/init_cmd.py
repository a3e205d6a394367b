"""``revarch init``: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revarch.cli.common import console
from revarch.workspace import init_workspace


def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    name: Annotated[
        str | None, typer.Option(help="Company name (default: the folder name).")
    ] = None,
    currency: Annotated[
        str, typer.Option(help="Base currency, ISO 4217 (amounts are converted).")
    ] = "USD",
    timezone: Annotated[
        str, typer.Option(help="IANA timezone that days and weeks are cut in.")
    ] = "UTC",
) -> None:
    """Create a workspace: a commented revarch.yaml and the database.

    Example: revarch init ./acme --name "Acme Corp" --timezone Europe/Berlin
    """
    path = init_workspace(folder, name=name, currency=currency, timezone=timezone)
    console.print(f"Created workspace {path} (settings in {path / 'revarch.yaml'})")
    console.print(f"Next: revarch -w {path} import salesforce PATH/TO/EXPORT")


def register(app: typer.Typer) -> None:
    app.command()(init)
