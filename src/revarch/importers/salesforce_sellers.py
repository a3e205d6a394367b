"""Sellers: the people who own opportunities or activities, and their managers.

With a User file, owners are matched to users by Id, else by a unique full
name. Users who own nothing and manage no kept user (system and integration
accounts) are left out. Without a User file, every owner reference on the
records (an id, or a name where the export has no ids) is a seller.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from revarch.importers import parsing
from revarch.importers.salesforce_context import (
    FileParser,
    ImportContext,
    SourceFile,
)
from revarch.importers.salesforce_opportunities import Opportunities
from revarch.storage.store import ROW_COLUMN

HIRE_DATE = ("HireDate", "Hire Date", "Hire_Date__c", "DateOfHire", "Date Of Hire")
# Management chains deeper than this are cut, with a note in the result.
MAX_MANAGER_LEVELS = 25


@dataclass(frozen=True)
class People:
    """The people owner references resolve to: User rows or opportunity owners."""

    users: ir.Table | None
    owners: ir.Table
    lookup: ir.Table
    file_name: str
    owners_by_name: bool


def parse_users(
    ctx: ImportContext, users: SourceFile, roles: SourceFile | None
) -> ir.Table:
    """Parse User (and UserRole for role names) into a staged table."""
    columns = users.columns
    columns.require("the user id", "Id")
    full_name = parsing.text(
        users.text("FirstName")
        .fill_null("")
        .concat(" ", users.text("LastName").fill_null(""))
    )
    hire_header = columns.find(*HIRE_DATE)
    parser = FileParser(ctx, users, [hire_header])
    parsed = parser.stage(
        id=users.ref("Id"),
        name=users.text("Name", "Full Name").coalesce(full_name),
        email=users.text("Email"),
        manager_id=users.ref("ManagerId", "Manager ID"),
        role_id=users.ref("UserRoleId"),
        role_text=users.text("UserRole.Name", "Role", "Role Name"),
        team=users.text("Department").coalesce(users.text("Division")),
        active=parser.boolean(columns.find("IsActive", "Active")),
        hire_date=parser.date(hire_header),
    )
    parsed = parsed.filter(parsed.id.notnull())
    if roles is None:
        named = parsed.mutate(role=parsed.role_text)
    else:
        role_names = roles.table.select(
            rid=roles.ref("Id"), role_name=roles.text("Name", "RollupDescription")
        )
        named = parsed.left_join(role_names, parsed.role_id == role_names.rid)
        named = named.mutate(role=named.role_name.coalesce(named.role_text))
    return ctx.stage(
        named.select(
            "id",
            "name",
            "email",
            "manager_id",
            "role",
            "team",
            "active",
            "hire_date",
            "_row",
        )
    )


def _lookup(ctx: ImportContext, people: ir.Table) -> ir.Table:
    """Return (key, seller_id) for every id and every unique non-id name."""
    ids = people.select(key=people.id, seller_id=people.id).distinct()
    named = people.filter(people.name.notnull()).select("id", "name").distinct()
    unique = named.group_by("name").aggregate(
        seller_id=named.id.max(), copies=named.id.count()
    )
    names = unique.filter(unique.copies == 1).select(
        key=unique.name, seller_id=unique.seller_id
    )
    return ctx.stage(ids.union(names.anti_join(ids, "key"), distinct=False))


def build_people(
    ctx: ImportContext,
    opportunities: Opportunities,
    users: ir.Table | None,
    users_file: str | None,
) -> People:
    """Return what owner references resolve to for this export."""
    if users is not None and users_file is not None:
        owners = users.select("id", "name")
        return People(users, owners, _lookup(ctx, owners), users_file, False)
    opps = opportunities.table
    owners = opps.filter(opps.owner_key.notnull())
    owners = ctx.stage(
        owners.group_by(id=owners.owner_key).aggregate(name=owners.owner_name.max())
    )
    return People(
        None,
        owners,
        _lookup(ctx, owners),
        opportunities.file.name,
        opportunities.owners_by_name,
    )


def resolve_sellers(
    ctx: ImportContext,
    people: People,
    table: ir.Table,
    reference: str,
    *,
    record_kind: str,
) -> ir.Table:
    """Add seller_id to ``table`` by resolving its ``reference`` column.

    With a User file, unresolved references become NULL and are reported;
    without one, the reference itself is the seller id.
    """
    staged = ctx.stage(join_sellers(people, table, reference))
    report_unresolved_sellers(ctx, people, staged, reference, record_kind=record_kind)
    return staged


def join_sellers(people: People, table: ir.Table, reference: str) -> ir.Table:
    """Return ``table`` with the seller_id its ``reference`` column resolves to."""
    lookup = people.lookup
    joined = table.left_join(lookup, table[reference] == lookup.key).drop("key")
    if people.users is None:
        joined = joined.mutate(seller_id=joined.seller_id.coalesce(joined[reference]))
    return joined


def report_unresolved_sellers(
    ctx: ImportContext,
    people: People,
    resolved: ir.Table,
    reference: str,
    *,
    record_kind: str,
) -> None:
    """Record a finding for the references a User file does not resolve."""
    if people.users is None:
        return
    unresolved = resolved.filter(
        resolved[reference].notnull() & resolved.seller_id.isnull()
    )
    total, rows = ctx.sample(unresolved)
    ctx.add_finding(
        f"{record_kind}_owner_unresolved",
        total,
        f"{record_kind} rows whose owner is neither an Id nor a unique name in "
        f"{people.file_name}: seller left empty",
        [f"{r['import_file']} row {r['_row']}: {r[reference]!r}" for r in rows],
    )


def build_sellers(
    ctx: ImportContext, people: People, owner_ids: ir.Table, file_name: str
) -> ir.Table:
    """Return the sellers rows for the seller ids in ``owner_ids`` (column id)."""
    used = ctx.stage(owner_ids.filter(owner_ids.id.notnull()).select("id").distinct())
    if people.users is None:
        return _sellers_from_owners(people, used, file_name)
    users = people.users
    people_ids = _with_managers(ctx, users, used)
    chosen = users.semi_join(people_ids, "id")
    total = ctx.count(users)
    left_out = total - ctx.count(chosen)
    if left_out:
        ctx.notes.append(
            f"{left_out} of {total} users in {people.file_name} own no "
            "opportunities or activities and manage no seller (system and "
            "integration users, for example): not imported as sellers"
        )
    return chosen.select(
        "id",
        "name",
        "email",
        "manager_id",
        "team",
        "role",
        region=ibis.null(dt.string),
        hire_date=chosen.hire_date,
        active=chosen.active,
        is_seller=chosen.id.isin(used.id),
        import_file=ibis.literal(people.file_name),
        source_id=chosen.id,
        _row=chosen[ROW_COLUMN],
    )


def _with_managers(ctx: ImportContext, users: ir.Table, used: ir.Table) -> ir.Table:
    """Return the ids in ``used`` plus every manager above them."""
    ids = used
    size = ctx.count(ids)
    for _level in range(MAX_MANAGER_LEVELS):
        managers = users.semi_join(ids, "id").select(id=users.manager_id)
        managers = managers.filter(managers.id.notnull())
        grown = ctx.stage(ids.union(managers, distinct=True))
        grown_size = ctx.count(grown)
        if grown_size == size:
            return grown
        ids, size = grown, grown_size
    ctx.notes.append(
        f"management chains deeper than {MAX_MANAGER_LEVELS} levels were cut"
    )
    return ids


def _sellers_from_owners(people: People, used: ir.Table, file_name: str) -> ir.Table:
    owners = people.owners
    joined = used.left_join(owners, used.id == owners.id)
    fallback = joined.id if people.owners_by_name else ibis.null(dt.string)
    return joined.select(
        "id",
        name=joined.name.coalesce(fallback),
        email=ibis.null(dt.string),
        manager_id=ibis.null(dt.string),
        team=ibis.null(dt.string),
        role=ibis.null(dt.string),
        region=ibis.null(dt.string),
        hire_date=ibis.null(dt.date),
        active=ibis.null(dt.boolean),
        is_seller=ibis.literal(True),
        import_file=ibis.literal(file_name),
        source_id=ibis.null(dt.string) if people.owners_by_name else joined.id,
    )
