"""Charts of the weekly report: Vega-Altair specs rendered to inline SVG.

Rendering goes through vl-convert, which needs no browser and fetches
nothing, so the report stays one self-contained file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
BLUE = "#2f5d8a"
GREY = "#9aa5b1"
RED = "#c0392b"
TIERS = {"Tier 1": "#2f5d8a", "Tier 2": "#e0a030", "Tier 3": "#9aa5b1"}


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(strokeWidth=0)
        .configure_axis(labelFontSize=9, titleFontSize=9, grid=False)
        .configure_title(fontSize=11, anchor="start")
        .configure_legend(labelFontSize=9, titleFontSize=9)
    )


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string (no XML prolog, ready to inline)."""
    svg = vl_convert.vegalite_to_svg(_config(chart).to_json())
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg


# Pixels per stage in the funnel and days-in-stage bars.
STAGE_ROW = 13


def truncate(text: str, width: int = 18) -> str:
    """Shorten a label to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def funnel_chart(stages: Sequence[dict[str, Any]], stall_stage: str | None) -> str:
    """Bar per stage: conversion, with the expected conversion as a tick."""
    frame = pd.DataFrame(
        [
            {
                "stage": truncate(s.get("label") or s["stage"]),
                "order": i,
                "conversion": s["conversion"],
                "expected": s["expected_conversion"],
                "stall": (s.get("label") or s["stage"]) == stall_stage,
            }
            for i, s in enumerate(stages)
        ]
    )
    axis_y = alt.Y("stage:N", sort=list(frame["stage"]), title=None)
    bars = (
        alt.Chart(frame)
        .mark_bar(height=8)
        .encode(
            y=axis_y,
            x=alt.X(
                "conversion:Q",
                title="Stage conversion (advanced / resolved)",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.condition(alt.datum.stall, alt.value(RED), alt.value(BLUE)),
        )
    )
    ticks = (
        alt.Chart(frame)
        .mark_tick(color="black", thickness=2, size=11)
        .encode(y=axis_y, x="expected:Q")
    )
    chart = (bars + ticks).properties(
        width=230,
        height=STAGE_ROW * len(stages),
        title="Funnel: conversion vs expected",
    )
    return to_svg(chart)


def days_chart(stages: Sequence[dict[str, Any]]) -> str:
    """Median days in stage per stage, with expected days as a tick."""
    frame = pd.DataFrame(
        [
            {
                "stage": truncate(s.get("label") or s["stage"]),
                "order": i,
                "median": s["days_median"],
                "p90": s["days_p90"],
                "expected": s["expected_days"],
            }
            for i, s in enumerate(stages)
        ]
    )
    axis_y = alt.Y("stage:N", sort=list(frame["stage"]), title=None)
    bars = (
        alt.Chart(frame)
        .mark_bar(height=8, color=BLUE)
        .encode(y=axis_y, x=alt.X("median:Q", title="Median days in stage"))
    )
    p90 = (
        alt.Chart(frame)
        .mark_point(shape="diamond", color=GREY, size=30)
        .encode(y=axis_y, x="p90:Q")
    )
    ticks = (
        alt.Chart(frame)
        .mark_tick(color="black", thickness=2, size=11)
        .encode(y=axis_y, x="expected:Q")
    )
    chart = (bars + p90 + ticks).properties(
        width=200,
        height=STAGE_ROW * len(stages),
        title="Days in stage (bar median, diamond p90, tick expected)",
    )
    return to_svg(chart)


def trend_chart(points: Sequence[dict[str, Any]]) -> str:
    """Stage conversion per week, one line per stage."""
    frame = pd.DataFrame(
        [
            {
                "week": p["week"],
                "stage": truncate(p["stage"], 14),
                "conversion": p["conversion"],
            }
            for p in points
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("week:O", title="Week entered", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(
                "conversion:Q",
                title="Conversion of the week's cohort",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("stage:N", title="Stage", sort=None),
        )
        .properties(width=330, height=70, title="Stage conversion, last 12 weeks")
    )
    return to_svg(chart)


def gap_chart(skills: Sequence[dict[str, Any]]) -> str:
    """Gap percent per skill with its 90% interval, coloured by tier."""
    rows = sorted(
        (s for s in skills if s["gap_percent"] is not None),
        key=lambda s: -s["gap_percent"],
    )
    frame = pd.DataFrame(
        [
            {
                "skill": truncate(s["skill"], 22),
                "order": i,
                "gap": s["gap_percent"],
                "low": s["gap_percent_ci_low"],
                "high": s["gap_percent_ci_high"],
                "tier": f"Tier {s['tier']}",
            }
            for i, s in enumerate(rows)
        ]
    )
    axis_y = alt.Y("skill:N", sort=list(frame["skill"]), title=None)
    bars = (
        alt.Chart(frame)
        .mark_bar(height=6)
        .encode(
            y=axis_y,
            x=alt.X("gap:Q", title="Gap top vs bottom sellers (%)"),
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(domain=list(TIERS), range=list(TIERS.values())),
            ),
        )
    )
    interval = (
        alt.Chart(frame)
        .mark_rule(color="black", opacity=0.6)
        .encode(y=axis_y, x="low:Q", x2="high:Q")
    )
    chart = (bars + interval).properties(
        width=190, height=8.5 * len(rows), title="Skill gaps with 90% interval"
    )
    return to_svg(chart)


def heatmap_chart(cells: Sequence[dict[str, Any]]) -> str:
    """Latest score per seller and skill, sellers in ranking order."""
    frame = pd.DataFrame(
        [
            {
                "seller": truncate(c["seller_name"], 16),
                "seller_order": c["seller_order"],
                "skill": truncate(c["skill"], 13),
                "skill_order": c["skill_order"],
                "score": c["score"],
            }
            for c in cells
        ]
    )
    sellers = frame.drop_duplicates("seller").sort_values("seller_order")["seller"]
    skills = frame.drop_duplicates("skill").sort_values("skill_order")["skill"]
    chart = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(
                "skill:N",
                sort=list(skills),
                title=None,
                axis=alt.Axis(labelAngle=-90, labelFontSize=6),
            ),
            y=alt.Y(
                "seller:N",
                sort=list(sellers),
                title=None,
                axis=alt.Axis(labelFontSize=6),
            ),
            color=alt.Color(
                "score:Q",
                title="Score",
                scale=alt.Scale(domain=[0, 100], scheme="blues"),
            ),
        )
        .properties(
            width=5 * len(skills),
            height=5 * len(sellers),
            title="Scores by seller (best first) and skill",
        )
    )
    return to_svg(chart)
