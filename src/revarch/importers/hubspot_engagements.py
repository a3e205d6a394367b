"""Fivetran HubSpot engagements and owners: activities and the sellers behind them.

An engagement's fields come from the `engagement` table where it has them and
from its type's table (`engagement_call`, `engagement_email`, ...) otherwise,
so both the connector's older layout (everything in `engagement`) and its
newer one (details in the type tables) import.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.importers.hubspot_shared import Check, find, union_all
from revarch.importers.hubspot_tables import Field, FivetranTable, Kind, read_table
from revarch.storage import Finding, Store

ENGAGEMENT_FIELDS = {
    "id": Field("ref", ("id", "engagement_id"), required=True),
    "type": Field("text", ("type", "engagement_type")),
    "occurred_at": Field("timestamp", ("timestamp", "property_hs_timestamp")),
    "seller_id": Field("ref", ("owner_id", "property_hubspot_owner_id")),
}

# Per type table: the headers of its subject, outcome and duration.
TYPE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "engagement_call": {
        "subject": ("property_hs_call_title", "title"),
        "outcome": ("property_hs_call_disposition", "disposition"),
        "duration_ms": ("property_hs_call_duration", "duration_milliseconds"),
    },
    "engagement_email": {
        "subject": ("property_hs_email_subject", "subject"),
    },
    "engagement_meeting": {
        "subject": ("property_hs_meeting_title", "title"),
        "outcome": ("property_hs_meeting_outcome", "meeting_outcome"),
        "start": ("property_hs_meeting_start_time", "start_time"),
        "end": ("property_hs_meeting_end_time", "end_time"),
    },
    "engagement_note": {},
    "engagement_task": {
        "subject": ("property_hs_task_subject", "subject"),
        "outcome": ("property_hs_task_status", "status"),
    },
}

ENGAGEMENT_DEAL_FIELDS = {
    "deal_id": Field("ref", ("deal_id",), required=True),
    "engagement_id": Field("ref", ("engagement_id",), required=True),
}

OWNER_FIELDS = {
    "id": Field("ref", ("owner_id", "id"), required=True),
    "first_name": Field("text", ("first_name",)),
    "last_name": Field("text", ("last_name",)),
    "email": Field("text", ("email",)),
    "type": Field("text", ("type",)),
    "active": Field("boolean", ("is_active", "active")),
}

LONG_SCHEMA = ibis.schema(
    {
        "id": "string",
        "raw_type": "string",
        "occurred_at": "timestamp",
        "seller_id": "string",
        "subject": "string",
        "outcome": "string",
        "duration_minutes": "float64",
        "deleted": "boolean",
        "priority": "int8",
        "file": "string",
    }
)

ACTIVITY_TYPES = {
    "CALL": "call",
    "EMAIL": "email",
    "INCOMING_EMAIL": "email",
    "FORWARDED_EMAIL": "email",
    "MEETING": "meeting",
}


def type_fields(name: str) -> dict[str, Field]:
    """Return the fields read from one engagement type table."""
    aliases = TYPE_ALIASES[name]
    kinds: dict[str, Kind] = {
        "subject": "text",
        "outcome": "text",
        "duration_ms": "number",
    }
    fields = {
        "id": Field("ref", ("engagement_id", "id"), required=True),
        "type": Field("text", ("type",)),
        "occurred_at": Field("timestamp", ("property_hs_timestamp", "timestamp")),
        "seller_id": Field("ref", ("property_hubspot_owner_id", "owner_id")),
    }
    for out, headers in aliases.items():
        kind = kinds.get(out, "timestamp")
        fields[out] = Field(kind, headers)
    return fields


def read_engagements(
    store: Store, files: dict[str, Path]
) -> list[tuple[FivetranTable, int]]:
    """Read the engagement table and the type tables present, with their priority."""
    tables: list[tuple[FivetranTable, int]] = []
    if "engagement" in files:
        table = read_table(store, files["engagement"], ENGAGEMENT_FIELDS, key="id")
        tables.append((table, 0))
    for name in TYPE_ALIASES:
        if name in files:
            table = read_table(store, files[name], type_fields(name), key="id")
            tables.append((table, 1))
    return tables


def _long_rows(table: FivetranTable, priority: int) -> ir.Table:
    """Return one table's engagements in the shared layout."""
    t = table.table
    file_type = table.name.lower().removesuffix("_data").removeprefix("engagement_")
    columns = set(t.columns)

    def get(name: str, kind: dt.DataType) -> ir.Value:
        return t[name] if name in columns else ibis.null(kind)

    start = get("start", dt.timestamp)
    end = get("end", dt.timestamp)
    minutes_between = (end.epoch_seconds() - start.epoch_seconds()) / 60
    duration = (get("duration_ms", dt.float64) / 60000).fill_null(minutes_between)
    kind = t.type.upper()
    if priority:
        kind = kind.fill_null(file_type.upper())
    values = {
        "id": t.id,
        "raw_type": kind,
        "occurred_at": t.occurred_at.fill_null(start),
        "seller_id": t.seller_id,
        "subject": get("subject", dt.string),
        "outcome": get("outcome", dt.string),
        "duration_minutes": duration,
        "deleted": t._deleted.fill_null(False),
        "priority": ibis.literal(priority),
        "file": ibis.literal(table.raw.path.name),
    }
    # Cast to one schema so that the tables union.
    return t.select(**{k: v.cast(LONG_SCHEMA[k]) for k, v in values.items()})


def _first(value: ir.Column, order: ir.Column) -> ir.Scalar:
    return value.first(order_by=order, include_null=False)


def activities_load(
    store: Store,
    engagements: list[tuple[FivetranTable, int]],
    links: FivetranTable | None,
    known_deals: ir.Table,
) -> tuple[ir.Table | None, list[Finding]]:
    """Build one activities row per engagement id, linked to a known deal."""
    if not engagements:
        return None, []

    # One row per engagement id: the engagement table's value first, then the
    # type table's.
    parts = [_long_rows(table, priority) for table, priority in engagements]
    rows = union_all(parts)
    order = rows.priority
    merged = rows.group_by(rows.id).aggregate(
        raw_type=_first(rows.raw_type, order),
        occurred_at=_first(rows.occurred_at, order),
        seller_id=_first(rows.seller_id, order),
        subject=_first(rows.subject, order),
        outcome=_first(rows.outcome, order),
        duration_minutes=_first(rows.duration_minutes, order),
        deleted=rows.deleted.any(),
        file=_first(rows.file, order),
    )
    merged = store.stage(merged)

    deals, findings = _deal_links(store, links, merged, known_deals)
    joined = merged.left_join(deals, merged.id == deals.engagement_key)
    kind = joined.raw_type.fill_null("")
    activities = joined.select(
        id=joined.id,
        seller_id=joined.seller_id,
        opportunity_id=joined.opportunity_id,
        type=kind.substitute(ACTIVITY_TYPES, else_="other"),
        subtype=joined.raw_type.lower(),
        subject=joined.subject,
        occurred_at=joined.occurred_at,
        outcome=joined.outcome,
        duration_minutes=joined.duration_minutes,
        is_deleted=joined.deleted,
        source_id=joined.id,
        import_file=joined.file,
    )
    activities = store.stage(activities)

    undated = Check(
        activities.occurred_at.isnull(),
        "activities_undated",
        "engagements without a timestamp, imported without a date",
    )
    return activities, findings + find(store, activities, [undated])


def _deal_links(
    store: Store,
    links: FivetranTable | None,
    engagements: ir.Table,
    known_deals: ir.Table,
) -> tuple[ir.Table, list[Finding]]:
    """Return engagement_key -> opportunity_id and the findings about the links."""
    if links is None:
        schema = {"engagement_key": "string", "opportunity_id": "string"}
        return ibis.memtable({"engagement_key": []}, schema=schema), []
    table = links.table.filter(
        links.table.deal_id.notnull() & links.table.engagement_id.notnull()
    )
    table = store.stage(
        table.mutate(
            _known_deal=table.deal_id.isin(known_deals.id),
            _known_engagement=table.engagement_id.isin(engagements.id),
        )
    )
    usable = table.filter(table._known_deal)
    per_engagement = usable.group_by(engagement_key=usable.engagement_id).aggregate(
        opportunity_id=usable.deal_id.min(), deals=usable.deal_id.nunique()
    )
    per_engagement = store.stage(per_engagement)
    checks = [
        Check(
            ~table._known_deal,
            "engagement_unknown_deal",
            "engagement_deal rows for deals not in the deal table, so those "
            "links are dropped",
            column="deal_id",
        ),
        Check(
            ~table._known_engagement,
            "engagement_deal_unknown_engagement",
            "engagement_deal rows for engagements in no engagement table",
            column="engagement_id",
        ),
    ]
    several = Check(
        per_engagement.deals > 1,
        "engagement_several_deals",
        "engagements linked to several deals, each attached to the lowest deal id",
        column="engagement_key",
    )
    findings = find(store, table, checks) + find(store, per_engagement, [several])
    return per_engagement.select("engagement_key", "opportunity_id"), findings


def sellers_load(
    store: Store,
    owners: FivetranTable | None,
    referenced: ir.Table,
) -> tuple[ir.Table, list[Finding]]:
    """Build sellers: the owners that own a deal or an engagement.

    ``referenced`` has one column ``id``. Owners missing from the owner table
    come in with their id alone. Queue owners are not sellers.
    """
    ids = referenced.filter(referenced.id.notnull()).distinct()
    if owners is None:
        file = "owner"
        table = ibis.memtable(
            {"owner_id": []},
            schema={
                "owner_id": "string",
                "first_name": "string",
                "last_name": "string",
                "email": "string",
                "type": "string",
                "active": "boolean",
                "_deleted": "boolean",
            },
        )
    else:
        file = owners.raw.path.name
        table = owners.table.rename(owner_id="id")
    joined = ids.left_join(table, ids.id == table.owner_id)
    full_name = joined.first_name.fill_null("").concat(
        " ", joined.last_name.fill_null("")
    )
    sellers = joined.select(
        id=joined.id,
        name=full_name.strip().nullif(""),
        email=joined.email,
        active=joined.active,
        is_seller=joined.type.upper().fill_null("PERSON") != "QUEUE",
        is_deleted=joined._deleted.fill_null(False),
        source_id=joined.id,
        import_file=ibis.literal(file),
        _known=joined.owner_id.notnull(),
    )
    sellers = store.stage(sellers)
    unknown = Check(
        ~sellers._known,
        "owners_unknown",
        "owner ids on deals or engagements that are not in the owner table, "
        "imported as sellers without a name",
    )
    return sellers.drop("_known"), find(store, sellers, [unknown])
