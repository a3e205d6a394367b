"""Pipeline created in a window and open pipeline at a date, in the base currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis

from revarch.metrics.opportunities import outcome_rows

if TYPE_CHECKING:
    from revarch.workspace import Workspace


@dataclass(frozen=True)
class PipelineResult:
    """New pipeline created in a window and the pipeline open at its end."""

    since: dt.date
    until: dt.date
    created: int
    created_amount: float
    open: int
    open_amount: float
    open_closing_by: float | None
    closing_by: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat()
        data["until"] = self.until.isoformat()
        data["closing_by"] = self.closing_by.isoformat() if self.closing_by else None
        return data


def compute_pipeline(
    workspace: Workspace,
    *,
    since: dt.date,
    until: dt.date,
    closing_by: dt.date | None = None,
    seller: str | None = None,
) -> PipelineResult:
    """Sum pipeline created in ``since``-``until`` and pipeline open at ``until``.

    Open at ``until`` means created on or before it and not closed by then
    (open now, or closed after ``until``), valued at its current amount.
    ``closing_by`` adds the open amount with a close date on or before it.
    Creation dates are cut in the workspace timezone.
    """
    rows = outcome_rows(workspace)
    if seller is not None:
        rows = rows.filter(rows.seller == seller)
    amount = rows.amount_base.fill_null(0)
    created = rows.created_date.between(since, until)
    open_then = (rows.created_date <= until) & (
        (rows.status == "open")
        | (rows.close_date.notnull() & (rows.close_date > until))
    )
    closing = (
        open_then & rows.close_date.notnull() & (rows.close_date <= closing_by)
        if closing_by is not None
        else ibis.literal(False)
    )
    totals = rows.aggregate(
        created=created.sum(),
        created_amount=created.ifelse(amount, 0).sum(),
        open=open_then.sum(),
        open_amount=open_then.ifelse(amount, 0).sum(),
        closing_amount=closing.ifelse(amount, 0).sum(),
    )
    found = workspace.store.rows(totals)[0]
    return PipelineResult(
        since=since,
        until=until,
        created=int(found["created"] or 0),
        created_amount=float(found["created_amount"] or 0.0),
        open=int(found["open"] or 0),
        open_amount=float(found["open_amount"] or 0.0),
        open_closing_by=(
            float(found["closing_amount"] or 0.0) if closing_by is not None else None
        ),
        closing_by=closing_by,
    )
