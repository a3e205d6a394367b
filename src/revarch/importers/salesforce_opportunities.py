"""Parse the Opportunity file: API headers (Data Export) and report headers."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
)

ID = ("Id", "OppID", "Opportunity ID", "OpportunityId")
NAME = ("Name", "Opportunity Name", "OpportunityName")
STAGE = ("StageName", "Stage", "Stage Name")
OWNER_ID = ("OwnerId", "Owner ID", "Opportunity Owner ID")
OWNER_NAME = ("Owner.Name", "Owner Name", "Opportunity Owner", "OwnerName", "Owner")
ACCOUNT = ("Account.Name", "Account Name", "AccountName", "AccountId", "Account ID")
PIPELINE = (
    "RecordType.Name",
    "RecordTypeName",
    "Record Type",
    "Opportunity Record Type",
    "RecordType",
    "RecordTypeId",
)


@dataclass(frozen=True)
class Opportunities:
    """The parsed opportunities (a staged table) and how they are keyed."""

    table: ir.Table
    file: SourceFile
    keyed_by_name: bool
    owners_by_name: bool


def parse_opportunities(ctx: ImportContext, file: SourceFile) -> Opportunities:
    """Parse and validate the Opportunity file into a staged table.

    Columns: id, name, account, owner_key, owner_name, created_at,
    close_date, amount, currency, margin, type, lead_source, pipeline,
    probability, stage_label, stage_sort, flag_status, is_deleted,
    import_file, source_id and the file row.
    """
    columns = file.columns
    if file.raw.rows == 0:
        raise InputError(
            f"{file.name}: the file has a header but no opportunities; export "
            "the Opportunity object again (a full import of an empty file "
            "would mark every opportunity deleted)"
        )
    id_header = columns.find(*ID)
    name_header = columns.find(*NAME)
    if id_header is None and name_header is None:
        columns.require("the opportunity id", *ID, *NAME)
    stage_header = columns.require("the stage", *STAGE)
    key_header = id_header or name_header
    assert key_header is not None
    if id_header is None:
        ctx.notes.append(
            f"{file.name} has no Id column: opportunities are keyed by their "
            f"Name ({name_header!r}), so renaming one in the CRM makes it a new "
            "opportunity"
        )

    table = file.table
    created_header = columns.find("CreatedDate", "Created Date")
    close_header = columns.find("CloseDate", "Close Date")
    parser = FileParser(ctx, file, [created_header, close_header])
    parser.require(key_header, "an opportunity id")
    parser.require(stage_header, "a stage name")
    owner_key, owners_by_name = _owner_key(file)
    key = parsing.ref(table[key_header])
    parsed = parser.stage(
        id=key,
        name=file.text(*NAME),
        account=file.text(*ACCOUNT),
        owner_key=owner_key,
        owner_name=file.text(*OWNER_NAME),
        created_at=parser.timestamp(created_header),
        close_date=parser.date(close_header),
        amount=parser.number(columns.find("Amount")),
        currency=_currency(ctx, file),
        margin=_margin(ctx, file, parser),
        type=file.text("Type", "Opportunity Type"),
        lead_source=file.text("LeadSource", "Lead Source"),
        pipeline=file.text(*PIPELINE),
        probability=parser.number(columns.find("Probability", "Probability (%)")),
        stage_label=parsing.text(table[stage_header]),
        stage_sort=parser.integer(columns.find("StageSortOrder", "SortOrder")),
        flag_status=_flag_status(file, parser),
        is_deleted=parser.boolean(columns.find("IsDeleted")).fill_null(False),
        import_file=ibis.literal(file.name),
        source_id=key if id_header is not None else ibis.null(dt.string),
    )
    return Opportunities(
        table=parsed,
        file=file,
        keyed_by_name=id_header is None,
        owners_by_name=owners_by_name,
    )


def _owner_key(file: SourceFile) -> tuple[ir.StringValue, bool]:
    """Return the owner reference and whether sellers are keyed by name."""
    if file.columns.find(*OWNER_ID) is not None:
        return file.ref(*OWNER_ID), False
    return file.text(*OWNER_NAME), file.columns.find(*OWNER_NAME) is not None


def _currency(ctx: ImportContext, file: SourceFile) -> ir.StringValue:
    code = file.text("CurrencyIsoCode", "Opportunity Currency", "Currency")
    return code.upper().fill_null(ctx.base_currency)


def _margin(
    ctx: ImportContext, file: SourceFile, parser: FileParser
) -> ir.FloatingValue:
    field = ctx.workspace.settings.fields.margin
    if field is None:
        return ibis.null(dt.float64)
    header = file.columns.find(field)
    if header is None:
        found = ", ".join(file.raw.headers[:40])
        raise InputError(
            f"{file.name}: the margin field {field!r} named by fields.margin in "
            f"revarch.yaml is not a column of the file; the file has: {found}; "
            "export the field or correct fields.margin"
        )
    return parser.number(header)


def _flag_status(file: SourceFile, parser: FileParser) -> ir.StringValue:
    """Return the status the IsClosed/IsWon flags claim, or NULL without flags."""
    closed_header = file.columns.find("IsClosed", "Closed")
    won_header = file.columns.find("IsWon", "Won")
    if closed_header is None and won_header is None:
        return ibis.null(dt.string)
    closed = parser.boolean(closed_header)
    won = parser.boolean(won_header)
    return ibis.cases(
        (won.fill_null(False), "won"),
        (closed.fill_null(False), "lost"),
        (~closed.fill_null(True), "open"),
        else_=ibis.null(dt.string),
    )
