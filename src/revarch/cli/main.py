"""Entry point of the ``revarch`` command: global options and the error boundary."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from revarch import __version__
from revarch.cli import (
    activity_cmd,
    check_cmd,
    comp_cmd,
    demo_cmd,
    diagnose_cmd,
    forecast_cmd,
    import_cmd,
    init_cmd,
    inspect_cmd,
    metrics_cmd,
    one_on_one_cmd,
    predict_cmd,
    process_cmd,
    report_cmd,
    serve_cmd,
    talent_cmd,
)
from revarch.cli.common import State
from revarch.errors import RevarchError

app = typer.Typer(
    name="revarch",
    help=(
        "Run the SMARTSCALING revenue system on your own CRM data.\n\n"
        "Example: revarch demo ./acme && revarch -w ./acme check"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"revarch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (default: REVARCH_WORKSPACE, else the current "
            "folder).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Log each step to stderr.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log everything and show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    ctx.obj = State(workspace=workspace, verbose=verbose, debug=debug)
    level = logging.WARNING
    if verbose:
        level = logging.INFO
    if debug:
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", force=True
    )


init_cmd.register(app)
import_cmd.register(app)
check_cmd.register(app)
demo_cmd.register(app)
talent_cmd.register(app)
metrics_cmd.register(app)
process_cmd.register(app)
diagnose_cmd.register(app)
report_cmd.register(app)
activity_cmd.register(app)
forecast_cmd.register(app)
inspect_cmd.register(app)
one_on_one_cmd.register(app)
predict_cmd.register(app)
comp_cmd.register(app)
serve_cmd.register(app)


def run(argv: list[str] | None = None) -> None:
    """Run the CLI: user errors print ``Error: ...`` and exit 1, usage errors 2."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="revarch", standalone_mode=True)
    except RevarchError as exc:
        if debug:
            raise
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(1)
