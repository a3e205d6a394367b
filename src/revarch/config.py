"""Pydantic models of ``revarch.yaml``: settings, thresholds and the sales process.

Every number here is a framework default that a workspace may override; the
commands show which value they used.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from revarch.errors import ConfigError

CONFIG_FILE = "revarch.yaml"


class StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Company(StrictModel):
    """Who the workspace describes and how it keeps time and money."""

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
    """How sellers are ranked and which window the analyses cover."""

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


class Settings(StrictModel):
    """Everything in ``revarch.yaml``."""

    company: Company = Company()
    performance: Performance = Performance()
    thresholds: Thresholds = Thresholds()
    fields: Fields = Fields()
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    process: Process = Process()


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
