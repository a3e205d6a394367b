"""Render the weekly report's data as one self-contained HTML page, or as JSON.

The HTML is a rendering of the same dictionary the JSON prints: no number is
computed here, only formatted.
"""

from __future__ import annotations

import json
import math
from typing import Any

import jinja2

from revarch.report import charts

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("revarch.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _compact(value: float) -> str:
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:,.0f}"


def format_metric(value: Any, unit: str = "count") -> str:
    """Format a number for the page: 1.2M, 34.5%, 12.3 days."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "currency":
        return _compact(float(value))
    if unit == "currency_per_day":
        return f"{_compact(float(value))}/day"
    if unit == "rate":
        return f"{float(value) * 100:.1f}%"
    if unit == "days":
        return f"{float(value):.1f}"
    return f"{float(value):,.0f}"


def format_change(value: Any, unit: str = "count") -> str:
    """Format a week-on-week change with its sign: +1.2M, -3.0 pts."""
    if value is None:
        return "–"
    sign = "±"
    if value > 0:
        sign = "+"
    elif value < 0:
        sign = "-"
    size = abs(float(value))
    if unit == "rate":
        return f"{sign}{size * 100:.1f} pts"
    if unit == "days":
        return f"{sign}{size:.1f} days"
    return sign + format_metric(size, unit)


_ENV.filters["metric"] = format_metric
_ENV.filters["change"] = format_change


def _charts(report: dict[str, Any]) -> dict[str, str]:
    drawn: dict[str, str] = {}
    funnel = report["funnel"]
    if not funnel.get("empty_reason"):
        drawn["funnel"] = charts.funnel_chart(funnel["stages"], funnel["stall_stage"])
    velocity = report["velocity"]
    if not velocity.get("empty_reason"):
        drawn["days"] = charts.days_chart(velocity["stages"])
    trend = report["trend"]
    if not trend.get("empty_reason"):
        drawn["trend"] = charts.trend_chart(trend["points"])
    talent = report.get("talent") or {}
    if talent and not talent.get("empty_reason"):
        if any(s["gap_percent"] is not None for s in talent["skills"]):
            drawn["gaps"] = charts.gap_chart(talent["skills"])
        if talent["heatmap"]:
            drawn["heatmap"] = charts.heatmap_chart(talent["heatmap"])
    return drawn


def render_html(report: dict[str, Any]) -> str:
    """Render the report dictionary as one HTML page with inline CSS and SVG."""
    template = _ENV.get_template("report.html.j2")
    context = dict(report)
    context["charts"] = _charts(report)
    context.setdefault("extra_sections", [])
    return template.render(report=context)


def render_json(report: dict[str, Any]) -> str:
    """Render the report dictionary as indented JSON text."""
    return json.dumps(report, indent=2, ensure_ascii=False, default=_default) + "\n"


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
