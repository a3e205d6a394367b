"""The workspace tables, their columns and keys.

``docs/data-model.md`` documents every column with its meaning and unit; a
test fails when a column here is missing there.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1

# Provenance and lifecycle columns carried by every imported table.
PROVENANCE = (
    ("import_source", "VARCHAR NOT NULL"),
    ("import_file", "VARCHAR"),
    ("source_id", "VARCHAR"),
    ("is_deleted", "BOOLEAN NOT NULL DEFAULT false"),
)


@dataclass(frozen=True)
class TableSpec:
    """An imported table: its columns (name, DuckDB type) and its key."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    # Columns that record where a row sat in its file, not what it contains.
    # A row that differs only there is unchanged and keeps its stored values.
    positional: tuple[str, ...] = ()

    @property
    def all_columns(self) -> tuple[tuple[str, str], ...]:
        return self.columns + PROVENANCE

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.all_columns]

    def ddl(self) -> str:
        """Return the CREATE TABLE statement.

        The key is not declared as a primary key: the store rejects duplicate
        keys before it writes, and at millions of rows the index costs more
        time and memory than writing the rows.
        """
        cols = ",\n  ".join(f"{name} {kind}" for name, kind in self.all_columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


SELLERS = TableSpec(
    "sellers",
    (
        ("id", "VARCHAR NOT NULL"),
        ("name", "VARCHAR"),
        ("email", "VARCHAR"),
        ("manager_id", "VARCHAR"),
        ("team", "VARCHAR"),
        ("role", "VARCHAR"),
        ("region", "VARCHAR"),
        ("hire_date", "DATE"),
        ("active", "BOOLEAN"),
        ("is_seller", "BOOLEAN NOT NULL DEFAULT true"),
    ),
    ("id",),
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    (
        ("id", "VARCHAR NOT NULL"),
        ("name", "VARCHAR"),
        ("account", "VARCHAR"),
        ("seller_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("close_date", "DATE"),
        ("amount", "DOUBLE"),
        ("currency", "VARCHAR"),
        ("margin", "DOUBLE"),
        ("type", "VARCHAR"),
        ("lead_source", "VARCHAR"),
        ("product", "VARCHAR"),
        ("region", "VARCHAR"),
        ("pipeline", "VARCHAR"),
        ("stage_label", "VARCHAR"),
        ("probability", "DOUBLE"),
        ("status", "VARCHAR NOT NULL"),
        ("status_corrected", "BOOLEAN NOT NULL DEFAULT false"),
        ("is_merged", "BOOLEAN NOT NULL DEFAULT false"),
        ("merged_into", "VARCHAR"),
    ),
    ("id",),
)

STAGE_EVENTS = TableSpec(
    "stage_events",
    (
        ("opportunity_id", "VARCHAR NOT NULL"),
        ("stage_label", "VARCHAR NOT NULL"),
        ("entered_at", "TIMESTAMP NOT NULL"),
        ("amount", "DOUBLE"),
        ("close_date", "DATE"),
        ("sort_order", "INTEGER"),
        ("seq", "INTEGER NOT NULL"),
    ),
    ("import_source", "source_id"),
    positional=("seq",),
)

ACTIVITIES = TableSpec(
    "activities",
    (
        ("id", "VARCHAR NOT NULL"),
        ("seller_id", "VARCHAR"),
        ("opportunity_id", "VARCHAR"),
        ("type", "VARCHAR NOT NULL"),
        ("subtype", "VARCHAR"),
        ("subject", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"),
        ("outcome", "VARCHAR"),
        ("duration_minutes", "DOUBLE"),
    ),
    ("id",),
)

STAGE_LABELS = TableSpec(
    "stage_labels",
    (
        ("label", "VARCHAR NOT NULL"),
        ("pipeline", "VARCHAR NOT NULL DEFAULT ''"),
        ("sort_order", "INTEGER"),
        ("is_closed", "BOOLEAN"),
        ("is_won", "BOOLEAN"),
    ),
    ("import_source", "pipeline", "label"),
)

FX_RATES = TableSpec(
    "fx_rates",
    (
        ("currency", "VARCHAR NOT NULL"),
        ("date", "DATE NOT NULL"),
        ("rate", "DOUBLE NOT NULL"),
    ),
    ("currency", "date"),
)

QUOTAS = TableSpec(
    "quotas",
    (
        ("seller_id", "VARCHAR NOT NULL"),
        ("period", "VARCHAR NOT NULL"),
        ("amount", "DOUBLE NOT NULL"),
        ("currency", "VARCHAR"),
    ),
    ("seller_id", "period"),
)

# Skill assessments: sellers' and candidates' scores (0-100) and leaders'
# ratings of their sellers. ``rater`` is '' when the file names none.
ASSESSMENTS = TableSpec(
    "assessments",
    (
        ("person_id", "VARCHAR NOT NULL"),
        ("person_name", "VARCHAR"),
        ("kind", "VARCHAR NOT NULL"),
        ("skill", "VARCHAR NOT NULL"),
        ("assessed_on", "DATE NOT NULL"),
        ("score", "DOUBLE NOT NULL"),
        ("rater", "VARCHAR NOT NULL DEFAULT ''"),
    ),
    ("person_id", "kind", "skill", "assessed_on", "rater"),
)

IMPORTED_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        SELLERS,
        OPPORTUNITIES,
        STAGE_EVENTS,
        ACTIVITIES,
        STAGE_LABELS,
        FX_RATES,
        QUOTAS,
        ASSESSMENTS,
    )
}

SYSTEM_DDL = (
    """CREATE TABLE IF NOT EXISTS meta (
  key VARCHAR PRIMARY KEY,
  value VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY,
  importer VARCHAR NOT NULL,
  import_source VARCHAR NOT NULL,
  files VARCHAR NOT NULL,
  full_export BOOLEAN NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  rows_read BIGINT NOT NULL,
  inserted BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  unchanged BIGINT NOT NULL,
  deleted BIGINT NOT NULL,
  rejected BIGINT NOT NULL,
  summary VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS import_findings (
  import_source VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  message VARCHAR NOT NULL,
  examples VARCHAR NOT NULL,
  PRIMARY KEY (import_source, kind)
)""",
    # Diagnosis answers, one row per question answered; entered_at is the
    # wall-clock time and never moves the as-of date.
    """CREATE TABLE IF NOT EXISTS diagnosis_answers (
  respondent VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  round INTEGER NOT NULL,
  function INTEGER NOT NULL,
  question VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  entered_at TIMESTAMP NOT NULL
)""",
    # Saved roadmaps: one row per line (sprint, later or maintain); detail
    # contains the line as JSON.
    """CREATE TABLE IF NOT EXISTS roadmap_lines (
  roadmap_id INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL,
  as_of DATE NOT NULL,
  line INTEGER NOT NULL,
  kind VARCHAR NOT NULL,
  sprint INTEGER,
  function INTEGER NOT NULL,
  starts_on DATE,
  ends_on DATE,
  detail VARCHAR NOT NULL,
  PRIMARY KEY (roadmap_id, line)
)""",
    # Quarterly alignment audits; detail contains the whole audit as JSON.
    """CREATE TABLE IF NOT EXISTS audits (
  id INTEGER PRIMARY KEY,
  period VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  as_of DATE NOT NULL,
  passed INTEGER NOT NULL,
  recommended_function INTEGER,
  detail VARCHAR NOT NULL
)""",
    # Managers' forecast submissions, never overwritten: each row is one
    # snapshot. submitted_at is the wall-clock time (UTC) and never moves the
    # as-of date.
    """CREATE TABLE IF NOT EXISTS forecasts (
  manager_id VARCHAR NOT NULL,
  period VARCHAR NOT NULL,
  category VARCHAR NOT NULL,
  amount DOUBLE NOT NULL,
  currency VARCHAR NOT NULL,
  submitted_at TIMESTAMP NOT NULL,
  source VARCHAR NOT NULL
)""",
    # Answers to the pipeline inspection's questions; the latest answer per
    # opportunity and question counts. answered_at is wall-clock time (UTC).
    """CREATE TABLE IF NOT EXISTS inspection_answers (
  opportunity_id VARCHAR NOT NULL,
  question VARCHAR NOT NULL,
  answer VARCHAR NOT NULL CHECK (answer IN ('yes', 'no', 'unknown')),
  answered_at TIMESTAMP NOT NULL,
  answered_by VARCHAR
)""",
)
