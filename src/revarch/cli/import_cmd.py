"""``revarch import KIND PATH``: bring CRM exports into the workspace."""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace
from revarch.cli.progress import DelayedProgress
from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.storage import ImportResult

import_app = typer.Typer(
    help="Import CRM exports: all or nothing, and re-importing changes nothing.\n\n"
    "Example: revarch import salesforce ~/Downloads/WE_00D5g000004_1 "
    "--source acme-crm",
    no_args_is_help=True,
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        help="Name of this export's source (default: the folder or file name). A "
        "full re-import marks that source's records missing from it as deleted."
    ),
]
PartialOption = Annotated[
    bool,
    typer.Option(
        "--partial",
        help="An incremental file: update and add, never mark missing records deleted.",
    ),
]
TimezoneOption = Annotated[
    str | None,
    typer.Option(
        help="IANA timezone that zone-less local times in the file are in "
        "(default: the workspace's). ISO times in Salesforce Data Exports and "
        "Fivetran tables are UTC and are not shifted.",
        show_default=False,
    ),
]
DayFirstOption = Annotated[
    bool, typer.Option("--day-first", help="Read ambiguous dates as DD/MM/YYYY.")
]
MonthFirstOption = Annotated[
    bool, typer.Option("--month-first", help="Read ambiguous dates as MM/DD/YYYY.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _options(
    source: str | None,
    partial: bool,
    timezone: str | None,
    day_first: bool,
    month_first: bool,
    progress: DelayedProgress,
) -> ImportOptions:
    if day_first and month_first:
        raise typer.BadParameter("pass --day-first or --month-first, not both")
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        raise InputError(
            f"unknown --timezone {timezone!r}: use an IANA name such as "
            "'UTC', 'Europe/Berlin' or 'America/New_York'"
        )
    order: Literal["day", "month"] | None = (
        "day" if day_first else "month" if month_first else None
    )
    return ImportOptions(
        source=source,
        partial=partial,
        timezone=timezone,
        order=order,
        progress=progress,
    )


def print_summary(result: ImportResult) -> None:
    """Print rows read, inserted, updated, rejected, the findings and notes."""
    console.print(
        f"Imported [bold]{result.importer}[/] source [bold]{result.source}[/] "
        f"({', '.join(result.files)}): {result.rows_read} rows read."
    )
    table = Table("table", "inserted", "updated", "unchanged", "deleted")
    for counts in result.tables:
        table.add_row(
            counts.table,
            str(counts.inserted),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.deleted),
        )
    console.print(table)
    console.print(f"Rejected rows: {result.rejected}")
    for finding in result.findings:
        examples = ", ".join(finding.examples[:5])
        console.print(f"- {finding.message} ({finding.count}; e.g. {examples})")
    for note in result.notes:
        console.print(f"Note: {note}")


def _finish(result: ImportResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        print_summary(result)


@import_app.command()
def salesforce(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder of the export's CSV files.")],
    source: SourceOption = None,
    partial: PartialOption = False,
    timezone: TimezoneOption = None,
    day_first: DayFirstOption = False,
    month_first: MonthFirstOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import a Salesforce Data Export, Data Loader or report export folder.

    Reads Opportunity and OpportunityHistory, and User, Task, Event,
    DatedConversionRate, CurrencyType and OpportunityStage when present.

    Example: revarch import salesforce ~/Downloads/WE_00D5g000004_1
    """
    from revarch.importers.salesforce import import_salesforce

    with workspace(ctx) as ws, DelayedProgress("Importing") as progress:
        options = _options(source, partial, timezone, day_first, month_first, progress)
        result = import_salesforce(ws, folder, options)
    _finish(result, as_json)


@import_app.command()
def hubspot(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(help="Folder of Fivetran HubSpot tables, or a UI deals CSV."),
    ],
    source: SourceOption = None,
    partial: PartialOption = False,
    timezone: TimezoneOption = None,
    day_first: DayFirstOption = False,
    month_first: MonthFirstOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import HubSpot deals: Fivetran tables or a deals export from the HubSpot UI.

    Example: revarch import hubspot all-deals.csv --timezone America/Chicago
    """
    from revarch.importers.hubspot import import_hubspot

    with workspace(ctx) as ws, DelayedProgress("Importing") as progress:
        options = _options(source, partial, timezone, day_first, month_first, progress)
        result = import_hubspot(ws, path, options)
    _finish(result, as_json)


@import_app.command()
def pipeline(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Flat opportunity CSV.")],
    mapping: Annotated[
        str,
        typer.Option(
            help="Mapping YAML file, or a preset name (maven-crm).",
        ),
    ],
    source: SourceOption = None,
    partial: PartialOption = False,
    timezone: TimezoneOption = None,
    day_first: DayFirstOption = False,
    month_first: MonthFirstOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import any flat opportunity CSV (Pipedrive, Zoho, a spreadsheet) via a mapping.

    Example: revarch import pipeline sales_pipeline.csv --mapping maven-crm
    """
    from revarch.importers.pipeline import import_pipeline

    with workspace(ctx) as ws, DelayedProgress("Importing") as progress:
        options = _options(source, partial, timezone, day_first, month_first, progress)
        result = import_pipeline(ws, file, mapping, options)
    _finish(result, as_json)


@import_app.command("csv")
def csv_tables(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder with one CSV per table (sellers.csv, opportunities.csv, "
            "stage_events.csv, activities.csv, fx_rates.csv, quotas.csv)."
        ),
    ],
    source: SourceOption = None,
    partial: PartialOption = False,
    timezone: TimezoneOption = None,
    day_first: DayFirstOption = False,
    month_first: MonthFirstOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import CSV files in revarch's own table layout (docs/data-model.md).

    This is also how FX rates and quotas kept in a spreadsheet come in.

    Example: revarch import csv ./finance --partial
    """
    from revarch.importers.csvtables import import_tables

    with workspace(ctx) as ws, DelayedProgress("Importing") as progress:
        options = _options(source, partial, timezone, day_first, month_first, progress)
        result = import_tables(ws, folder, options)
    _finish(result, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


@import_app.command()
def assessments(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="Assessment CSV: person id, kind (seller, candidate, "
            "leader_rating), date, optional rater, and either skill and score "
            "columns or one column per skill."
        ),
    ],
    source: SourceOption = None,
    partial: PartialOption = False,
    day_first: DayFirstOption = False,
    month_first: MonthFirstOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import skill assessments: sellers' and candidates' scores, leader ratings.

    Scores run from 0 to 100. Skills match the catalog (skills.catalog in
    revarch.yaml) by name or alias, ignoring case. Any invalid row stops the
    import with nothing written.

    Example: revarch import assessments assessments-2025-Q2.csv
    """
    from revarch.talent.assessments import import_assessments

    with workspace(ctx) as ws, DelayedProgress("Importing") as progress:
        options = _options(source, partial, None, day_first, month_first, progress)
        result = import_assessments(ws, file, options)
    _finish(result, as_json)
