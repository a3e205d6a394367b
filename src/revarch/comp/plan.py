"""The comp plan's arithmetic: targets per seller and the payout curves.

For one component of weight ``w`` (percent) and a seller with target
incentive ``I``:

- attainment ``a = actual / target``;
- below ``threshold`` the component pays nothing;
- the payout factor is ``a`` on a linear curve. On a tiered curve each tier
  pays its ``rate`` per unit of attainment above its ``above``, and
  attainment below the first tier pays 1 per unit, so tiers above 1.0 are
  accelerators and tiers below 1.0 decelerators;
- the factor is capped at ``cap``;
- payout ``= I x w / 100 x factor``, rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from revarch.config import CompComponent, CompPlan, Settings, format_validation_error
from revarch.errors import ConfigError, InputError

if TYPE_CHECKING:
    from revarch.leadership.people import Person


@dataclass(frozen=True)
class Curve:
    """A payout factor and the steps that produced it, in words."""

    factor: float
    steps: str


def _percent(value: float) -> str:
    return f"{value * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _tiered(attainment: float, component: CompComponent) -> tuple[float, str]:
    """Return the area under the tier rates from 0 to ``attainment``."""
    bounds = [0.0, *(tier.above for tier in component.tiers)]
    rates = [1.0, *(tier.rate for tier in component.tiers)]
    total = 0.0
    parts = []
    for index, start in enumerate(bounds):
        stop = bounds[index + 1] if index + 1 < len(bounds) else None
        upper = attainment if stop is None else min(attainment, stop)
        span = upper - start
        if span <= 0:
            continue
        total += span * rates[index]
        parts.append(f"{_percent(span)} x {rates[index]:g}")
    return total, " + ".join(parts) or "0"


def payout_curve(attainment: float, component: CompComponent) -> Curve:
    """Return the payout factor of an attainment under the component's curve."""
    threshold = component.threshold
    if attainment < threshold:
        return Curve(0.0, f"below the threshold {_percent(threshold)}")
    steps = []
    if threshold > 0:
        steps.append(f"threshold {_percent(threshold)} met")
    if component.curve == "tiered":
        raw, parts = _tiered(attainment, component)
        steps.append(f"tiered {parts} = {_percent(raw)}")
    else:
        raw = attainment
        steps.append("linear")
    if raw > component.cap:
        steps.append(f"capped at {_percent(component.cap)}")
        return Curve(component.cap, "; ".join(steps))
    return Curve(max(raw, 0.0), "; ".join(steps))


def target_incentive(plan: CompPlan, person: Person) -> tuple[float, str]:
    """Return the seller's target incentive and the key it comes from.

    Raises ``InputError`` naming the keys when none applies.
    """
    if person.id in plan.target_incentive_by_seller:
        return plan.target_incentive_by_seller[person.id], "target_incentive_by_seller"
    if person.role and person.role in plan.target_incentive_by_role:
        return plan.target_incentive_by_role[person.role], "target_incentive_by_role"
    if plan.target_incentive is not None:
        return plan.target_incentive, "target_incentive"
    raise InputError(
        f"comp.target_incentive is not set and seller {person.label} "
        f"({person.id}, role {person.role or 'none'}) is not in "
        "comp.target_incentive_by_seller or comp.target_incentive_by_role; "
        "add the seller or the role, or set comp.target_incentive"
    )


def component_target(
    component: CompComponent, person: Person, quota: float | None
) -> tuple[float | None, str]:
    """Return the seller's target for a component and where it comes from.

    A ``quota`` target is the seller's quota for the period (None without
    one).
    """
    if person.id in component.target_by_seller:
        return component.target_by_seller[person.id], "target_by_seller"
    if person.role and person.role in component.target_by_role:
        return component.target_by_role[person.role], "target_by_role"
    if component.target == "quota":
        return quota, "quota"
    return float(component.target), "target"


def read_plan_file(path: Path) -> CompPlan:
    """Read a comp plan from a YAML file: a ``comp:`` block or the plan alone.

    Raises ``ConfigError`` naming the file and the key.
    """
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a comp plan (a mapping with components), not {data!r}"
        )
    try:
        if "comp" in data:
            plan = Settings.model_validate({"comp": data["comp"]}).comp
        else:
            plan = CompPlan.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from exc
    if plan is None:
        raise ConfigError(
            f"{path}: comp is empty; give target_incentive and components"
        )
    return plan
