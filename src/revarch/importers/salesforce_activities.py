"""Activities from Task, Event and call-log files.

WhatId and OwnerId may contain ids or names, because some demo and report
exports use opportunity names and full names. Both resolve to opportunity
and seller ids. References that resolve to nothing stay NULL and are
reported.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
    digest,
)
from revarch.importers.salesforce_sellers import (
    People,
    join_sellers,
    report_unresolved_sellers,
)
from revarch.storage.store import ROW_COLUMN

WHAT = (
    "WhatId",
    "What.Name",
    "Related To",
    "OpportunityId",
    "Opportunity ID",
    "Opportunity Name",
    "Opportunity",
)
OWNER = ("OwnerId", "Owner.Name", "Owner Name", "Assigned To", "Assigned", "Owner")
ACTIVITY_DATE = ("ActivityDate", "Activity Date", "Due Date", "Date")
# Event fields with a time of day; preferred over the date-only ActivityDate.
EVENT_START = ("ActivityDateTime", "StartDateTime", "Start Date Time")
MEETING_TYPE = r"\b(meeting|meet|visit|appointment|presentation)\b"
SOCIAL_TYPE = r"linkedin|social"
# The activities table's columns, plus the file row.
ACTIVITY_COLUMNS = (
    "id",
    "seller_id",
    "opportunity_id",
    "type",
    "subtype",
    "subject",
    "occurred_at",
    "outcome",
    "duration_minutes",
    "is_deleted",
    "import_file",
    "source_id",
    ROW_COLUMN,
)


def _task_type(file: SourceFile) -> ir.StringValue:
    """Classify a task by TaskSubtype, then by Type."""
    subtype = file.text("TaskSubtype", "Task Subtype").lower().fill_null("")
    kind = file.text("Type", "Task Type").lower().fill_null("")
    return ibis.cases(
        (subtype == "call", "call"),
        (subtype.isin(("email", "listemail")), "email"),
        (subtype.re_search(SOCIAL_TYPE) | kind.re_search(SOCIAL_TYPE), "social"),
        (kind.re_search(MEETING_TYPE), "meeting"),
        (kind.re_search(r"\bcall"), "call"),
        (kind.re_search(r"e-?mail"), "email"),
        else_="other",
    )


def _kind_columns(file: SourceFile, parser: FileParser) -> dict[str, ir.Value]:
    """Return type, subtype, outcome and duration for the file's object."""
    columns = file.columns
    if file.kind == "event":
        return {
            "type": ibis.literal("meeting"),
            "subtype": file.text("Type", "EventSubtype", "Event Subtype"),
            "outcome": ibis.null(dt.string),
            "duration_minutes": parser.number(
                columns.find("DurationInMinutes", "Duration")
            ),
        }
    seconds = parser.number(columns.find("CallDurationInSeconds", "Call Duration"))
    if file.kind == "call":
        return {
            "type": ibis.literal("call"),
            "subtype": file.text("Call Type", "CallType"),
            "outcome": file.text("Call Result", "CallDisposition", "Call Outcome"),
            "duration_minutes": seconds / 60,
        }
    return {
        "type": _task_type(file),
        "subtype": file.text("Type", "Task Type", "TaskSubtype"),
        "outcome": file.text("CallDisposition", "Call Result"),
        "duration_minutes": seconds / 60,
    }


def _date_headers(file: SourceFile) -> tuple[str | None, str | None, str | None]:
    """Return the event start, activity date and creation date headers."""
    columns = file.columns
    start = columns.find(*EVENT_START) if file.kind == "event" else None
    day = columns.find(*ACTIVITY_DATE)
    created = columns.find("CreatedDate", "Created Date")
    return start, day, created


def _with_ids(kind: str, table: ir.Table) -> ir.Table:
    """Set id to the record Id, else a digest of the row's values and an ordinal.

    The ordinal numbers identical rows, so re-importing the same file gives
    the same ids.
    """
    ordinal = ibis.row_number().over(group_by=table.content, order_by=table[ROW_COLUMN])
    derived = ibis.literal(f"{kind}-").concat(digest(table.content, ordinal))
    return table.mutate(id=table.source_id.coalesce(derived)).drop("content")


def parse_activities(ctx: ImportContext, file: SourceFile) -> ir.Table:
    """Parse one Task, Event or call-log file into staged activity rows."""
    table = file.table
    start, day, created = _date_headers(file)
    parser = FileParser(ctx, file, (start, day, created))
    source_id = file.ref("Id")
    # Data exports give every row an Id: only a row without one pays for the
    # digest of its values.
    values = digest(*(table[h] for h in file.raw.headers))
    content = source_id.isnull().ifelse(values, ibis.null(dt.string))
    parsed = parser.stage(
        owner_ref=file.ref(*OWNER),
        what_ref=file.ref(*WHAT),
        subject=file.text("Subject"),
        start_at=parser.timestamp(start),
        # ActivityDate is a date: read as midnight in the workspace timezone
        # so that it stays on its calendar day.
        day_at=parser.timestamp(day, wall_time=True),
        created_at=parser.timestamp(created),
        is_deleted=parser.boolean(file.columns.find("IsDeleted")).fill_null(False),
        import_file=ibis.literal(file.name),
        source_id=source_id,
        content=content,
        **_kind_columns(file, parser),
    )
    without_id = ctx.count(parsed.filter(parsed.source_id.isnull()))
    if without_id:
        ctx.notes.append(
            f"{without_id} of {file.raw.rows} rows of {file.name} have no Id: "
            "their ids are generated from their values, so a row edited in "
            "the CRM comes back as a new activity"
        )
        with_ids = ctx.stage(_with_ids(file.kind, parsed))
    else:
        with_ids = parsed.mutate(id=parsed.source_id)
    return with_ids.select(
        "id",
        "owner_ref",
        "what_ref",
        "type",
        "subtype",
        "subject",
        with_ids.start_at.coalesce(with_ids.day_at, with_ids.created_at).name(
            "occurred_at"
        ),
        "outcome",
        with_ids.duration_minutes.cast(dt.float64).name("duration_minutes"),
        "is_deleted",
        "import_file",
        "source_id",
        ROW_COLUMN,
    )


def resolve_activities(
    ctx: ImportContext,
    parsed: list[ir.Table],
    opportunity_lookup: ir.Table,
    people: People,
) -> ir.Table:
    """Union the activity files and resolve their opportunity and owner.

    Both lookups join in one staged table, so the activities are copied once.
    """
    activities = ibis.union(*parsed, distinct=False) if len(parsed) > 1 else parsed[0]
    lookup = opportunity_lookup
    joined = activities.left_join(lookup, activities.what_ref == lookup.key).drop("key")
    resolved = join_sellers(people, joined, "owner_ref")
    resolved = ctx.stage(resolved.select(*ACTIVITY_COLUMNS, "what_ref", "owner_ref"))
    unresolved = resolved.filter(
        resolved.what_ref.notnull() & resolved.opportunity_id.isnull()
    )
    total, rows = ctx.sample(unresolved)
    ctx.add_finding(
        "activity_opportunity_unresolved",
        total,
        "activities whose WhatId is neither an opportunity id nor a unique "
        "opportunity name of the export (it may point at an account or "
        "another object): opportunity left empty",
        [f"{r['import_file']} row {r['_row']}: {r['what_ref']!r}" for r in rows],
    )
    report_unresolved_sellers(
        ctx, people, resolved, "owner_ref", record_kind="activity"
    )
    return resolved
