"""The people in the workspace: sellers, their managers and teams.

The sellers table is small (one row per person), so it is read once into
Python objects that the leadership analyses share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from revarch.errors import InputError

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class Person:
    """One row of the sellers table."""

    id: str
    name: str | None
    manager_id: str | None
    team: str | None
    role: str | None
    is_seller: bool
    active: bool | None
    hire_date: dt.date | None = None

    @property
    def label(self) -> str:
        """Return the name, else the id."""
        return self.name or self.id


class People:
    """Every live person of the sellers table, by id."""

    def __init__(self, people: dict[str, Person]) -> None:
        self.by_id = people

    @classmethod
    def read(cls, workspace: Workspace) -> People:
        """Read the live rows of the sellers table."""
        table = workspace.store.table("sellers")
        table = table.filter(~table.is_deleted)
        rows = workspace.store.rows(
            table.select(
                "id",
                "name",
                "manager_id",
                "team",
                "role",
                "is_seller",
                "active",
                "hire_date",
            ).order_by("id")
        )
        return cls(
            {
                row["id"]: Person(
                    id=row["id"],
                    name=row["name"] or None,
                    manager_id=row["manager_id"] or None,
                    team=row["team"] or None,
                    role=row["role"] or None,
                    is_seller=bool(row["is_seller"]),
                    active=row["active"],
                    hire_date=row["hire_date"],
                )
                for row in rows
            }
        )

    def name(self, person_id: str | None) -> str | None:
        """Return a person's name, else the id itself (None for None)."""
        if person_id is None:
            return None
        found = self.by_id.get(person_id)
        return found.label if found else person_id

    def sellers(self) -> list[Person]:
        """Return the active sellers (no ``active`` value counts as active)."""
        return [p for p in self.by_id.values() if p.is_seller and p.active is not False]

    def managers(self) -> list[str]:
        """Return the ids of everyone some seller reports to."""
        found = {p.manager_id for p in self.by_id.values() if p.is_seller}
        return sorted(m for m in found if m)

    def team_of(self, manager: str) -> set[str]:
        """Return every seller below ``manager`` in the reporting lines."""
        reports: dict[str, list[str]] = {}
        for person in self.by_id.values():
            if person.manager_id:
                reports.setdefault(person.manager_id, []).append(person.id)
        found: set[str] = set()
        stack = [manager]
        while stack:
            for report in reports.get(stack.pop(), []):
                if report not in found:
                    found.add(report)
                    stack.append(report)
        return {p for p in found if self.by_id[p].is_seller}

    def find(
        self, text: str, *, flag: str, choices: list[Person] | None = None
    ) -> Person:
        """Return the person with this id or name; raise ``InputError`` if none.

        ``choices`` are the people the error message lists (default: sellers).
        """
        wanted = text.strip()
        if wanted in self.by_id:
            return self.by_id[wanted]
        named = [
            p
            for p in self.by_id.values()
            if p.name and p.name.strip().lower() == wanted.lower()
        ]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            ids = ", ".join(p.id for p in named)
            raise InputError(
                f"{flag} {text!r} names several people ({ids}); give the id instead"
            )
        listed = self.sellers() if choices is None else choices
        known = ", ".join(f"{p.label} ({p.id})" for p in listed[:8])
        hint = f"for example {known}" if known else "import sellers first"
        raise InputError(
            f"unknown {flag} {text!r}: no row of the sellers table has that id "
            f"or name; {hint}"
        )
