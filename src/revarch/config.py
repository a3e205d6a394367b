"""Pydantic models of ``revarch.yaml``: settings, thresholds and the sales process.

Every number here is a framework default that a workspace may override; the
commands show which value they used.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)

from revarch.errors import ConfigError
from revarch.framework import DEFAULT_SKILLS, GROUP_PRIOR_TIERS

CONFIG_FILE = "revarch.yaml"


class StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Company(StrictModel):
    """The company a workspace describes: currency, timezone and fiscal year."""

    name: str = "My company"
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    timezone: str = "UTC"
    fiscal_year_start_month: int = Field(1, ge=1, le=12)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as "
                "'UTC', 'Europe/Berlin' or 'America/New_York'"
            )
        return value


class Performance(StrictModel):
    """The measure that ranks sellers and the trailing window of the analyses."""

    measure: Literal["bookings", "attainment"] = "bookings"
    trailing_months: int = Field(12, ge=1, le=60)
    ramp_months: int = Field(6, ge=0, le=36)


class Thresholds(StrictModel):
    """The framework's numbers. Money is in the base currency."""

    min_stages: int = 5
    max_stages: int = 7
    min_required_activities: int = 3
    max_required_activities: int = 5
    group_share: float = Field(0.10, gt=0, le=0.5)
    tier1_gap_percent: float = 200.0
    tier2_gap_percent: float = 100.0
    min_sellers_for_confidence: int = 10
    weak_percentile: float = Field(25.0, ge=0, le=100)
    screen_percentile: float = Field(75.0, ge=0, le=100)
    screen_min_tier1: int = 3
    bootstrap_resamples: int = Field(2000, ge=100)
    bootstrap_seed: int = 7
    maturity_threshold: float = 60.0
    forecast_tolerance: float = Field(0.10, ge=0, le=1)
    inspection_min_amount: float = 50_000.0
    no_activity_days: int = 14
    prerequisite_min_bookings: float = 1_000_000.0
    prerequisite_min_sellers: int = 2
    prerequisite_min_history_months: int = 12


class Fields(StrictModel):
    """CRM fields that differ from company to company."""

    margin: str | None = None


class RequiredActivity(StrictModel):
    """An activity a stage requires, matched by activity type and subject."""

    name: str
    type: Literal["call", "email", "social", "meeting", "other"] | None = None
    subject_contains: list[str] = []


class Stage(StrictModel):
    """One stage of the sales process and the raw CRM labels that mean it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    label: str
    aliases: list[str] = []
    entry_criteria: list[str] = []
    exit_criteria: list[str] = []
    required_activities: list[RequiredActivity] = []
    expected_conversion: float | None = Field(None, ge=0, le=1)
    expected_days: float | None = Field(None, ge=0)

    @field_validator("required_activities", mode="before")
    @classmethod
    def _activity_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


class Process(StrictModel):
    """The sales process: ordered stages plus the labels meaning won and lost."""

    stages: list[Stage] = []
    won_labels: list[str] = []
    lost_labels: list[str] = []
    pipelines: list[str] = []

    @field_validator("stages")
    @classmethod
    def _unique_ids(cls, stages: list[Stage]) -> list[Stage]:
        seen: set[str] = set()
        for stage in stages:
            if stage.id in seen:
                raise ValueError(f"stage id {stage.id!r} appears twice")
            seen.add(stage.id)
        return stages

    @property
    def is_defined(self) -> bool:
        return bool(self.stages)


def skill_key(name: str) -> str:
    """Reduce a skill name or alias to lowercase letters and digits for matching."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Skill(StrictModel):
    """One skill of the catalog: its group, function, prior tier and activities."""

    name: str = Field(min_length=1)
    group: Literal["system", "relationship", "other"] = "other"
    function: int = Field(ge=1, le=11)
    # Defaults to the group's prior tier: system 1, relationship 3, other 2.
    prior_tier: int | None = Field(None, ge=1, le=3)
    # Published gap in percent, used until the workspace measures one.
    prior_gap: float | None = None
    aliases: list[str] = []
    activities: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _group_tier(self) -> Skill:
        if self.prior_tier is None:
            self.prior_tier = GROUP_PRIOR_TIERS[self.group]
        return self


def _default_catalog() -> list[Skill]:
    return [
        Skill(
            name=spec.name,
            group=spec.group,  # type: ignore[arg-type]
            function=spec.function,
            prior_tier=spec.prior_tier,
            prior_gap=spec.prior_gap,
            aliases=list(spec.aliases),
            activities=list(spec.activities),
        )
        for spec in DEFAULT_SKILLS
    ]


class Skills(StrictModel):
    """The skill catalog that assessments score, and the pre-hire screening set."""

    catalog: list[Skill] = Field(default_factory=_default_catalog, min_length=1)
    # Skill names (or aliases) the pre-hire screen uses; empty means the
    # catalog's system skills.
    screening_skills: list[str] = []

    @field_validator("catalog")
    @classmethod
    def _unique_names(cls, catalog: list[Skill]) -> list[Skill]:
        seen: dict[str, str] = {}
        for skill in catalog:
            for name in (skill.name, *skill.aliases):
                key = skill_key(name)
                if not key:
                    raise ValueError(f"skill name or alias {name!r} has no letters")
                owner = seen.setdefault(key, skill.name)
                if owner != skill.name:
                    raise ValueError(
                        f"{name!r} of skill {skill.name!r} also names skill "
                        f"{owner!r}; every name and alias must be unique"
                    )
        return catalog

    @model_validator(mode="after")
    def _known_screening_skills(self) -> Skills:
        known = {
            skill_key(name)
            for skill in self.catalog
            for name in (skill.name, *skill.aliases)
        }
        for name in self.screening_skills:
            if skill_key(name) not in known:
                names = ", ".join(skill.name for skill in self.catalog)
                raise ValueError(
                    f"screening skill {name!r} is not in the catalog; use one "
                    f"of: {names}"
                )
        return self


class HiringProfile(StrictModel):
    """The hiring profile: competencies with minimum scores, and experience."""

    # Skills (names or aliases) the go-to-market strategy requires.
    required_competencies: list[str] = []
    # Minimum assessment score (0-100) per skill that a candidate must reach.
    competency_thresholds: dict[str, Annotated[float, Field(ge=0, le=100)]] = {}
    # Years of experience asked for; experience alone screens no competency.
    min_experience_years: float | None = Field(None, ge=0)


# -- sales leadership and compensation ----------------------------------------


class InspectionQuestion(StrictModel):
    """One qualification question asked of every inspected opportunity."""

    # Stable key that answers are stored under; keep it when rewording the text.
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    text: str = Field(min_length=1)


def _default_questions() -> list[InspectionQuestion]:
    return [
        InspectionQuestion(
            id="reason", text="Is there a compelling reason to buy now?"
        ),
        InspectionQuestion(id="budget", text="Is the budget known?"),
        InspectionQuestion(
            id="decision",
            text="Are the decision makers and the decision process known?",
        ),
        InspectionQuestion(id="timeline", text="Is the timeline known?"),
        InspectionQuestion(
            id="value", text="Is the value quantified in the buyer's terms?"
        ),
    ]


class Inspection(StrictModel):
    """The weekly pipeline inspection: the same questions for every opportunity."""

    questions: list[InspectionQuestion] = Field(
        default_factory=_default_questions, min_length=1
    )

    @field_validator("questions")
    @classmethod
    def _unique_ids(
        cls, questions: list[InspectionQuestion]
    ) -> list[InspectionQuestion]:
        seen: set[str] = set()
        for question in questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} appears twice")
            seen.add(question.id)
        return questions


class Forecasting(StrictModel):
    """The forecast category that forecast accuracy measures."""

    category: str = Field("commit", min_length=1)


CompMeasure = Literal[
    "margin", "process_adherence", "competency_development", "revenue"
]
# Default component weights in percent: high-margin opportunities 30, process
# adherence 20, competency development 10, revenue 40.
DEFAULT_COMP_WEIGHTS: dict[str, float] = {
    "margin": 30.0,
    "process_adherence": 20.0,
    "competency_development": 10.0,
    "revenue": 40.0,
}
PositiveAmount = Annotated[float, Field(gt=0)]


class CompTier(StrictModel):
    """An accelerator: above this attainment each unit of attainment pays ``rate``."""

    above: float = Field(ge=0)
    rate: float = Field(ge=0)


class CompComponent(StrictModel):
    """One component of the comp plan: what it measures and how it pays.

    ``target`` is required: money for margin and revenue (``quota`` takes the
    seller's quota for the period), a share (0-1] for process adherence and
    points of mean Tier 1 score for competency development.
    """

    measure: CompMeasure
    # Percent of the target incentive; defaults to the framework's weight.
    weight: float | None = Field(None, ge=0, le=100)
    target: PositiveAmount | Literal["quota"]
    target_by_role: dict[str, PositiveAmount] = {}
    target_by_seller: dict[str, PositiveAmount] = {}
    # Attainment (actual / target) below which the component pays nothing.
    threshold: float = Field(0.0, ge=0)
    # Largest payout factor (payout / weighted target incentive).
    cap: float = Field(2.0, gt=0)
    curve: Literal["linear", "tiered"] = "linear"
    tiers: list[CompTier] = []

    @model_validator(mode="after")
    def _consistent(self) -> CompComponent:
        if self.weight is None:
            self.weight = DEFAULT_COMP_WEIGHTS[self.measure]
        if self.target == "quota" and self.measure != "revenue":
            raise ValueError(
                f"target 'quota' applies to the revenue component only, not to "
                f"{self.measure}; give a number"
            )
        if self.measure == "process_adherence":
            shares = [self.target, *self.target_by_role.values()]
            shares += list(self.target_by_seller.values())
            if any(isinstance(v, float) and v > 1 for v in shares):
                raise ValueError(
                    "process_adherence targets are shares of required activities "
                    "(0-1], for example 0.8"
                )
        if self.curve == "tiered" and not self.tiers:
            raise ValueError("curve 'tiered' needs tiers: [{above: 1.0, rate: 2.0}]")
        if self.curve == "linear" and self.tiers:
            raise ValueError("tiers apply to curve 'tiered' only; set curve: tiered")
        starts = [tier.above for tier in self.tiers]
        if starts != sorted(set(starts)):
            raise ValueError("tiers must be in increasing order of 'above', each once")
        return self


class CompPlan(StrictModel):
    """The incentive plan: target incentive per seller and weighted components.

    Every money amount (target incentives, money targets) is set here and never
    defaulted; amounts are in the base currency, per plan period.
    """

    name: str = "Sales compensation plan"
    period: Literal["month", "quarter", "year"] = "quarter"
    target_incentive: PositiveAmount | None = None
    target_incentive_by_role: dict[str, PositiveAmount] = {}
    target_incentive_by_seller: dict[str, PositiveAmount] = {}
    # Roles on the plan (sellers.role); empty means every seller.
    roles: list[str] = []
    # A seller hired during the period gets the target incentive and the
    # plan's money targets in proportion to the days employed.
    prorate_new_hires: bool = True
    components: list[CompComponent] = Field(min_length=1)

    @field_validator("components")
    @classmethod
    def _weights_sum(cls, components: list[CompComponent]) -> list[CompComponent]:
        measures = [component.measure for component in components]
        for measure in measures:
            if measures.count(measure) > 1:
                raise ValueError(f"measure {measure!r} appears in two components")
        total = sum(component.weight or 0.0 for component in components)
        if abs(total - 100.0) > 1e-6:
            parts = " + ".join(f"{c.measure} {c.weight:g}" for c in components)
            raise ValueError(
                f"component weights sum to {total:g} ({parts}); they must sum to 100"
            )
        return components

    @model_validator(mode="after")
    def _incentive_given(self) -> CompPlan:
        if (
            self.target_incentive is None
            and not self.target_incentive_by_role
            and not self.target_incentive_by_seller
        ):
            raise ValueError(
                "target_incentive is missing: set comp.target_incentive (base "
                "currency per period), or target_incentive_by_role or "
                "target_incentive_by_seller"
            )
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def weights(self) -> dict[str, float]:
        """Component weights as fractions of the target incentive, by measure."""
        return {c.measure: (c.weight or 0.0) / 100 for c in self.components}


# -- where the analyses run ---------------------------------------------------

# Workspace tables that ``analytics.tables`` may map to tables of the backend.
ANALYTICS_TABLES = (
    "opportunities",
    "stage_events",
    "sellers",
    "stage_labels",
    "fx_rates",
    "activities",
    "quotas",
    "assessments",
)
# A table name on the backend: a name, optionally after a database and a
# catalog (``crm.opportunities``, ``spark_catalog.crm.opportunities``).
_BACKEND_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


def _conf_text(value: Any) -> Any:
    """Write a YAML scalar as Spark writes settings: ``true``, ``2``, ``1g``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


class Analytics(StrictModel):
    """The engine the analyses run on: the workspace's DuckDB file or Spark.

    With ``backend: pyspark`` the tables named in ``tables`` are read from
    Spark; every other table is copied from the workspace file. Imports and
    entered answers are still written to the workspace file.
    """

    backend: Literal["duckdb", "pyspark"] = "duckdb"
    # Workspace table name to backend table name.
    tables: dict[str, str] = {}
    # Spark master URL and extra Spark settings, used when revarch starts the
    # Spark session (an already running session is used as it is).
    master: str = Field("local[2]", min_length=1)
    conf: dict[str, str] = {}

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, str]) -> dict[str, str]:
        for key, name in tables.items():
            if key not in ANALYTICS_TABLES:
                raise ValueError(
                    f"unknown table {key!r}; the tables that can be mapped are "
                    f"{', '.join(ANALYTICS_TABLES)}"
                )
            if not _BACKEND_TABLE.match(name):
                raise ValueError(
                    f"invalid backend table name {name!r} for {key}; use a "
                    "name such as opportunities or crm.opportunities (letters, "
                    "digits and '_', with up to two dots)"
                )
        return tables

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_strings(cls, conf: Any) -> Any:
        """Accept YAML numbers and booleans as Spark setting values."""
        if not isinstance(conf, dict):
            return conf
        return {key: _conf_text(value) for key, value in conf.items()}

    @model_validator(mode="after")
    def _backend_options(self) -> Analytics:
        if self.backend == "duckdb":
            spark_only = sorted({"tables", "master", "conf"} & self.model_fields_set)
            if spark_only:
                raise ValueError(
                    f"{', '.join(spark_only)} apply to another backend only; set "
                    "analytics.backend: pyspark or remove them"
                )
        return self


class Settings(StrictModel):
    """Everything in ``revarch.yaml``."""

    company: Company = Company()
    performance: Performance = Performance()
    thresholds: Thresholds = Thresholds()
    fields: Fields = Fields()
    as_of: dt.date | None = None
    process: Process = Process()
    # Planned training spend per skill (name or alias), in the base currency.
    training_budget: dict[str, Annotated[float, Field(ge=0)]] = {}
    hiring_profile: HiringProfile | None = None
    skills: Skills = Skills()
    inspection: Inspection = Inspection()
    forecast: Forecasting = Forecasting()
    comp: CompPlan | None = None
    analytics: Analytics = Analytics()


def _format_location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def format_validation_error(path: Path, error: ValidationError) -> str:
    """Turn a pydantic error into one message naming the file, key and value."""
    lines = [f"invalid settings in {path}:"]
    for item in error.errors():
        key = _format_location(item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the documented keys"
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (value: {value!r})"
        lines.append(f"  {key}: {message}{shown}")
    return "\n".join(lines)


def read_settings(path: Path) -> Settings:
    """Read and validate ``revarch.yaml``; raise ``ConfigError`` naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (invalid byte at position {exc.start}); "
            "restore it from a backup or recreate it with `revarch init`"
        ) from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, not {data!r}")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from exc


def dump_process(process: Process) -> str:
    """Render a process definition as the YAML block of ``revarch.yaml``."""
    data = {"process": process.model_dump(exclude_defaults=False)}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=80)
