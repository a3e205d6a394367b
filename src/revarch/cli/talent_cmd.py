"""``revarch talent``: skill gaps and tiers, seller plans, screening, progress."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace

if TYPE_CHECKING:
    from revarch.talent import (
        GapReport,
        PerceptionReport,
        ProgressReport,
        ScreenReport,
        SellerProfile,
    )

talent_app = typer.Typer(
    help="The talent system: skill gaps and tiers, pre-hire screening, "
    "development plans, progress and leader perception.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date (YYYY-MM-DD) the analysis is as of (default: the as_of setting, "
        "else the latest business event in the data).",
        show_default=False,
    ),
]
MeasureOption = Annotated[
    Literal["bookings", "attainment"] | None,
    typer.Option(
        help="Rank sellers by bookings (won amounts over the trailing window) or "
        "attainment (bookings / quota). Default: performance.measure.",
        show_default=False,
    ),
]
TeamOption = Annotated[
    str | None,
    typer.Option(
        help="Only sellers of this team (the sellers.team value).", show_default=False
    ),
]
ManagerOption = Annotated[
    str | None,
    typer.Option(
        help="Only sellers of this manager (id or full name).", show_default=False
    ),
]


def _team_filter(team: str | None, manager: str | None) -> Any:
    from revarch.talent import TeamFilter

    return TeamFilter(team=team, manager=manager)


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "unbounded"
    return f"{value:,.{digits}f}"


def _percent(value: float | None) -> str:
    text = _number(value, 0)
    return text if text in ("-", "unbounded") else f"{text}%"


def _notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"Note: {note}")


@talent_app.command("catalog")
def catalog_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the skill catalog: group, function, prior tier and gap, activities.

    Rename, add or remove skills under skills.catalog in revarch.yaml.

    Example: revarch talent catalog --json
    """
    from revarch.talent import Catalog

    with workspace(ctx) as ws:
        catalog = Catalog.from_settings(ws.settings)
    skills = [skill.model_dump() for skill in catalog]
    if as_json:
        print_json(
            {"skills": skills, "screening_skills": list(catalog.screening_names)}
        )
        return
    table = Table("skill", "group", "function", "prior tier", "prior gap", "aliases")
    for skill in catalog:
        table.add_row(
            skill.name,
            skill.group,
            f"#{skill.function}",
            str(skill.prior_tier),
            _percent(skill.prior_gap),
            ", ".join(skill.aliases),
        )
    console.print(table)
    console.print(f"Screening skills: {', '.join(catalog.screening_names)}")


def _print_team(report: GapReport) -> None:
    team = report.team
    window = team.window
    console.print(
        f"Ranked {len(team.ranked)} sellers by {team.measure}, "
        f"{window.since} to {window.until} (as of {window.as_of})."
    )
    for excluded in team.excluded:
        name = excluded["seller_name"] or excluded["seller"]
        console.print(f"Left out: {name} ({excluded['seller']}): {excluded['reason']}")


def _tier_source(gap: Any) -> str:
    if gap.tier_source == "measured":
        return "measured"
    measured = "" if gap.measured_tier is None else f", measured {gap.measured_tier}"
    return "prior" + (f" (low confidence{measured})" if gap.low_confidence else "")


def _gap_text(gap: Any) -> str:
    if gap.gap.status == "undefined":
        return f"undefined: {gap.gap.reason}"
    return _percent(gap.percent)


def _interval_text(gap: Any) -> str:
    interval = gap.interval
    if interval is None or interval.low is None:
        return "-"
    return f"{_percent(interval.low)} to {_percent(interval.high)}"


def _print_gaps(report: GapReport) -> None:
    table = Table(
        "skill", "tier", "from", "top (n)", "bottom (n)", "gap", "90% interval"
    )
    table.columns[0].no_wrap = True
    for gap in report.gaps:
        table.add_row(
            gap.name,
            str(gap.tier),
            _tier_source(gap),
            f"{_number(gap.gap.top_mean)} ({gap.gap.top_size})",
            f"{_number(gap.gap.bottom_mean)} ({gap.gap.bottom_size})",
            _gap_text(gap),
            _interval_text(gap),
        )
    console.print(table)


@talent_app.command()
def gaps(
    ctx: typer.Context,
    measure: MeasureOption = None,
    as_of: AsOfOption = None,
    team: TeamOption = None,
    manager: ManagerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure each skill's gap between the top and bottom 10% of sellers.

    gap% = (top mean - bottom mean) / bottom mean * 100, with a bootstrap
    90% interval; >= 200% is Tier 1, 100-200% Tier 2, below 100% Tier 3.
    With fewer than 10 ranked sellers every gap is low confidence and the
    skill keeps the catalog's prior tier.

    Example: revarch talent gaps --measure attainment --as-of 2025-06-30
    """
    from revarch.talent import compute_gaps

    with workspace(ctx) as ws:
        report = compute_gaps(
            ws, measure=measure, as_of=as_of, team_filter=_team_filter(team, manager)
        )
    if as_json:
        print_json(report.to_dict())
        return
    _print_team(report)
    _print_gaps(report)
    _notes(report.notes)


def _print_standings(profile: SellerProfile) -> None:
    table = Table("skill", "tier", "score", "p25", "median", "p75", "quartile")
    for standing in profile.standings:
        table.add_row(
            standing.gap.name,
            str(standing.gap.tier),
            _number(standing.score, 0),
            _number(standing.weak_cut),
            _number(standing.median),
            _number(standing.top_cut),
            (standing.quartile or "not assessed")
            + (" (weak)" if standing.weak else ""),
        )
    console.print(table)


def _print_plan(profile: SellerProfile) -> None:
    compounded = profile.compounded
    parts = ", ".join(
        f"{item['skill']} {_percent(_float(item['gap_percent']))}"
        for item in compounded.skills
    )
    console.print(
        f"Compounded gap: {_number(compounded.product)}x "
        f"(additive {_number(compounded.additive)}x)"
        + (f" from {parts}" if parts else "")
    )
    if compounded.other_weak:
        console.print(f"Other weak skills: {', '.join(compounded.other_weak)}")
    top = profile.top_gap
    if top is not None:
        console.print(
            f"#1 competency gap: {top.standing.gap.name} (Tier "
            f"{top.standing.gap.tier}); this week: {top.activity}"
        )
    table = Table("#", "skill", "tier", "action", "score", "target", "activity")
    for number, item in enumerate(profile.plan, start=1):
        table.add_row(
            str(number),
            item.standing.gap.name,
            str(item.standing.gap.tier),
            item.action,
            _number(item.standing.score, 0),
            _number(item.standing.top_cut),
            item.activity,
        )
    console.print(table)


def _float(value: float | str | None) -> float | None:
    return math.inf if value == "unbounded" else value  # type: ignore[return-value]


@talent_app.command()
def seller(
    ctx: typer.Context,
    seller_id: Annotated[str, typer.Argument(help="Seller id (sellers.id).")],
    measure: MeasureOption = None,
    as_of: AsOfOption = None,
    team: TeamOption = None,
    manager: ManagerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one seller's skills against the team, compounded gap and plan.

    Weak: below the team's 25th percentile. The plan lists skills below the
    top quartile: Tier 1 first, then Tier 2, Tier 3 maintained.

    Example: revarch talent seller 005Dn000001AbCd
    """
    from revarch.talent import seller_profile

    with workspace(ctx) as ws:
        profile = seller_profile(
            ws,
            seller_id,
            measure=measure,
            as_of=as_of,
            team_filter=_team_filter(team, manager),
        )
    if as_json:
        print_json(profile.to_dict())
        return
    rank = profile.ranking.get("rank")
    rank_text = f"not ranked: {profile.ranking.get('excluded')}"
    if rank:
        rank_text = f"rank {rank} of {len(profile.report.team.ranked)}"
    name = profile.seller_name or profile.seller
    console.print(f"{name} ({profile.seller}), {rank_text}")
    _print_standings(profile)
    _print_plan(profile)
    _notes(profile.notes)


def _print_screen(report: ScreenReport) -> None:
    skills = list(report.thresholds)
    table = Table("candidate", "name", *skills, "met", "result")
    table.add_row(
        "threshold",
        f"p{report.percentile:g} of {report.team_size} sellers",
        *(_number(report.thresholds[s]) for s in skills),
        f">= {report.min_tier1}",
        "",
    )
    for screen in report.screens:
        cells = [
            f"{_number(c.score, 0)} {'met' if c.met else '-'}" for c in screen.checks
        ]
        table.add_row(
            screen.candidate,
            screen.candidate_name or "",
            *cells,
            str(screen.met_count),
            "PASS" if screen.passed else "FAIL",
        )
    console.print(table)


@talent_app.command()
def screen(
    ctx: typer.Context,
    candidate: Annotated[
        str | None, typer.Argument(help="Candidate id from the assessments.")
    ] = None,
    all_candidates: Annotated[
        bool, typer.Option("--all", help="Screen every assessed candidate.")
    ] = False,
    min_tier1: Annotated[
        int | None,
        typer.Option(
            "--min-tier1",
            help="Screening skills a candidate must meet (default: "
            "thresholds.screen_min_tier1, 3).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    team: TeamOption = None,
    manager: ManagerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen candidates: at or above the team's 75th percentile in 3 of 6 skills.

    The screening skills are the six system skills unless
    skills.screening_skills names others.

    Example: revarch talent screen cand-017 --min-tier1 4
    """
    from revarch.talent import screen_candidates

    if (candidate is None) == (not all_candidates):
        raise typer.BadParameter("pass a CANDIDATE id or --all, not both or neither")
    with workspace(ctx) as ws:
        report = screen_candidates(
            ws,
            candidate,
            min_tier1=min_tier1,
            as_of=as_of,
            team_filter=_team_filter(team, manager),
        )
    if as_json:
        print_json(report.to_dict())
        return
    _print_screen(report)
    _notes(report.notes)


def _print_progress(report: ProgressReport) -> None:
    periods = report.periods
    table = Table("seller", "name", *periods, "change", title="Mean Tier 1 score")
    for row in report.sellers:
        means = row["tier1_score_mean"]
        table.add_row(
            row["seller"],
            row["seller_name"] or "",
            *(_number(means.get(p)) for p in periods),
            _signed(row["tier1_change"]),
        )
    console.print(table)
    team = Table("skill", *periods, "change", title="Team mean on Tier 1 skills")
    for row in report.team:
        team.add_row(
            row["skill"],
            *(_number(row["score_mean"].get(p)) for p in periods),
            _signed(row["change"]),
        )
    console.print(team)


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


@talent_app.command()
def progress(
    ctx: typer.Context, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Show each seller's scores by fiscal quarter and the team's Tier 1 movement.

    Example: revarch talent progress --json
    """
    from revarch.talent import compute_progress

    with workspace(ctx) as ws:
        report = compute_progress(ws, as_of=as_of)
    if as_json:
        print_json(report.to_dict())
        return
    _print_progress(report)
    _notes(report.notes)


def _print_perception(report: PerceptionReport) -> None:
    table = Table("skill", "pairs", "leader rating", "measured", "overestimation")
    for row in [*report.skills, {"skill": "overall", **report.overall}]:
        table.add_row(
            row["skill"],
            str(row["pairs"]),
            _number(row["leader_rating_mean"]),
            _number(row["measured_score_mean"]),
            _percent(_float(row["overestimation_percent"])),
        )
    console.print(table)


@talent_app.command()
def perception(
    ctx: typer.Context, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Show how far leaders' ratings exceed measured scores, per skill and overall.

    Overestimation = (leader rating - measured) / measured * 100, leader
    ratings averaged over raters.

    Example: revarch talent perception --as-of 2025-09-30
    """
    from revarch.talent import compute_perception

    with workspace(ctx) as ws:
        report = compute_perception(ws, as_of=as_of)
    if as_json:
        print_json(report.to_dict())
        return
    _print_perception(report)
    _notes(report.notes)


def register(app: typer.Typer) -> None:
    app.add_typer(talent_app, name="talent")
