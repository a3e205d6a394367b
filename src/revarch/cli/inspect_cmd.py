"""``revarch inspect``: the weekly pipeline inspection and its answers."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revarch.cli.common import console, print_json, workspace

inspect_app = typer.Typer()

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SHORT_FLAGS = {
    "stalled": "stalled",
    "close_date_pushed": "pushed",
    "amount_changed": "amount",
    "no_recent_activity": "idle",
    "close_date_past": "overdue",
}
ANSWER_MARKS = {"yes": "Y", "no": "N", "unknown": "?", None: "."}


def _answers(answers: dict[str, str | None]) -> str:
    return "".join(ANSWER_MARKS.get(value, "?") for value in answers.values())


def _print(result: Any) -> None:
    table = Table(
        "opportunity",
        "seller",
        "stage",
        "amount",
        "close date",
        "days",
        "answers",
        "flags",
        "risk",
        title="Pipeline inspection (riskiest first)",
    )
    for row in result.rows:
        days = "-" if row["days_in_stage"] is None else f"{row['days_in_stage']:.1f}"
        pushes = row["close_date_pushes"]
        flags = [SHORT_FLAGS[f] for f in row["flags"]]
        if pushes:
            flags = [
                f"pushed x{pushes} ({row['close_date_pushed_days']}d)"
                if f == "pushed"
                else f
                for f in flags
            ]
        table.add_row(
            f"{row['name'] or row['id']} ({row['id']})",
            row["seller_name"] or row["seller"] or "-",
            row["stage_label"] or "-",
            f"{row['amount']:,.0f}",
            row["close_date"].isoformat() if row["close_date"] else "-",
            days,
            _answers(row["answers"]),
            ", ".join(flags) or "-",
            f"{row['risk']:g}",
        )
    console.print(table)
    marks = " ".join(
        f"{n}. {q['text']} ({q['id']})" for n, q in enumerate(result.questions, start=1)
    )
    console.print(f"Answers (Y yes, N no, ? unknown, . unanswered): {marks}")


@inspect_app.callback(invoke_without_command=True)
def inspect(
    ctx: typer.Context,
    min_amount: Annotated[
        float | None,
        typer.Option(
            "--min-amount",
            help="Smallest amount inspected, in the base currency (default: "
            "thresholds.inspection_min_amount, 50,000).",
            show_default=False,
        ),
    ] = None,
    seller: Annotated[
        str | None, typer.Option(help="Only this seller's opportunities (id).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The date taken as now (YYYY-MM-DD). Default: the as_of setting, "
            "else the latest business event in the data.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Also write the rows to this CSV file.", show_default=False
        ),
    ] = None,
) -> None:
    """List open opportunities above the inspection line with answers and flags.

    Flags: stalled in stage, close date pushed, amount changed, no activity
    in thresholds.no_activity_days days, close date in the past. Record
    answers with `revarch inspect answer`.

    Example: revarch inspect --min-amount 100000
    """
    if ctx.invoked_subcommand is not None:
        return
    from revarch.leadership import compute_inspection

    with workspace(ctx) as ws:
        result = compute_inspection(
            ws, min_amount=min_amount, as_of=as_of, seller=seller
        )
    if csv is not None:
        result.table.to_csv(csv, index=False)
    if as_json:
        print_json(result.to_dict())
        return
    if result.rows:
        _print(result)
    for note in result.notes:
        console.print(f"Note: {note}")


@inspect_app.command()
def answer(
    ctx: typer.Context,
    opportunity: Annotated[str, typer.Argument(help="Opportunity id.")],
    question: Annotated[
        str, typer.Argument(help="Question id (reason, budget...) or number (1-5).")
    ],
    value: Annotated[str, typer.Argument(metavar="ANSWER", help="yes, no or unknown.")],
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who answers (default: the login name).", show_default=False
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an answer to an inspection question; the latest answer counts.

    Example: revarch inspect answer 006Nw000000GnevIAC budget yes
    """
    from revarch.leadership import answer_question

    who = by
    if who is None:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = None
    with workspace(ctx) as ws:
        row = answer_question(ws, opportunity, question, value, answered_by=who)
    if as_json:
        print_json(row)
        return
    console.print(
        f'Recorded {row["answer"]} to "{row["question_text"]}" for '
        f"{row['opportunity_id']}."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(inspect_app, name="inspect")
