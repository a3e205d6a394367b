"""The groupings that ``--by`` accepts and the key columns each one adds."""

from __future__ import annotations

from dataclasses import dataclass

from revarch.errors import InputError
from revarch.timeframe import PeriodKind


@dataclass(frozen=True)
class Grouping:
    """One ``--by`` value: its output key columns and, for time, its period."""

    name: str
    keys: tuple[str, ...]
    period: PeriodKind | None = None
    # The opportunity column that must hold a value for the grouping to apply.
    needs: str | None = None

    @property
    def sort_keys(self) -> tuple[str, ...]:
        """Return the keys rows are sorted by: the name before the id."""
        return tuple(reversed(self.keys)) if len(self.keys) > 1 else self.keys


GROUPINGS: dict[str, Grouping] = {
    grouping.name: grouping
    for grouping in (
        Grouping("seller", ("seller", "seller_name")),
        Grouping("manager", ("manager", "manager_name"), needs="manager"),
        Grouping("team", ("team",), needs="team"),
        Grouping("region", ("region",), needs="region"),
        Grouping("pipeline", ("pipeline",), needs="pipeline"),
        Grouping("type", ("type",), needs="type"),
        Grouping("source", ("source",), needs="source"),
        Grouping("product", ("product",), needs="product"),
        Grouping("week", ("week",), period="week"),
        Grouping("month", ("month",), period="month"),
        Grouping("quarter", ("quarter",), period="quarter"),
        Grouping("year", ("year",), period="year"),
    )
}


def parse_by(text: str | None) -> list[Grouping]:
    """Parse a ``--by`` value such as ``seller,month``; raise ``InputError``."""
    if text is None or not text.strip():
        return []
    names = [part.strip().lower() for part in text.split(",")]
    unknown = [name for name in names if name not in GROUPINGS]
    if unknown or "" in names:
        bad = repr(unknown[0]) if unknown else "an empty name"
        allowed = ", ".join(GROUPINGS)
        raise InputError(
            f"invalid --by {text!r}: {bad} is not a grouping; use one or more "
            f"of {allowed}, joined with commas"
        )
    if len(set(names)) != len(names):
        raise InputError(f"invalid --by {text!r}: a grouping appears twice")
    periods = [name for name in names if GROUPINGS[name].period is not None]
    if len(periods) > 1:
        raise InputError(
            f"invalid --by {text!r}: {', '.join(periods)} are all time "
            "groupings; choose one"
        )
    return [GROUPINGS[name] for name in names]
