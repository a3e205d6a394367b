"""Benchmark revarch against pandas and hand-written DuckDB SQL at demo scales.

For each ``--scales`` value the script writes the demo company's Salesforce
export under ``--data`` once, and later runs reuse it. It then times each
step in its own subprocess, so that peak RSS is per step:

- ``import``: ``import_salesforce`` plus ``ensure_derived`` into a new
  workspace;
- ``report``: the ``revarch report`` command;
- ``analytics``: ``compute_funnel`` plus ``compute_metrics(by="seller")``
  through the Python API, from the stored tables;
- ``pandas``: the same funnel and per-seller outcomes from the CSV files;
- ``duckdb``: ``CREATE TABLE AS SELECT * FROM read_csv(...)`` of every file
  the importer reads (the import floor), then one hand-written SQL query
  over the raw tables.

The funnel counts and the per-seller won/lost of the three implementations
are compared at each scale, and a mismatch is printed loudly. Results go to
a JSON file. Run from the repository root:

    .venv/bin/python benchmarks/scale.py --scales 1 16 160
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SELLERS, MONTHS, SEED = 25, 18, 7
# The files the Salesforce importer reads from the demo export (it ignores
# Account.csv).
IMPORTED_FILES = (
    "Opportunity",
    "OpportunityHistory",
    "OpportunityStage",
    "User",
    "UserRole",
    "Task",
    "Event",
    "DatedConversionRate",
    "CurrencyType",
)
# The demo's process: Salesforce stage names in order, then the closing ones.
STAGE_NAMES = (
    "Prospecting",
    "Qualification",
    "Discovery",
    "Solution/Demo",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
WON_NAME, LOST_NAME = "Closed Won", "Closed Lost"
GENERATED_AT = "2026-01-01T00:00:00"


# -- steps, each run in its own process -------------------------------------------


def step_import(export: Path, workspace: Path) -> dict[str, Any]:
    """Create a demo workspace, import the export and build the derived tables."""
    from revarch.config import CONFIG_FILE
    from revarch.demo.company import COMPANY_NAME, CURRENCY, TIMEZONE
    from revarch.demo.stages import write_demo_settings
    from revarch.importers.base import ImportOptions
    from revarch.importers.salesforce import import_salesforce
    from revarch.process.derived import ensure_derived
    from revarch.workspace import init_workspace, open_workspace

    init_workspace(workspace, name=COMPANY_NAME, currency=CURRENCY, timezone=TIMEZONE)
    write_demo_settings(workspace / CONFIG_FILE)
    started = time.perf_counter()
    with open_workspace(workspace) as ws:
        result = import_salesforce(ws, export, ImportOptions())
        imported = time.perf_counter()
        ensure_derived(ws)
        derived = time.perf_counter()
    closed = time.perf_counter()
    return {
        "import_s": imported - started,
        "derived_s": derived - imported,
        "total_s": closed - started,
        "rows_read": result.rows_read,
        "rejected": result.rejected,
    }


def step_analytics(workspace: Path) -> dict[str, Any]:
    """Time the funnel and per-seller metrics from the stored tables, twice."""
    from revarch import compute_funnel, compute_metrics, open_workspace

    with open_workspace(workspace) as ws:
        # Open the database (and load Ibis's DuckDB backend) before the
        # clock starts, as the baselines connect and import before theirs.
        ws.store.count("opportunities")
        times = []
        for _ in range(2):
            started = time.perf_counter()
            funnel = compute_funnel(ws)
            middle = time.perf_counter()
            metrics = compute_metrics(ws, by="seller")
            times.append((middle - started, time.perf_counter() - middle))
    return {
        "funnel_s": times[0][0],
        "metrics_s": times[0][1],
        "total_s": sum(times[0]),
        "warm_total_s": sum(times[1]),
        "funnel": {
            s.stage: [s.reached, s.advanced, s.lost, s.open] for s in funnel.stages
        },
        "without_history": funnel.without_history,
        "sellers": {
            row["seller"]: [row["won"], row["lost"], row["bookings"] or 0.0]
            for row in metrics.rows
            if row["won"] or row["lost"]
        },
    }


def _stage_index() -> dict[str, int]:
    """Map each normalized stage name to its index: won past every stage, lost -1."""
    index = {name.strip().lower(): i for i, name in enumerate(STAGE_NAMES)}
    index[WON_NAME.lower()] = len(STAGE_NAMES)
    index[LOST_NAME.lower()] = -1
    return index


def step_pandas(export: Path) -> dict[str, Any]:
    """Compute the funnel and per-seller outcomes with pandas, from the CSVs."""
    import pandas as pd

    started = time.perf_counter()
    opp = pd.read_csv(
        export / "Opportunity.csv",
        usecols=["Id", "OwnerId", "CloseDate", "Amount", "CurrencyIsoCode"]
        + ["StageName", "IsClosed", "IsWon", "IsDeleted"],
        parse_dates=["CloseDate"],
    )
    hist = pd.read_csv(
        export / "OpportunityHistory.csv",
        usecols=["OpportunityId", "StageName", "IsDeleted"],
    )
    rates = pd.read_csv(
        export / "DatedConversionRate.csv", parse_dates=["StartDate", "NextStartDate"]
    )
    read = time.perf_counter()
    result = _pandas_compute(opp, hist, rates)
    done = time.perf_counter()
    return {"read_s": read - started, "compute_s": done - read, **result}


def _pandas_compute(opp: Any, hist: Any, rates: Any) -> dict[str, Any]:
    """Return the funnel and per-seller outcomes as the pandas analyst computes them."""
    import numpy as np
    import pandas as pd

    n_stages = len(STAGE_NAMES)
    index = _stage_index()
    opp = opp[~opp.IsDeleted]
    hist = hist[~hist.IsDeleted]
    hist = hist.assign(idx=hist.StageName.str.strip().str.lower().map(index))
    hist = hist[hist.idx.notna()]
    visited = hist[(hist.idx >= 0) & (hist.idx < n_stages)]
    furthest_seen = visited.groupby("OpportunityId").idx.max()

    current = opp.StageName.str.strip().str.lower().map(index)
    status = np.select(
        [current == n_stages, current == -1, current.notna()],
        ["won", "lost", "open"],
        np.where(opp.IsWon, "won", np.where(opp.IsClosed, "lost", "open")),
    )
    opp = opp.assign(
        status=status,
        current_stage=current.where((current >= 0) & (current < n_stages), 0),
        seen=opp.Id.map(furthest_seen).fillna(0),
        # A map over the grouped ids: pandas 3.1's isin() on Arrow strings
        # loops in Python and took most of this function's time.
        has_history=opp.Id.map(hist.groupby("OpportunityId").size()).notna(),
    )
    opp["furthest"] = np.where(
        opp.status == "won", n_stages, np.maximum(opp.seen, opp.current_stage)
    )
    funnel = {}
    with_history = opp[opp.has_history]
    for i, name in enumerate(STAGE_NAMES):
        at = with_history.furthest == i
        advanced = int((with_history.furthest > i).sum())
        lost = int((at & (with_history.status == "lost")).sum())
        still_open = int((at & (with_history.status == "open")).sum())
        funnel[name] = [advanced + lost + still_open, advanced, lost, still_open]

    closed = opp[opp.status.isin(["won", "lost"])].copy()
    closed["fx_date"] = closed.CloseDate
    closed = closed.sort_values("fx_date")
    rates = rates.sort_values("StartDate")
    closed = pd.merge_asof(
        closed,
        rates[["IsoCode", "StartDate", "ConversionRate"]],
        left_on="fx_date",
        right_on="StartDate",
        left_by="CurrencyIsoCode",
        right_by="IsoCode",
    )
    # DatedConversionRate gives currency units per corporate-currency unit.
    rate = closed.ConversionRate.where(closed.CurrencyIsoCode != "USD", 1.0)
    closed["bookings"] = np.where(closed.status == "won", closed.Amount / rate, 0.0)
    closed["won"] = closed.status == "won"
    closed["lost"] = closed.status == "lost"
    per_seller = closed.groupby("OwnerId")[["won", "lost", "bookings"]].sum()
    sellers = {
        seller: [int(row.won), int(row.lost), float(row.bookings)]
        for seller, row in per_seller.iterrows()
    }
    return {
        "funnel": funnel,
        "without_history": int((~opp.has_history).sum()),
        "sellers": sellers,
    }


HAND_SQL = """
WITH stage_map(label, idx) AS (VALUES {values}),
live AS (
    SELECT o.Id, o.OwnerId, o.CloseDate, o.Amount, o.CurrencyIsoCode, o.IsWon,
           o.IsClosed, m.idx AS current_idx
    FROM raw_opportunity o
    LEFT JOIN stage_map m ON m.label = lower(trim(o.StageName))
    WHERE NOT o.IsDeleted
),
history AS (
    SELECT h.OpportunityId,
           max(m.idx) FILTER (WHERE m.idx BETWEEN 0 AND {last}) AS seen
    FROM raw_history h
    JOIN stage_map m ON m.label = lower(trim(h.StageName))
    WHERE NOT h.IsDeleted
    GROUP BY h.OpportunityId
),
summary AS (
    SELECT l.*, h.OpportunityId IS NOT NULL AS has_history,
           CASE WHEN l.current_idx = {won} THEN 'won'
                WHEN l.current_idx = -1 THEN 'lost'
                WHEN l.current_idx IS NOT NULL THEN 'open'
                WHEN l.IsWon THEN 'won' WHEN l.IsClosed THEN 'lost'
                ELSE 'open' END AS status,
           h.seen
    FROM live l LEFT JOIN history h ON h.OpportunityId = l.Id
),
classified AS (
    SELECT *,
           CASE WHEN status = 'won' THEN {won}
                ELSE greatest(coalesce(seen, 0),
                              CASE WHEN current_idx BETWEEN 0 AND {last}
                                   THEN current_idx ELSE 0 END) END AS furthest,
           CASE WHEN CurrencyIsoCode = 'USD' THEN Amount
                ELSE Amount / (SELECT r.ConversionRate FROM raw_rates r
                               WHERE r.IsoCode = CurrencyIsoCode
                                 AND r.StartDate <= CloseDate
                               ORDER BY r.StartDate DESC LIMIT 1) END AS amount_base
    FROM summary
)
SELECT OwnerId, status, furthest, has_history, count(*) AS n,
       sum(amount_base) FILTER (WHERE status = 'won') AS bookings
FROM classified
GROUP BY GROUPING SETS ((OwnerId, status), (status, furthest, has_history))
"""


def step_duckdb(export: Path, database: Path) -> dict[str, Any]:
    """Load the CSVs with plain read_csv (the floor), then run the hand SQL."""
    import duckdb

    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    names = {
        "Opportunity": "raw_opportunity",
        "OpportunityHistory": "raw_history",
        "DatedConversionRate": "raw_rates",
    }
    loads = {}
    for stem in IMPORTED_FILES:
        table = names.get(stem, "raw_" + stem.lower())
        started = time.perf_counter()
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?)",
            [str(export / f"{stem}.csv")],
        )
        loads[stem] = time.perf_counter() - started
    index = _stage_index()
    values = ", ".join(f"('{label}', {i})" for label, i in index.items())
    sql = HAND_SQL.format(
        values=values, last=len(STAGE_NAMES) - 1, won=len(STAGE_NAMES)
    )
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    query_s = time.perf_counter() - started
    con.close()
    database.unlink(missing_ok=True)
    return {
        "read_s": sum(loads.values()),
        "read_files_s": loads,
        "query_s": query_s,
        **_sql_result(rows),
    }


def _sql_result(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Turn the grouping-sets rows into the funnel and per-seller outcomes."""
    counts: dict[tuple[str, int], int] = {}
    without_history = 0
    sellers: dict[str, list[Any]] = {}
    for owner, status, furthest, has_history, n, bookings in rows:
        if owner is not None:
            entry = sellers.setdefault(owner, [0, 0, 0.0])
            if status == "won":
                entry[0], entry[2] = n, float(bookings or 0.0)
            elif status == "lost":
                entry[1] = n
        elif has_history:
            counts[(status, furthest)] = counts.get((status, furthest), 0) + n
        else:
            without_history += n
    funnel = {}
    for i, name in enumerate(STAGE_NAMES):
        advanced = sum(n for (_, f), n in counts.items() if f > i)
        lost = counts.get(("lost", i), 0)
        still_open = counts.get(("open", i), 0)
        funnel[name] = [advanced + lost + still_open, advanced, lost, still_open]
    sellers = {k: v for k, v in sellers.items() if v[0] or v[1]}
    return {"funnel": funnel, "without_history": without_history, "sellers": sellers}


def run_step_here(args: argparse.Namespace) -> None:
    """Run one step in this process and print its result as one JSON line."""
    if args.step == "import":
        result = step_import(Path(args.export), Path(args.workspace))
    elif args.step == "analytics":
        result = step_analytics(Path(args.workspace))
    elif args.step == "pandas":
        result = step_pandas(Path(args.export))
    elif args.step == "generate":
        result = step_generate(Path(args.export), args.scale)
    elif args.step == "machine":
        result = machine()
    elif args.step == "duckdb":
        result = step_duckdb(Path(args.export), Path(args.workspace))
    else:
        raise SystemExit(f"unknown --step {args.step}")
    print(json.dumps(result))


# -- the driver -------------------------------------------------------------------


def measure_rss(command: list[str]) -> dict[str, Any]:
    """Run ``command`` under ``os.wait4`` to read the child's own peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = _drain(process)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, **result}


def _drain(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Read a child's stdout and stderr to the end without reaping it."""
    import threading

    assert process.stdout is not None and process.stderr is not None
    chunks: dict[str, str] = {}

    def read(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    threads = [
        threading.Thread(target=read, args=("out", process.stdout)),
        threading.Thread(target=read, args=("err", process.stderr)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return chunks["out"], chunks["err"]


def make_export(scale: float, data: Path) -> tuple[Path, dict[str, int]]:
    """Write the demo export for ``scale`` under ``data`` unless it is there.

    The export is written by a subprocess, so this driver stays small: a
    child's peak RSS on Linux starts at its parent's RSS at the fork.
    """
    folder = data / f"scale-{scale:g}"
    export = folder / "export"
    counts_file = folder / "counts.json"
    if not counts_file.exists():
        shutil.rmtree(folder, ignore_errors=True)
        command = [sys.executable, str(Path(__file__).resolve()), "--step"]
        command += ["generate", "--export", str(export), "--scale", str(scale)]
        counts = measure_rss(command)
        counts_file.write_text(json.dumps(counts))
    return export, json.loads(counts_file.read_text())


def step_generate(export: Path, scale: float) -> dict[str, Any]:
    """Write the demo company's export for ``scale``; return what it holds."""
    from revarch.demo.create import opportunity_count
    from revarch.demo.export import write_export

    counts = write_export(
        export,
        seed=SEED,
        sellers=SELLERS,
        months=MONTHS,
        opportunities=opportunity_count(SELLERS, MONTHS, scale),
        progress=lambda *_: None,
        step=0,
        steps=1,
    )
    return {
        "opportunities": counts.opportunities,
        "deleted": counts.deleted,
        "history_rows": counts.history_rows,
        "tasks": counts.tasks,
        "events": counts.events,
        "csv_mb": round(sum(f.stat().st_size for f in export.iterdir()) / 2**20),
    }


def one_run(scale: float, export: Path, data: Path) -> dict[str, Any]:
    """Run every step once at one scale; return their measurements."""

    python = sys.executable
    me = str(Path(__file__).resolve())
    workspace = data / f"scale-{scale:g}" / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    run: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    step = [python, me, "--step"]
    run["import"] = measure_rss(
        [*step, "import", "--export", str(export), "--workspace", str(workspace)]
    )
    report = data / f"scale-{scale:g}" / "report.html"
    revarch = str(Path(python).with_name("revarch"))
    run["report"] = measure_rss(
        [
            revarch,
            "-w",
            str(workspace),
            "report",
            "--out",
            str(report),
            "--generated-at",
            GENERATED_AT,
        ]
    )
    run["analytics"] = measure_rss([*step, "analytics", "--workspace", str(workspace)])
    run["pandas"] = measure_rss([*step, "pandas", "--export", str(export)])
    floor_db = data / f"scale-{scale:g}" / "floor.duckdb"
    run["duckdb"] = measure_rss(
        [*step, "duckdb", "--export", str(export), "--workspace", str(floor_db)]
    )
    run["load_after"] = os.getloadavg()[0]
    return run


def _ordered_funnel(funnel: dict[str, list[int]]) -> list[list[int]]:
    return [list(map(int, counts)) for counts in funnel.values()]


def compare(run: dict[str, Any]) -> list[str]:
    """Return the differences between revarch, pandas and hand SQL results."""
    problems = []
    ours = run["analytics"]
    for name in ("pandas", "duckdb"):
        theirs = run[name]
        if _ordered_funnel(ours["funnel"]) != _ordered_funnel(theirs["funnel"]):
            problems.append(
                f"funnel differs: revarch {_ordered_funnel(ours['funnel'])} vs "
                f"{name} {_ordered_funnel(theirs['funnel'])}"
            )
        if ours["without_history"] != theirs["without_history"]:
            problems.append(
                f"without history: revarch {ours['without_history']} vs {name} "
                f"{theirs['without_history']}"
            )
        mine = {k: (int(v[0]), int(v[1])) for k, v in ours["sellers"].items()}
        other = {k: (int(v[0]), int(v[1])) for k, v in theirs["sellers"].items()}
        if mine != other:
            keys = sorted(
                k for k in mine.keys() | other.keys() if mine.get(k) != other.get(k)
            )
            examples = ", ".join(
                f"{k}: {mine.get(k)} vs {other.get(k)}" for k in keys[:5]
            )
            problems.append(
                f"per-seller won/lost differ vs {name} ({len(keys)}): {examples}"
            )
        worst = 0.0
        for seller, values in ours["sellers"].items():
            if seller in theirs["sellers"]:
                a, b = float(values[2]), float(theirs["sellers"][seller][2])
                worst = max(worst, abs(a - b) / max(abs(a), 1.0))
        if worst > 1e-6:
            problems.append(
                f"bookings differ vs {name}: worst relative gap {worst:.2e}"
            )
    return problems


def _strip(run: dict[str, Any]) -> dict[str, Any]:
    """Drop the per-seller and funnel detail before storing a run."""
    out = {}
    for key, value in run.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("sellers", "funnel")}
        out[key] = value
    return out


TIMES = {
    "import_total_s": ("import", "total_s"),
    "import_import_s": ("import", "import_s"),
    "import_derived_s": ("import", "derived_s"),
    "import_process_s": ("import", "wall_s"),
    "import_rss_mb": ("import", "peak_rss_mb"),
    "report_s": ("report", "wall_s"),
    "report_rss_mb": ("report", "peak_rss_mb"),
    "analytics_s": ("analytics", "total_s"),
    "analytics_funnel_s": ("analytics", "funnel_s"),
    "analytics_metrics_s": ("analytics", "metrics_s"),
    "analytics_warm_s": ("analytics", "warm_total_s"),
    "analytics_process_s": ("analytics", "wall_s"),
    "analytics_rss_mb": ("analytics", "peak_rss_mb"),
    "pandas_read_s": ("pandas", "read_s"),
    "pandas_compute_s": ("pandas", "compute_s"),
    "pandas_process_s": ("pandas", "wall_s"),
    "pandas_rss_mb": ("pandas", "peak_rss_mb"),
    "raw_read_s": ("duckdb", "read_s"),
    "hand_sql_s": ("duckdb", "query_s"),
    "duckdb_process_s": ("duckdb", "wall_s"),
    "duckdb_rss_mb": ("duckdb", "peak_rss_mb"),
}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median of every measure over the runs, and the ratios."""
    med = {
        name: statistics.median(run[step][key] for run in runs)
        for name, (step, key) in TIMES.items()
    }
    med["load"] = statistics.median(
        (run["load_before"] + run["load_after"]) / 2 for run in runs
    )
    med["pandas_over_revarch"] = med["pandas_compute_s"] / med["analytics_s"]
    med["pandas_over_revarch_warm"] = med["pandas_compute_s"] / med["analytics_warm_s"]
    med["hand_sql_over_revarch"] = med["hand_sql_s"] / med["analytics_s"]
    med["hand_sql_over_revarch_warm"] = med["hand_sql_s"] / med["analytics_warm_s"]
    med["import_over_raw_read"] = med["import_total_s"] / med["raw_read_s"]
    return med


def growth(results: dict[str, Any], small: str, large: str) -> dict[str, float]:
    """Return cost(large) / cost(small) per measure, beside the volume ratio."""
    a, b = results[small], results[large]
    out = {"opportunities": b["counts"]["opportunities"] / a["counts"]["opportunities"]}
    for name in TIMES:
        low = a["summary"][name]
        out[name] = b["summary"][name] / low if low else float("nan")
    return out


def print_summary(scale: str, result: dict[str, Any]) -> None:
    med = result["summary"]
    counts = result["counts"]
    print(
        f"scale {scale}: {counts['opportunities']:,} opportunities, "
        f"{counts['history_rows']:,} history rows, "
        f"{counts['tasks'] + counts['events']:,} activities, {counts['csv_mb']} MB"
    )
    for name, value in med.items():
        print(f"  {name:28} {value:10.3f}")
    for problem in result["mismatches"]:
        print(f"  !!! MISMATCH: {problem}")


def parse_args() -> argparse.Namespace:
    """Parse the command line; the hidden options run one step."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 16.0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scale")
    parser.add_argument(
        "--large-runs", type=int, default=1, help="runs at scales of 100 or more"
    )
    parser.add_argument("--data", default="/tmp/revarch-scale", help="data folder")
    parser.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "results" / "scale.json"),
        help="JSON results file",
    )
    parser.add_argument(
        "--tables",
        action="store_true",
        help="print the results of --out as Markdown tables and stop",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    return parser.parse_args()


def run_scale(scale: float, runs: int, data: Path) -> dict[str, Any]:
    """Run every step ``runs`` times at one scale; return the medians and runs."""
    export, counts = make_export(scale, data)
    measured = []
    for number in range(runs):
        log.info("scale %g: run %d of %d", scale, number + 1, runs)
        measured.append(one_run(scale, export, data))
    return {
        "counts": counts,
        "runs": [_strip(run) for run in measured],
        "summary": summarize(measured),
        "mismatches": sorted({p for run in measured for p in compare(run)}),
    }


def main() -> None:
    args = parse_args()
    if args.step:
        run_step_here(args)
        return
    if args.tables:
        print(markdown(json.loads(Path(args.out).read_text())))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for scale in args.scales:
        runs = args.large_runs if scale >= 100 else args.runs
        key = f"{scale:g}"
        results[key] = run_scale(scale, runs, data)
        print_summary(key, results[key])

    keys = list(results)
    ratios = {
        f"{keys[i]}->{keys[i + 1]}": growth(results, keys[i], keys[i + 1])
        for i in range(len(keys) - 1)
    }
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": measure_rss(
            [sys.executable, str(Path(__file__).resolve()), "--step", "machine"]
        ),
        "scales": results,
        "growth": ratios,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    for step, values in ratios.items():
        print(f"growth {step}: " + ", ".join(f"{k} {v:.2f}" for k, v in values.items()))
    print(f"wrote {out}")


# -- Markdown tables for benchmarks/README.md ------------------------------------

STEP_ROWS = (
    ("import incl. derived tables", "import_total_s", "import_rss_mb"),
    ("&nbsp;&nbsp;of which `import_salesforce`", "import_import_s", None),
    ("&nbsp;&nbsp;of which `ensure_derived`", "import_derived_s", None),
    ("`revarch report` (whole command)", "report_s", "report_rss_mb"),
    (
        "funnel + per-seller metrics, first call (cold)",
        "analytics_s",
        "analytics_rss_mb",
    ),
    ("funnel + per-seller metrics, second call (warm)", "analytics_warm_s", None),
    ("pandas: read the CSVs", "pandas_read_s", None),
    ("pandas: compute", "pandas_compute_s", "pandas_rss_mb"),
    ("DuckDB: `read_csv` of every imported file (floor)", "raw_read_s", None),
    ("DuckDB: hand-written SQL on the raw tables", "hand_sql_s", "duckdb_rss_mb"),
)
GROWTH_COLUMNS = (
    ("import", "import_total_s"),
    ("raw read", "raw_read_s"),
    ("report", "report_s"),
    ("analytics cold", "analytics_s"),
    ("analytics warm", "analytics_warm_s"),
    ("pandas compute", "pandas_compute_s"),
    ("hand SQL", "hand_sql_s"),
    ("import RSS", "import_rss_mb"),
)


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.1f} s"


def _scale_tables(key: str, result: dict[str, Any]) -> list[str]:
    med, counts = result["summary"], result["counts"]
    runs = len(result["runs"])
    activities = counts["tasks"] + counts["events"]
    lines = [
        f"#### Scale {key}: {counts['opportunities']:,} opportunities, "
        f"{counts['history_rows']:,} history rows, {activities:,} activities, "
        f"{counts['csv_mb']:,} MB of CSV",
        "",
        ("Median of " + str(runs) + " runs" if runs > 1 else "One run")
        + f", load average {med['load']:.1f}.",
        "",
        "| step | time | peak RSS |",
        "|---|---|---|",
    ]
    for label, time_key, rss_key in STEP_ROWS:
        rss = f"{med[rss_key]:,.0f} MB" if rss_key else ""
        lines.append(f"| {label} | {_seconds(med[time_key])} | {rss} |")
    verdict = "Results agree." if not result["mismatches"] else "RESULTS DIFFER."
    lines += [
        "",
        f"Ratios: pandas compute / revarch analytics "
        f"{med['pandas_over_revarch']:.1f}x cold, "
        f"{med['pandas_over_revarch_warm']:.1f}x warm; hand SQL / revarch "
        f"analytics {med['hand_sql_over_revarch']:.2f} cold, "
        f"{med['hand_sql_over_revarch_warm']:.2f} warm (above 1: revarch is "
        f"faster); import / raw read {med['import_over_raw_read']:.1f}x. {verdict}",
        "",
    ]
    return lines


def markdown(document: dict[str, Any]) -> str:
    """Return the per-scale and growth tables of a results document."""
    lines: list[str] = []
    for key, result in document["scales"].items():
        lines += _scale_tables(key, result)
    if document["growth"]:
        lines += [
            "#### Growth",
            "",
            "Cost at the larger scale over the cost at the smaller one:",
            "",
            "| scales | opportunities | "
            + " | ".join(name for name, _ in GROWTH_COLUMNS)
            + " |",
            "|---|---|" + "---|" * len(GROWTH_COLUMNS),
        ]
        for step, values in document["growth"].items():
            cells = [f"{values[key]:.1f}x" for _, key in GROWTH_COLUMNS]
            lines.append(
                f"| {step} | {values['opportunities']:.0f}x | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Describe the machine and the library versions."""
    import duckdb
    import ibis
    import pandas

    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {
        "uname": " ".join(platform.uname()),
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "pandas": pandas.__version__,
    }


if __name__ == "__main__":
    main()
