"""The mapping YAML of the pipeline importer: which CSV column feeds which field.

The pydantic models below validate a mapping. An unknown key, a bad value or
a missing required key is an ``InputError`` naming the mapping file and the
key. A mapping is a YAML file or a preset shipped in ``importers/presets/``
(``--mapping maven-crm``).
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from revarch.errors import InputError
from revarch.importers.parsing import Order

PRESETS_DIR = Path(__file__).with_name("presets")


class _StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OpportunityColumns(_StrictModel):
    """The CSV column of each opportunity field (field: column)."""

    id: str | None = None
    name: str | None = None
    account: str | None = None
    seller: str | None = None
    created_at: str | None = None
    close_date: str | None = None
    amount: str | None = None
    currency: str | None = None
    margin: str | None = None
    type: str | None = None
    lead_source: str | None = None
    product: str | None = None
    region: str | None = None
    pipeline: str | None = None
    stage: str


class SellerColumns(_StrictModel):
    """The column of each seller field in the sellers file (field: column)."""

    id: str | None = None
    name: str | None = None
    email: str | None = None
    manager: str | None = None
    team: str | None = None
    region: str | None = None
    hire_date: str | None = None


class SellersFile(_StrictModel):
    """A file of sellers beside the opportunity CSV, with its own columns."""

    file: str = Field(min_length=1)
    columns: SellerColumns


class Mapping(_StrictModel):
    """The mapping of one flat CSV to opportunities, stage events and sellers."""

    columns: OpportunityColumns
    # Stage label -> column: every non-empty cell is the entry into that stage.
    stage_dates: dict[str, str] = {}
    # Column dating the entry into the won or lost stage of a closed opportunity.
    outcome_date: str | None = None
    won_labels: list[str] = []
    lost_labels: list[str] = []
    # Stage labels in process order (written as each label's sort order).
    stage_order: list[str] = []
    date_order: Literal["day-first", "month-first"] | None = None
    timezone: str | None = None
    missing_id: Literal["reject", "generate"] = "reject"
    # What the seller and manager columns hold: seller names or seller ids.
    seller_key: Literal["name", "id"] = "name"
    sellers: SellersFile | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in zoneinfo.available_timezones():
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as "
                "'UTC', 'Europe/Berlin' or 'America/New_York'"
            )
        return value

    @field_validator("stage_dates")
    @classmethod
    def _named_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for label, column in value.items():
            if not label.strip() or not column.strip():
                raise ValueError(
                    f"stage label {label!r} -> column {column!r}: both must be "
                    "non-empty"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Mapping:
        both = set(self.won_labels) & set(self.lost_labels)
        if both:
            raise ValueError(
                f"labels {sorted(both)} are in both won_labels and lost_labels; "
                "a label is either won or lost"
            )
        if self.columns.id is None and self.missing_id == "reject":
            raise ValueError(
                "columns.id is not mapped and missing_id is 'reject'; map the id "
                "column or set missing_id: generate"
            )
        sellers = self.sellers
        if sellers is not None and getattr(sellers.columns, self.seller_key) is None:
            raise ValueError(
                f"seller_key is {self.seller_key!r}, so sellers.columns."
                f"{self.seller_key} must name the sellers file's "
                f"{self.seller_key} column"
            )
        return self

    @property
    def order(self) -> Order | None:
        """Return the date order as the parsing module names it."""
        if self.date_order is None:
            return None
        return "day" if self.date_order == "day-first" else "month"


# Models by their location in the YAML, for listing the allowed keys.
_MODELS_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): Mapping,
    ("columns",): OpportunityColumns,
    ("sellers",): SellersFile,
    ("sellers", "columns"): SellerColumns,
}


def list_presets() -> list[str]:
    """Return the names of the shipped mapping presets."""
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))


def _format_error(path: Path, error: ValidationError) -> str:
    lines = [f"invalid mapping in {path}:"]
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        key = ".".join(loc) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            model = _MODELS_AT.get(loc[:-1])
            allowed = ", ".join(model.model_fields) if model else ""
            message = "unknown key" + (
                f"; the allowed keys are: {allowed}" if allowed else ""
            )
        value = item.get("input")
        value_text = "" if isinstance(value, dict) else f" (value: {value!r})"
        lines.append(f"  {key}: {message}{value_text}")
    lines.append("Fix the mapping file and import again.")
    return "\n".join(lines)


def read_mapping(path: Path) -> Mapping:
    """Read and validate a mapping YAML file; raise ``InputError`` naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the mapping {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(
            f"{path} must hold a mapping with at least a 'columns' key, not {data!r}"
        )
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_error(path, exc)) from exc


def locate_mapping(spec: str) -> Path:
    """Return the YAML file of a mapping given as a path or a preset name."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    presets = list_presets()
    if spec in presets:
        return PRESETS_DIR / f"{spec}.yaml"
    names = ", ".join(presets)
    if path.suffix.lower() in (".yaml", ".yml") or len(path.parts) > 1:
        raise InputError(
            f"--mapping {spec!r}: file not found; pass the path of a YAML mapping "
            f"file or one of the presets: {names}"
        )
    raise InputError(
        f"--mapping {spec!r}: unknown preset; the presets are: {names}; or pass "
        "the path of a YAML mapping file"
    )
