"""``revarch diagnose``, ``prerequisites``, ``roadmap`` and ``audit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.table import Table

from revarch.cli.common import console, err_console, print_json, workspace

# The callback's docstring is the group's help.
diagnose_app = typer.Typer()

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date (YYYY-MM-DD) the data is read as of (default: the as_of "
        "setting, else the latest business event in the data).",
        show_default=False,
    ),
]
NoSaveOption = Annotated[
    bool,
    typer.Option("--no-save", help="Do not store the result in the workspace."),
]


class RichPrompts:
    """Questionnaire prompts in the terminal; questions go to stderr."""

    def __init__(self, output: Console) -> None:
        self.output = output

    def show(self, text: str) -> None:
        self.output.print(text)

    def ask_text(self, question: str, *, default: str | None = None) -> str:
        if default is None:
            return Prompt.ask(question, console=self.output)
        return Prompt.ask(
            question, console=self.output, default=default, show_default=bool(default)
        )

    def ask_fact(self, question: str, *, default: bool | None = None) -> bool:
        if default is None:
            return Confirm.ask(question, console=self.output)
        return Confirm.ask(question, console=self.output, default=default)

    def ask_rating(self, question: str, *, default: int | None = None) -> int:
        choices = [str(level) for level in range(1, 6)]
        if default is None:
            return IntPrompt.ask(question, console=self.output, choices=choices)
        return IntPrompt.ask(
            question, console=self.output, choices=choices, default=default
        )


# -- formatting ----------------------------------------------------------------


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _share_text(value: float | None) -> str:
    if value is None:
        return "-"
    if value in (0.0, 1.0):
        return "yes" if value else "no"
    return f"{value:.0%} yes"


def _print_scale() -> None:
    from revarch.diagnosis.playbook import MATURITY_SCALE

    err_console.print("Maturity rating, 1-5:")
    for level, (name, text) in MATURITY_SCALE.items():
        err_console.print(f"  {level} {name}: {text}")


def _function_row(item: dict[str, Any]) -> list[str]:
    parts = item["maturity_parts"]
    fired = [s["id"] for s in item["signals"] if s["status"] == "fired"]
    measured = "-" if item["measured"] is None else _yes_no(item["measured"])
    return [
        str(item["function"]),
        item["name"],
        str(item["tier"]),
        _number(item["maturity"]),
        f"{_number(parts['rating_points'])}+{_number(parts['fact_points'])}"
        f"{parts['signal_points']:+.0f}",
        _share_text(item["hero_dependency_share"]),
        measured,
        _number(item["perception_gap"]),
        ", ".join(fired) or "-",
    ]


def print_scorecard(data: dict[str, Any]) -> None:
    """Print the scorecard tables: functions by pillar, then the details."""
    console.print(
        f"Diagnosis as of {data['as_of']}; maturity threshold "
        f"{data['maturity_threshold']:g}. Parts: rating + facts + signals."
    )
    table = Table(
        "#",
        "function",
        "tier",
        "maturity",
        "parts",
        "one person",
        "measured",
        "perception gap",
        "signals fired",
        title="Scorecard",
    )
    for pillar in data["pillars"]:
        table.add_section()
        mean = _number(pillar["maturity_mean"])
        table.add_row("", f"[bold]{pillar['pillar']}[/]", "", mean)
        for item in data["functions"]:
            if item["pillar"] == pillar["pillar"]:
                table.add_row(*_function_row(item))
    console.print(table)
    _print_respondents(data)
    _print_signals(data["signals"])
    _print_guardrails(data["guardrails"])
    for item in data["functions"]:
        for text in item["contradictions"]:
            console.print(f"Perception: {text}")


def _print_respondents(data: dict[str, Any]) -> None:
    for person in data["respondents"]:
        state = "complete" if person["complete"] else "in progress"
        console.print(
            f"Respondent {person['name']} ({person['role']}): round "
            f"{person['round']}, {state}."
        )
    for row in data["overestimation"]:
        verdict = " (overestimates)" if row["overestimates"] else ""
        console.print(
            f"{row['respondent']}: mean rating {row['rating_score_mean']:.1f} vs "
            f"evidence {row['evidence_score_mean']:.1f} of 100, gap "
            f"{row['perception_gap']:+.1f}{verdict}."
        )
    if not data["disagreements"]:
        return
    table = Table("#", "ratings", "spread", "split facts", title="Disagreements")
    for row in data["disagreements"]:
        ratings = ", ".join(f"{name} {value}" for name, value in row["ratings"].items())
        table.add_row(
            str(row["function"]),
            ratings,
            str(row["rating_spread"]),
            ", ".join(row["split_facts"]) or "-",
        )
    console.print(table)


def _print_signals(signals: list[dict[str, Any]]) -> None:
    table = Table(
        "signal", "functions", "status", "points", "evidence", title="Signals"
    )
    for signal in signals:
        table.add_row(
            signal["title"],
            ", ".join(f"#{n}" for n in signal["functions"]),
            signal["status"],
            f"{signal['points']:+.0f}" if signal["status"] == "fired" else "",
            signal["evidence"],
        )
    console.print(table)


def _print_guardrails(guardrails: list[dict[str, Any]]) -> None:
    for item in guardrails:
        if item["status"] == "warning":
            console.print(
                f"[bold yellow]Warning[/] ({item['title']}): {item['evidence']}"
            )
        elif item["status"] == "pass":
            console.print(f"OK ({item['title']}): {item['evidence']}")


# -- diagnose ----------------------------------------------------------------------


def _ask(ws: Any, respondent: str | None, role: str | None) -> None:
    from revarch.diagnosis.questionnaire import run_questionnaire

    _print_scale()
    try:
        result = run_questionnaire(
            ws, RichPrompts(err_console), respondent=respondent, role=role
        )
    except (EOFError, KeyboardInterrupt):
        err_console.print(
            "\nStopped. Every answer given so far is saved; run `revarch "
            "diagnose` again to continue where you stopped."
        )
        raise typer.Exit(1) from None
    err_console.print(
        f"Round {result.round} of {result.respondent} is complete "
        f"({result.asked} answers given now)."
    )


def _load(ws: Any, files: list[Path]) -> None:
    from revarch.diagnosis.answers import read_answer_file, save_answer_sheet

    sheets = [read_answer_file(path) for path in files]
    for path, sheet in zip(files, sheets, strict=True):
        number = save_answer_sheet(ws, sheet)
        err_console.print(
            f"Stored {path} as round {number} of {sheet.respondent} ({sheet.role})."
        )


@diagnose_app.callback(invoke_without_command=True)
def diagnose(
    ctx: typer.Context,
    answers: Annotated[
        list[Path] | None,
        typer.Option(
            "--answers",
            help="Answer file (YAML) to load instead of asking; repeat for "
            "several respondents. `revarch diagnose template` writes one.",
            show_default=False,
        ),
    ] = None,
    respondent: Annotated[
        str | None, typer.Option(help="Your name (asked when not given).")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="Your role: founder, sales leader, revops, ... (asked when not given)."
        ),
    ] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the diagnosis questions (resumable) or load answer files; show the scorecard.

    Each answer is saved as given: run it again to continue where you stopped.

    Example: revarch diagnose --answers founder.yaml --answers sales-lead.yaml
    """
    if ctx.invoked_subcommand is not None:
        return
    from revarch.diagnosis import build_scorecard

    with workspace(ctx) as ws:
        if answers:
            _load(ws, answers)
        else:
            _ask(ws, respondent, role)
        data = build_scorecard(ws, as_of=as_of).to_dict()
    if as_json:
        print_json(data)
        return
    print_scorecard(data)


@diagnose_app.command("template")
def template(
    file: Annotated[
        Path | None,
        typer.Argument(help="File to write (default: print to stdout)."),
    ] = None,
) -> None:
    """Write the answer file to fill in: every function with its questions.

    Example: revarch diagnose template founder.yaml
    """
    from revarch.diagnosis.answers import render_template

    text = render_template()
    if file is None:
        sys.stdout.write(text)
        return
    if file.exists():
        raise typer.BadParameter(f"{file} exists; choose another file name")
    file.write_text(text, encoding="utf-8")
    console.print(f"Wrote {file}; fill it in, then: revarch diagnose --answers {file}")


@diagnose_app.command("scorecard")
def scorecard(
    ctx: typer.Context, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Show the scorecard from the stored answers without asking anything.

    Example: revarch diagnose scorecard --json
    """
    from revarch.diagnosis import build_scorecard

    with workspace(ctx) as ws:
        data = build_scorecard(ws, as_of=as_of).to_dict()
    if as_json:
        print_json(data)
        return
    print_scorecard(data)


# -- prerequisites --------------------------------------------------------------------


def prerequisites(
    ctx: typer.Context, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Check the framework's prerequisites from the data: bookings, sellers, history.

    Example: revarch prerequisites --json
    """
    from revarch.diagnosis import check_prerequisites

    with workspace(ctx) as ws:
        data = check_prerequisites(ws, as_of=as_of).to_dict()
    if as_json:
        print_json(data)
        return
    table = Table(
        "check", "result", "value", "required", "evidence", title="Prerequisites"
    )
    for check in data["checks"]:
        result = "[green]pass[/]" if check["passed"] else "[red]fail[/]"
        table.add_row(
            check["title"],
            result,
            f"{check['value']:,.0f}",
            f"{check['required']:,.0f}",
            check["evidence"],
        )
    console.print(table)
    for check in data["checks"]:
        if not check["passed"]:
            console.print(f"{check['title']}: {check['meaning']}")


# -- roadmap --------------------------------------------------------------------------


def _outcome_text(outcome: dict[str, Any] | None) -> str:
    if outcome is None:
        return "-"
    if outcome["unit"] == "fraction":
        current, target = _percent(outcome["current"]), _percent(outcome["target"])
    else:
        current, target = _number(outcome["current"]), _number(outcome["target"])
    return f"{outcome['metric']}: {current} -> {target}"


def print_roadmap(data: dict[str, Any]) -> None:
    """Print the sprints, their reasons and first steps, then the other lines."""
    table = Table(
        "sprint", "dates", "function", "tier", "maturity", "outcome", title="Roadmap"
    )
    for line in data["sprints"]:
        table.add_row(
            str(line["sprint"]),
            f"{line['starts_on']} to {line['ends_on']}",
            f"#{line['function']} {line['name']}",
            str(line["tier"]),
            _number(line["maturity"]),
            _outcome_text(line["outcome"]),
        )
    console.print(table)
    for line in data["sprints"]:
        console.print(
            f"\n[bold]Sprint {line['sprint']}: #{line['function']} {line['name']}[/]"
        )
        for reason in line["why"]:
            console.print(f"  why: {reason}")
        for step in line["first_steps"]:
            console.print(f"  - {step}")
    for line in data["later"]:
        console.print(
            f"Later: #{line['function']} {line['name']} ({_number(line['maturity'])})"
        )
    for line in data["maintain"]:
        maturity = _number(line["maturity"])
        text = f"Maintain: #{line['function']} {line['name']} ({maturity})"
        if line["warning"]:
            text += f" [yellow]warning: {line['warning']}[/]"
        console.print(text)
    _print_guardrails(data["guardrails"])
    if data["saved"]:
        console.print(f"Saved as roadmap {data['roadmap_id']}.")


def print_plan_check(data: dict[str, Any]) -> None:
    """Print the findings of a plan review."""
    table = Table("check", "status", "evidence", title=f"Plan review: {data['plan']}")
    for finding in data["findings"]:
        table.add_row(finding["title"], finding["status"], finding["evidence"])
    console.print(table)
    for note in data["notes"]:
        console.print(f"Note: {note}")
    console.print(f"{data['warnings']} warnings.")


def roadmap(
    ctx: typer.Context,
    start: Annotated[
        str | None,
        typer.Option(
            help="First day of sprint 1, YYYY-MM-DD (default: the day after "
            "the as-of date).",
            show_default=False,
        ),
    ] = None,
    sprints: Annotated[
        int, typer.Option(min=1, help="Number of 90-day sprints to plan.")
    ] = 6,
    check: Annotated[
        Path | None,
        typer.Option(
            "--check",
            help="Review this plan file (YAML) instead of planning.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    no_save: NoSaveOption = False,
    as_json: JsonOption = False,
) -> None:
    """Plan one function per 90-day sprint, Tier 1 first, or review a plan file.

    The plan is saved so the weekly report shows the current sprint.

    Example: revarch roadmap --start 2025-07-01 --sprints 4
    """
    from revarch.diagnosis import build_roadmap, check_plan

    with workspace(ctx) as ws:
        if check is not None:
            data = check_plan(ws, check, as_of=as_of).to_dict()
        else:
            data = build_roadmap(
                ws, start=start, sprints=sprints, as_of=as_of, save=not no_save
            ).to_dict()
    if as_json:
        print_json(data)
    elif check is not None:
        print_plan_check(data)
    else:
        print_roadmap(data)


# -- audit --------------------------------------------------------------------------


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return "absent"
    return "pass" if passed else "fail"


def _change_text(change: dict[str, Any]) -> str:
    return f"{change['id']} {_verdict(change['now'])} (was {_verdict(change['was'])})"


def print_audit(data: dict[str, Any]) -> None:
    """Print the four links, the comparison and the recommendation."""
    table = Table(
        "link",
        "result",
        "evidence",
        title=f"Alignment audit {data['period']} (as of {data['as_of']})",
    )
    for check in data["checks"]:
        result = "[green]pass[/]" if check["passed"] else "[red]fail[/]"
        lines = [
            ("ok: " if part["passed"] else "missing: ") + part["evidence"]
            for part in check["evidence"]
        ]
        table.add_row(check["link"], result, "\n".join(lines))
    console.print(table)
    previous = data["previous"]
    if previous:
        changes = ", ".join(_change_text(c) for c in previous["changes"])
        console.print(
            f"Since {previous['period']} ({previous['passed']} of 4 passed): "
            f"{changes or 'no change'}."
        )
    recommendation = data["recommendation"]
    if recommendation:
        number, name = recommendation["function"], recommendation["name"]
        console.print(f"\n[bold]Next quarter: #{number} {name}[/]")
        for reason in recommendation["why"]:
            console.print(f"  why: {reason}")
        if recommendation["note"]:
            console.print(f"  {recommendation['note']}")
    for note in data["notes"]:
        console.print(f"Note: {note}")


def audit(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            help="Fiscal quarter such as 2025-Q2 (default: the quarter of the "
            "as-of date).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    no_save: NoSaveOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run the quarterly alignment audit: four cross-pillar links and one decision.

    Audits are stored so that quarters can be compared.

    Example: revarch audit --period 2025-Q2
    """
    from revarch.diagnosis import run_audit

    with workspace(ctx) as ws:
        data = run_audit(ws, period=period, as_of=as_of, save=not no_save).to_dict()
    if as_json:
        print_json(data)
        return
    print_audit(data)


def register(app: typer.Typer) -> None:
    app.add_typer(diagnose_app, name="diagnose")
    app.command()(prerequisites)
    app.command()(roadmap)
    app.command()(audit)
