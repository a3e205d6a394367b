"""``revarch report``: the weekly one-page revenue report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from revarch.cli.common import console, workspace


def report(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            help="ISO week such as 2025-W14 (default: the last complete week "
            "before the data's as-of date).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write (default: reports/<week>.html or .json in the "
            "workspace).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Literal["html", "json"],
        typer.Option("--format", help="html (one printable page) or json."),
    ] = "html",
    as_json: Annotated[
        bool, typer.Option("--json", help="Short for --format json, printed to stdout.")
    ] = False,
    seller: Annotated[
        str | None,
        typer.Option(help="Seller id: the page for that seller's 1-on-1."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Treat this date (YYYY-MM-DD) as now.", show_default=False),
    ] = None,
    generated_at: Annotated[
        str | None,
        typer.Option(
            help="Fix the generated-at timestamp (ISO), for byte-identical output.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build the week's one-page revenue report as HTML (prints on one page) or JSON.

    Example: revarch report --week 2025-W14 --out week14.html
    """
    from revarch.report.build import build_report
    from revarch.report.render import render_html, render_json

    fmt = "json" if as_json else output_format
    with workspace(ctx) as ws:
        data = build_report(
            ws, week=week, seller=seller, as_of=as_of, generated_at=generated_at
        )
        target = out
        if target is None and not as_json:
            name = data["week"]["id"] + (f"-{seller}" if seller else "")
            target = ws.path / "reports" / f"{name}.{fmt}"
    text = render_json(data) if fmt == "json" else render_html(data)
    if target is None:
        typer.echo(text, nl=False)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console.print(f"Wrote the {data['week']['id']} report to {target}")


def register(app: typer.Typer) -> None:
    app.command()(report)
