"""Write the demo company as a Salesforce Data Export folder, chunk by chunk."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from revarch.demo.activities import generate_activities
from revarch.demo.company import (
    RAMP_DAYS,
    Window,
    accounts_table,
    currency_types_table,
    dated_rates_table,
    generate_accounts,
    generate_people,
    generate_rates,
    generate_sellers,
    history_window,
    roles_table,
    users_table,
)
from revarch.demo.opportunities import Company, Opportunities, generate_opportunities
from revarch.demo.stages import LOST, WON, stages_table

log = logging.getLogger(__name__)

# Opportunities generated and written at a time; memory use grows with it.
CHUNK_SIZE = 20_000
# Sales managers, one per team; a demo with fewer sellers has fewer teams.
MANAGERS = 4
# Data Export files quote every value; empty values stay unquoted.
WRITE_OPTIONS = pa_csv.WriteOptions(include_header=True, quoting_style="all_valid")

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class ExportCounts:
    """What the export holds, counted while writing it."""

    window: Window
    sellers: int
    managers: int
    ramping: int
    inactive: int
    opportunities: int = 0
    deleted: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    history_rows: int = 0
    tasks: int = 0
    events: int = 0

    def add(self, opportunities: Opportunities) -> None:
        """Count one chunk's opportunities by current state, deleted ones apart."""
        stage = opportunities.paths.current_stage[~opportunities.deleted]
        self.opportunities += opportunities.count
        self.deleted += int(opportunities.deleted.sum())
        self.won += int((stage == WON).sum())
        self.lost += int((stage == LOST).sum())
        self.open += int((stage < WON).sum())
        self.history_rows += opportunities.history.num_rows


class CsvFolder:
    """Open CSV writers by file name; each file gets its header once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._files: dict[str, tuple[BinaryIO, pa_csv.CSVWriter]] = {}

    def write(self, name: str, table: pa.Table) -> None:
        """Append ``table`` to ``name``, creating the file on first use."""
        if name not in self._files:
            handle = (self.folder / name).open("wb")
            writer = pa_csv.CSVWriter(handle, table.schema, write_options=WRITE_OPTIONS)
            self._files[name] = (handle, writer)
        self._files[name][1].write_table(table)

    def close(self) -> None:
        for handle, writer in self._files.values():
            writer.close()
            handle.close()
        self._files.clear()

    def __enter__(self) -> CsvFolder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def chunk_count(opportunities: int) -> int:
    return max(1, math.ceil(opportunities / CHUNK_SIZE))


def _write_company(
    files: CsvFolder, *, seed: int, sellers: int, months: int, opportunities: int
) -> tuple[Company, ExportCounts]:
    """Write the users, roles, accounts, stages and rates; return the company."""
    rng = np.random.default_rng([seed, 0])
    window = history_window(seed, months)
    managers = min(MANAGERS, sellers)
    team = generate_sellers(rng, sellers, managers, window)
    people = generate_people(rng, sellers, managers)
    accounts = generate_accounts(opportunities)
    rates = generate_rates(rng, window)

    files.write("User.csv", users_table(rng, people, team, window))
    files.write("UserRole.csv", roles_table(managers))
    files.write("Account.csv", accounts_table(rng, accounts))
    files.write("OpportunityStage.csv", stages_table())
    files.write("CurrencyType.csv", currency_types_table(rates))
    files.write("DatedConversionRate.csv", dated_rates_table(rates))

    company = Company(window, team, people.seller_ids(), accounts, rates)
    counts = ExportCounts(
        window=window,
        sellers=sellers,
        managers=managers,
        ramping=int((team.hire_day > window.end_day - RAMP_DAYS).sum()),
        inactive=int((~team.active).sum()),
    )
    return company, counts


def write_export(
    folder: Path,
    *,
    seed: int,
    sellers: int,
    months: int,
    opportunities: int,
    progress: ProgressCallback,
    step: int,
    steps: int,
) -> ExportCounts:
    """Generate the company and write its Data Export files into ``folder``.

    Opportunities, their history and activities are generated in chunks of
    ``CHUNK_SIZE`` from a generator seeded by (seed, chunk), and each chunk
    is written before the next is drawn, so memory stays bounded at any size
    and the same arguments give byte-identical files.
    """
    with CsvFolder(folder) as files:
        company, counts = _write_company(
            files,
            seed=seed,
            sellers=sellers,
            months=months,
            opportunities=opportunities,
        )
        chunks = chunk_count(opportunities)
        for chunk in range(chunks):
            progress("writing opportunities and activities", step + chunk, steps)
            first = chunk * CHUNK_SIZE
            _write_chunk(
                files,
                company,
                counts,
                rng=np.random.default_rng([seed, 1, chunk]),
                first=first,
                count=min(CHUNK_SIZE, opportunities - first),
            )
    log.info(
        "wrote the demo export to %s: %d opportunities, %d history rows",
        folder,
        counts.opportunities,
        counts.history_rows,
    )
    return counts


def _write_chunk(
    files: CsvFolder,
    company: Company,
    counts: ExportCounts,
    *,
    rng: np.random.Generator,
    first: int,
    count: int,
) -> None:
    opportunities = generate_opportunities(
        rng, company, first=first, count=count, first_history=counts.history_rows
    )
    activities = generate_activities(
        rng,
        company,
        opportunities,
        first_task=counts.tasks,
        first_event=counts.events,
    )
    files.write("Opportunity.csv", opportunities.table)
    files.write("OpportunityHistory.csv", opportunities.history)
    files.write("Task.csv", activities.tasks)
    files.write("Event.csv", activities.events)
    counts.add(opportunities)
    counts.tasks += activities.tasks.num_rows
    counts.events += activities.events.num_rows
