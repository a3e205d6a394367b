"""Skill assessments: importing score files and reading the latest scores.

An assessment file has one row per person, skill and date (long layout: a
skill and a score column) or one row per person and date with one column per
skill (wide layout). Each row carries a ``kind``: ``seller``, ``candidate`` or
``leader_rating`` (a leader's rating of a seller), and optionally a rater.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.importers import parsing
from revarch.importers.base import Columns, ImportOptions, apply, default_source
from revarch.storage import Finding, ImportResult, RawFile, Store, TableLoad
from revarch.storage.store import ROW_COLUMN
from revarch.talent.catalog import Catalog
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

IMPORTER = "assessments"
KINDS = ("seller", "candidate", "leader_rating")

PERSON_ALIASES = (
    "person_id",
    "person",
    "seller_id",
    "seller",
    "candidate_id",
    "candidate",
    "owner_id",
    "user_id",
    "id",
)
NAME_ALIASES = ("person_name", "name", "seller_name", "candidate_name", "full_name")
KIND_ALIASES = ("kind", "assessment_kind", "type")
DATE_ALIASES = ("assessed_on", "assessment_date", "assessed", "date")
RATER_ALIASES = ("rater", "rated_by", "assessor", "leader")
SKILL_ALIASES = ("skill", "competency")
SCORE_ALIASES = ("score", "rating")

# Staged columns: the skill and score text, and the file headers they came from.
_SKILL = "_skill"
_SCORE = "_score"
_SKILL_COLUMN = "_skill_column"
_SCORE_COLUMN = "_score_column"


@dataclass(frozen=True)
class Layout:
    """The headers of an assessment file for each field, and its layout."""

    person: str
    kind: str
    date: str
    name: str | None
    rater: str | None
    skill: str | None = None
    score: str | None = None
    skill_columns: tuple[str, ...] = ()

    @property
    def is_long(self) -> bool:
        return self.skill is not None


def _layout(raw: RawFile, file: str, catalog: Catalog) -> Layout:
    columns = Columns(raw, file)
    person = columns.require("the person id", *PERSON_ALIASES)
    kind = columns.require("the kind (seller, candidate, leader_rating)", *KIND_ALIASES)
    date = columns.require("the assessment date", *DATE_ALIASES)
    name = columns.find(*NAME_ALIASES)
    rater = columns.find(*RATER_ALIASES)
    skill = columns.find(*SKILL_ALIASES)
    score = columns.find(*SCORE_ALIASES)

    if (skill is None) != (score is None):
        missing = "score" if score is None else "skill"
        raise InputError(
            f"{file}: a long-layout file needs both a skill and a score column, "
            f"and the {missing} column is missing; add it, or use one column per "
            "skill (wide layout)"
        )
    if skill is not None:
        return Layout(person, kind, date, name, rater, skill, score)

    used = {person, kind, date, name, rater}
    skill_columns = tuple(h for h in raw.headers if h not in used)
    _check_skill_columns(skill_columns, file, catalog)
    return Layout(person, kind, date, name, rater, skill_columns=skill_columns)


def _check_skill_columns(
    skill_columns: tuple[str, ...], file: str, catalog: Catalog
) -> None:
    """Raise unless every remaining column of a wide-layout file is a skill."""
    for header in skill_columns:
        if catalog.find(header) is None:
            raise InputError(
                f"{file}, column {header!r}: unknown skill; a wide-layout file "
                f"has one column per skill of the catalog ({', '.join(catalog.names)})"
                f" besides person id, name, kind, date and rater; rename the "
                "column to a skill name or alias, or add the skill to skills.catalog "
                "in revarch.yaml"
            )
    if not skill_columns:
        raise InputError(
            f"{file}: no skill columns found; add a skill and a score column "
            "(long layout) or one column per skill (wide layout)"
        )


def _long_rows(raw: RawFile, layout: Layout) -> ir.Table:
    table = raw.table
    assert layout.skill is not None and layout.score is not None
    return table.mutate(
        **{
            _SKILL: table[layout.skill],
            _SCORE: table[layout.score],
            _SKILL_COLUMN: ibis.literal(layout.skill),
            _SCORE_COLUMN: ibis.literal(layout.score),
        }
    )


def _wide_rows(raw: RawFile, layout: Layout) -> ir.Table:
    table = raw.table
    longer = table.pivot_longer(
        ibis.selectors.cols(*layout.skill_columns),
        names_to=_SKILL_COLUMN,
        values_to=_SCORE,
    )
    # An empty cell in the wide layout means the skill was not assessed.
    longer = longer.filter(parsing.text(longer[_SCORE]).notnull())
    return longer.mutate(
        **{_SKILL: longer[_SKILL_COLUMN], _SCORE_COLUMN: longer[_SKILL_COLUMN]}
    )


def _kind(value: ir.StringValue) -> ir.StringValue:
    """Normalize 'Leader Rating', 'leader-rating' and the like to leader_rating."""
    return parsing.text(value).lower().re_replace(r"[\s-]+", "_")


def _raise_first(
    store: Store,
    table: ir.Table,
    invalid: ir.BooleanValue,
    value: str,
    column: str,
    *,
    file: str,
    problem: str,
) -> None:
    """Raise ``InputError`` naming the first row where ``invalid`` holds.

    ``column`` is a staged column holding the file's header for each row, and
    ``problem`` a message in which ``{value}`` stands for the bad value.
    """
    bad = table.filter(invalid)
    found = store.rows(
        bad.select(ROW_COLUMN, header=bad[column], value=bad[value]).order_by(
            ROW_COLUMN
        ),
        limit=3,
    )
    if not found:
        return
    total = store.fetch(bad.count())
    first = found[0]
    examples = ", ".join(f"row {r[ROW_COLUMN]}: {r['value']!r}" for r in found)
    message = problem.format(value=repr(first["value"]))
    raise InputError(
        f"{file}, row {first[ROW_COLUMN]}, column {first['header']!r}: {message} "
        f"({total} such rows; {examples}); fix the values and import again"
    )


def _skill_map(store: Store, staged: ir.Table, catalog: Catalog, file: str) -> ir.Table:
    """Map each skill text to its catalog name; raise naming the first unknown."""
    texts = store.rows(staged.select(text=parsing.text(staged[_SKILL])).distinct())
    mapping = []
    for row in texts:
        skill = catalog.find(row["text"]) if row["text"] is not None else None
        if skill is None:
            invalid = (
                parsing.text(staged[_SKILL]).isnull()
                if row["text"] is None
                else parsing.text(staged[_SKILL]) == row["text"]
            )
            problem = (
                f"unknown skill {{value}}; the catalog has: {', '.join(catalog.names)}"
                if row["text"] is not None
                else "missing skill"
            )
            _raise_first(
                store,
                staged,
                invalid,
                _SKILL,
                _SKILL_COLUMN,
                file=file,
                problem=problem,
            )
        else:
            mapping.append({"_skill_text": row["text"], "skill": skill.name})
    schema = {"_skill_text": "string", "skill": "string"}
    return ibis.memtable(mapping, schema=schema)


def _check_scores(store: Store, staged: ir.Table, file: str) -> ir.FloatingValue:
    score = parsing.number(staged[_SCORE])
    checks = (
        (parsing.text(staged[_SCORE]).isnull(), "missing score"),
        (
            parsing.is_invalid_number(staged[_SCORE]),
            "invalid score {value}, expected a number from 0 to 100",
        ),
        ((score < 0) | (score > 100), "score {value} is outside 0-100"),
    )
    for invalid, problem in checks:
        _raise_first(
            store, staged, invalid, _SCORE, _SCORE_COLUMN, file=file, problem=problem
        )
    return score


def _check_fields(store: Store, staged: ir.Table, layout: Layout, file: str) -> None:
    person = layout.person
    parsing.first_invalid(
        store,
        staged,
        parsing.ref(staged[person]).isnull(),
        person,
        file=file,
        expected="a person id on every row",
    )
    parsing.first_invalid(
        store,
        staged,
        ~_kind(staged[layout.kind]).isin(KINDS).fill_null(False),
        layout.kind,
        file=file,
        expected="seller, candidate or leader_rating",
    )
    parsing.first_invalid(
        store,
        staged,
        parsing.text(staged[layout.date]).isnull(),
        layout.date,
        file=file,
        expected="an assessment date on every row",
    )


def _rows(
    store: Store,
    staged: ir.Table,
    layout: Layout,
    catalog: Catalog,
    *,
    file: str,
    options: ImportOptions,
) -> ir.Table:
    """Validate the staged rows and return them in the assessments layout."""
    _check_fields(store, staged, layout, file)
    skills = _skill_map(store, staged, catalog, file)
    score = _check_scores(store, staged, file)

    formats = parsing.detect_date_formats(
        store, staged, [layout.date], file=file, order=options.order
    )
    assessed_on = parsing.date(staged[layout.date], formats[layout.date])
    parsing.check_parsed(store, staged, layout.date, assessed_on, file=file)

    no_text = ibis.null(dtypes.string)
    name = parsing.text(staged[layout.name]) if layout.name else no_text
    rater = parsing.text(staged[layout.rater]) if layout.rater else no_text
    rows = staged.select(
        ROW_COLUMN,
        person_id=parsing.ref(staged[layout.person]),
        person_name=name,
        kind=_kind(staged[layout.kind]),
        _skill_text=parsing.text(staged[_SKILL]),
        assessed_on=assessed_on,
        score=score,
        rater=rater.fill_null(""),
        import_file=ibis.literal(file),
    )
    joined = rows.join(skills, "_skill_text")
    return joined.select(
        ROW_COLUMN,
        "person_id",
        "person_name",
        "kind",
        "skill",
        "assessed_on",
        "score",
        "rater",
        "import_file",
    )


def _check_duplicates(store: Store, rows: ir.Table, file: str) -> None:
    key = ["person_id", "kind", "skill", "assessed_on", "rater"]
    groups = rows.group_by(key).aggregate(
        count=rows.count(), first=rows[ROW_COLUMN].min()
    )
    found = store.rows(groups.filter(groups["count"] > 1).order_by("first"), limit=1)
    if not found:
        return
    dup = found[0]
    match = ibis.and_(*(rows[c] == dup[c] for c in key))
    numbers = [
        r[ROW_COLUMN] for r in store.rows(rows.filter(match).order_by(ROW_COLUMN))
    ]
    rater = f", rater {dup['rater']!r}" if dup["rater"] else ""
    raise InputError(
        f"{file}, rows {', '.join(str(n) for n in numbers)}: duplicate assessment of "
        f"{dup['person_id']!r} ({dup['kind']}) on skill {dup['skill']!r} dated "
        f"{dup['assessed_on'].isoformat()}{rater}; keep one row per person, kind, "
        "skill, date and rater"
    )


def _check_candidates(store: Store, rows: ir.Table, file: str) -> None:
    """Reject candidate ids that are also seller ids (sellers table or this file)."""
    sellers = store.table("sellers")
    seller_ids = sellers.filter(~sellers.is_deleted).select(
        seller=sellers.id.cast("string")
    )
    in_file = rows.filter(rows.kind != "candidate").select(
        seller=rows.person_id.cast("string")
    )
    known = ibis.union(seller_ids, in_file, distinct=True)
    clash = rows.filter(rows.kind == "candidate", rows.person_id.isin(known.seller))
    found = store.rows(
        clash.select(ROW_COLUMN, "person_id").order_by(ROW_COLUMN), limit=1
    )
    if found:
        row = found[0]
        raise InputError(
            f"{file}, row {row[ROW_COLUMN]}: candidate id {row['person_id']!r} is "
            "also a seller id (in the sellers table or as a seller in this file); "
            "give candidates ids of their own, for example 'cand-' plus the id"
        )


def _unknown_seller_finding(store: Store, rows: ir.Table) -> Finding:
    sellers = store.table("sellers")
    live = sellers.filter(~sellers.is_deleted)
    unknown = (
        rows.filter(rows.kind != "candidate", ~rows.person_id.isin(live.id))
        .select("person_id")
        .distinct()
    )
    ids = [r["person_id"] for r in store.rows(unknown.order_by("person_id"))]
    return Finding(
        kind="assessment_unknown_seller",
        count=len(ids),
        message="assessed sellers not in the sellers table (no hire date, team "
        "or manager known for them)",
        examples=ids[:10],
    )


def import_assessments(
    workspace: Workspace, path: Path, options: ImportOptions
) -> ImportResult:
    """Import an assessment CSV in long or wide layout; all rows or none."""
    store = workspace.database
    catalog = Catalog.from_settings(workspace.settings)
    file = path.name
    options.progress("reading the file", 0, 3)
    raw = store.read_csv(path)
    layout = _layout(raw, file, catalog)
    expanded = _long_rows(raw, layout) if layout.is_long else _wide_rows(raw, layout)
    staged = store.stage(expanded)

    options.progress("checking rows", 1, 3)
    rows = store.stage(
        _rows(store, staged, layout, catalog, file=file, options=options)
    )
    _check_duplicates(store, rows, file)
    _check_candidates(store, rows, file)

    options.progress("writing", 2, 3)
    result = apply(
        store,
        importer=IMPORTER,
        source=default_source(IMPORTER, path, options.source),
        files=[raw],
        loads=[TableLoad("assessments", rows, file)],
        options=options,
        findings=[_unknown_seller_finding(store, rows)],
        notes=[f"{'long' if layout.is_long else 'wide'} layout"],
    )
    options.progress("done", 3, 3)
    return result


# -- reading scores ------------------------------------------------------------


@dataclass
class Scores:
    """Assessment rows read back for an analysis, with what was left out."""

    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def assessment_rows(
    workspace: Workspace, catalog: Catalog, *, kind: str, as_of: dt.date
) -> tuple[ir.Table, list[str]]:
    """Return live assessment rows of ``kind`` up to ``as_of``, skills in catalog names.

    Stored skill names are matched to the current catalog through names and
    aliases, so a renamed skill keeps its history when the old name stays an
    alias. Rows whose skill left the catalog are dropped with a note.
    """
    store = workspace.store
    table = store.table("assessments")
    table = table.filter(
        ~table.is_deleted, table.kind == kind, table.assessed_on <= as_of
    )
    stored = [r["skill"] for r in store.rows(table.select("skill").distinct())]
    mapping = []
    dropped = []
    for name in sorted(stored):
        skill = catalog.find(name)
        if skill is None:
            dropped.append(name)
        else:
            mapping.append({"_stored": name, "_canonical": skill.name})
    notes = []
    if dropped:
        notes.append(
            f"{kind} assessments of skills no longer in the catalog were left out: "
            f"{', '.join(dropped)}"
        )
    names = ibis.memtable(mapping, schema={"_stored": "string", "_canonical": "string"})
    joined = table.join(names, table.skill == names._stored)
    rows = joined.select(
        "person_id",
        "person_name",
        "assessed_on",
        "score",
        "rater",
        skill=joined._canonical,
    )
    return rows, notes


def latest_scores(
    workspace: Workspace, catalog: Catalog, *, kind: str, as_of: dt.date
) -> Scores:
    """Return each person's latest score per skill on or before ``as_of``.

    Several raters on that latest date are averaged.
    """
    rows, notes = assessment_rows(workspace, catalog, kind=kind, as_of=as_of)
    latest = rows.assessed_on.max().over(group_by=["person_id", "skill"])
    rows = rows.mutate(_latest=latest)
    rows = rows.filter(rows.assessed_on == rows._latest)
    per_skill = rows.group_by(["person_id", "skill", "assessed_on"]).aggregate(
        score=rows.score.mean(),
        raters=rows.count(),
        person_name=rows.person_name.max(),
    )
    ordered = per_skill.order_by(["person_id", "skill"])
    return Scores(workspace.store.rows(ordered), notes)
