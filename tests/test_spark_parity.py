"""The analytics on Spark give the results they give on the workspace's DuckDB file.

A small demo workspace is analysed twice: on its DuckDB file, and with
``analytics.backend: pyspark`` reading its imported tables from Spark
tables (Parquet files in a local warehouse). Counts must be equal; rates,
amounts and days equal within 1e-9. Percentiles are computed the same way
on both engines (exact linear interpolation: DuckDB's quantile_cont, Spark's
percentile), so they get the same tolerance.

The tests skip without PySpark or Java, and fail instead under CI=true.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from revarch import (
    compute_funnel,
    compute_metrics,
    compute_transitions,
    compute_velocity,
)
from revarch.config import ANALYTICS_TABLES, Analytics, read_settings
from revarch.demo import create_demo
from revarch.errors import ConfigError, InputError, RevarchError
from revarch.importers.base import ImportOptions
from revarch.importers.csvtables import import_tables
from revarch.storage.schema import IMPORTED_TABLES
from revarch.timeframe import period_key, period_of
from revarch.workspace import Workspace, open_workspace

TOLERANCE = 1e-9
# Mapped to Spark tables; stage_labels, quotas and assessments are left to
# the copy from the workspace file, so both ways of reading are covered.
MAPPED = ("opportunities", "stage_events", "sellers", "fx_rates", "activities")
DATABASE = "crm"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytestmark = [
    # PySpark 4.0's toPandas passes copy= to pandas 3, which deprecates it.
    pytest.mark.filterwarnings(
        "ignore:The copy keyword is deprecated:DeprecationWarning:pyspark"
    ),
    # Py4J leaves its gateway sockets to the garbage collector.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def require_spark() -> None:
    """Skip (fail under CI) unless PySpark and a Java runtime are installed."""
    reason = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reason = "PySpark is not installed; run pip install 'revarch[spark]'"
    home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") or (home and (Path(home) / "bin/java").exists())
    if reason is None and not has_java:
        reason = "Java is not installed; Spark needs Java 17"
    if reason is None:
        return
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session for the module, its files under a temp folder."""
    require_spark()
    from pyspark.sql import SparkSession

    base = tmp_path_factory.mktemp("spark")
    previous = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("revarch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(base / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    # Collect Py4J's sockets now, while this module's warning filters apply.
    gc.collect()
    if previous is None:
        os.environ.pop("SPARK_LOCAL_IP", None)
    else:
        os.environ["SPARK_LOCAL_IP"] = previous


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> Path:
    """A demo workspace whose mapped tables are also Spark tables in ``crm``."""
    folder = tmp_path_factory.mktemp("parity") / "demo"
    create_demo(folder, sellers=8, months=6, seed=3, scale=0.3)
    exported = folder.parent / "parquet"
    exported.mkdir()
    spark.sql(f"CREATE DATABASE {DATABASE}")
    with open_workspace(folder) as workspace:
        for name in MAPPED:
            path = exported / f"{name}.parquet"
            database = workspace.database
            database.ibis.to_parquet(database.table(name), path)
            spark.sql(f"CREATE TABLE {DATABASE}.{name} USING parquet LOCATION '{path}'")
    return folder


def on_spark(folder: Path) -> Workspace:
    """Open the workspace with its settings pointed at the Spark tables."""
    workspace = open_workspace(folder)
    workspace.settings.analytics = Analytics(
        backend="pyspark",
        tables={name: f"{DATABASE}.{name}" for name in MAPPED},
    )
    return workspace


def assert_same(duck: Any, spark: Any, where: str = "result") -> None:
    """Assert two JSON-like results are equal: numbers within the tolerance."""
    if isinstance(duck, dict):
        assert isinstance(spark, dict), where
        assert sorted(duck) == sorted(spark), where
        for key in duck:
            assert_same(duck[key], spark[key], f"{where}.{key}")
    elif isinstance(duck, list | tuple):
        assert isinstance(spark, list | tuple), where
        assert len(duck) == len(spark), where
        for i, (left, right) in enumerate(zip(duck, spark, strict=True)):
            assert_same(left, right, f"{where}[{i}]")
    elif isinstance(duck, bool | str) or isinstance(spark, bool | str):
        assert duck == spark, f"{where}: {duck!r} vs {spark!r}"
    elif isinstance(duck, int) and isinstance(spark, int):
        assert duck == spark, f"{where}: {duck} vs {spark}"
    elif isinstance(duck, float) or isinstance(spark, float):
        assert duck is not None and spark is not None, f"{where}: {duck} vs {spark}"
        if math.isnan(duck) or math.isnan(spark):
            assert math.isnan(duck), where
            assert math.isnan(spark), where
        else:
            assert abs(duck - spark) <= TOLERANCE, f"{where}: {duck} vs {spark}"
    else:
        assert duck == spark, f"{where}: {duck!r} vs {spark!r}"


@pytest.fixture(scope="module")
def results(demo: Path) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Run each analysis on both engines: name to (DuckDB, Spark) results."""
    analyses = {
        "funnel": lambda ws: compute_funnel(ws).to_dict(),
        "transitions": lambda ws: compute_transitions(ws).to_dict(),
        "velocity": lambda ws: compute_velocity(ws).to_dict(detail=True),
        "metrics": lambda ws: compute_metrics(ws, by="seller").to_dict(),
        "metrics_week": lambda ws: compute_metrics(ws, by="week").to_dict(),
    }
    with open_workspace(demo) as workspace:
        duck = {name: run(workspace) for name, run in analyses.items()}
    with on_spark(demo) as workspace:
        spark = {name: run(workspace) for name, run in analyses.items()}
        backends = {
            name: ibis.get_backend(workspace.store.table(name)).name
            for name in ("opportunities", "stage_labels", "stage_visits")
        }
    assert backends == dict.fromkeys(backends, "pyspark")
    return {name: (duck[name], spark[name]) for name in analyses}


@pytest.mark.parametrize(
    "analysis", ["funnel", "transitions", "velocity", "metrics", "metrics_week"]
)
def test_spark_matches_duckdb(
    results: dict[str, tuple[dict[str, Any], dict[str, Any]]], analysis: str
) -> None:
    duck, spark = results[analysis]
    assert_same(duck, spark, analysis)


def test_parity_covers_data(
    results: dict[str, tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    """Guard against a vacuous comparison: the results have rows to compare."""
    funnel = results["funnel"][0]
    assert funnel["won"] > 0
    assert funnel["lost"] > 0
    assert sum(t["count"] for t in results["transitions"][0]["transitions"]) > 0
    assert any(s["days_median"] is not None for s in results["velocity"][0]["stages"])
    assert len(results["metrics"][0]["rows"]) >= 2


def test_spark_reads_mapped_tables(demo: Path, spark: Any) -> None:
    """A row only the Spark table has shows up, so Spark is what is read."""
    spark.sql(
        f"CREATE OR REPLACE TEMP VIEW extra_sellers AS SELECT * FROM "
        f"{DATABASE}.sellers UNION ALL (SELECT 'extra-id', 'Extra Seller', "
        "email, manager_id, team, role, region, hire_date, active, is_seller, "
        f"import_source, import_file, 'extra', false FROM {DATABASE}.sellers "
        "LIMIT 1)"
    )
    with open_workspace(demo) as workspace:
        in_file = workspace.store.count("sellers")
    with on_spark(demo) as workspace:
        workspace.settings.analytics = Analytics(
            backend="pyspark", tables={"sellers": "extra_sellers"}
        )
        on_backend = workspace.store.count("sellers")
    assert on_backend == in_file + 1


def test_missing_backend_table_raises(demo: Path, spark: Any) -> None:
    with on_spark(demo) as workspace:
        workspace.settings.analytics = Analytics(
            backend="pyspark", tables={"opportunities": "crm.no_such_table"}
        )
        with pytest.raises(InputError) as error:
            workspace.store.table("opportunities")
    message = str(error.value)
    assert "analytics.tables.opportunities" in message
    assert "crm.no_such_table" in message


def test_missing_columns_raise(demo: Path, spark: Any) -> None:
    spark.sql(
        f"CREATE OR REPLACE TEMP VIEW thin_sellers AS SELECT id, name "
        f"FROM {DATABASE}.sellers"
    )
    with on_spark(demo) as workspace:
        workspace.settings.analytics = Analytics(
            backend="pyspark", tables={"sellers": "thin_sellers"}
        )
        with pytest.raises(InputError) as error:
            workspace.store.table("sellers")
    message = str(error.value)
    assert "analytics.tables.sellers" in message
    assert "email" in message
    assert "manager_id" in message


def test_uncastable_values_name_mapping(demo: Path, spark: Any) -> None:
    """Text in a date column fails in Spark; the error names the mapping."""
    spark.sql(
        "CREATE OR REPLACE TEMP VIEW bad_fx AS SELECT currency, "
        "'not a date' AS date, rate, import_source, import_file, source_id, "
        f"is_deleted FROM {DATABASE}.fx_rates"
    )
    with on_spark(demo) as workspace:
        workspace.settings.analytics = Analytics(
            backend="pyspark", tables={"fx_rates": "bad_fx"}
        )
        with pytest.raises(RevarchError) as error:
            workspace.store.rows(workspace.store.table("fx_rates"))
    message = str(error.value)
    assert "backend failed" in message
    assert "fx_rates -> bad_fx" in message


def test_answers_reach_copy(demo: Path, spark: Any) -> None:
    """A row written through the Spark store lands in the file and its copy."""
    row = {
        "opportunity_id": "o-parity",
        "question": "budget",
        "answer": "yes",
        "answered_at": dt.datetime(2025, 1, 2, 3, 4, 5),
        "answered_by": "tester",
    }
    with on_spark(demo) as workspace:
        before = workspace.store.count("inspection_answers")
        workspace.store.insert_rows("inspection_answers", [row])
        after = workspace.store.count("inspection_answers")
        in_file = workspace.database.count("inspection_answers")
    assert after == before + 1
    assert in_file == after


def test_import_refreshes_copy(demo: Path, spark: Any, tmp_path: Path) -> None:
    """An import into the file reaches an unmapped table's copy on Spark."""
    with on_spark(demo) as workspace:
        sellers = workspace.database.table("sellers")
        seller = workspace.database.rows(sellers.select("id"), limit=1)[0]["id"]
        before = workspace.store.count("quotas")
        (tmp_path / "quotas.csv").write_text(
            f"seller_id,period,amount,currency\n{seller},2031-Q1,1000,USD\n",
            encoding="utf-8",
        )
        import_tables(workspace, tmp_path, ImportOptions(partial=True))
        after = workspace.store.count("quotas")
        in_file = workspace.database.count("quotas")
    assert after == before + 1
    assert in_file == after


def test_missing_pyspark_names_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from revarch.storage.spark import connect_spark

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(RevarchError) as error:
        connect_spark("local[2]", {})
    assert "pip install 'revarch[spark]'" in str(error.value)


def test_missing_java_names_java(monkeypatch: pytest.MonkeyPatch) -> None:
    from revarch.storage.spark import check_java

    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(RevarchError) as error:
        check_java()
    assert "Java 17" in str(error.value)
    assert "JAVA_HOME" in str(error.value)


# -- settings ---------------------------------------------------------------------


def write_settings(folder: Path, text: str) -> Path:
    path = folder / "revarch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_table_key_lists_valid(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        "analytics:\n  backend: pyspark\n  tables:\n    deals: crm.deals\n",
    )
    with pytest.raises(ConfigError) as error:
        read_settings(path)
    message = str(error.value)
    assert str(path) in message
    assert "analytics.tables" in message
    assert "'deals'" in message
    for name in ANALYTICS_TABLES:
        assert name in message


def test_unknown_backend_rejected(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "analytics:\n  backend: spark\n")
    with pytest.raises(ConfigError) as error:
        read_settings(path)
    message = str(error.value)
    assert "analytics.backend" in message
    assert "'spark'" in message
    assert "'pyspark'" in message


def test_tables_without_backend_rejected(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path, "analytics:\n  tables:\n    opportunities: crm.opportunities\n"
    )
    with pytest.raises(ConfigError) as error:
        read_settings(path)
    assert "analytics.backend: pyspark" in str(error.value)


def test_bad_backend_table_name(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        "analytics:\n  backend: pyspark\n  tables:\n    sellers: 'crm sellers'\n",
    )
    with pytest.raises(ConfigError) as error:
        read_settings(path)
    assert "'crm sellers'" in str(error.value)


def test_conf_scalars_become_text(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        "analytics:\n  backend: pyspark\n  conf:\n"
        "    spark.sql.shuffle.partitions: 4\n"
        "    spark.sql.adaptive.enabled: true\n"
        "    spark.driver.memory: 2g\n",
    )
    analytics = read_settings(path).analytics
    assert analytics.conf == {
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.memory": "2g",
    }
    assert analytics.master == "local[2]"


def test_default_backend_duckdb(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "company:\n  name: Acme\n")
    assert read_settings(path).analytics.backend == "duckdb"


def test_mappable_tables_are_imported() -> None:
    assert sorted(ANALYTICS_TABLES) == sorted(IMPORTED_TABLES)


# -- rewrites that let Spark run the analyses ----------------------------------------


def test_iso_week_keys_match_python() -> None:
    """Week keys built from the week's Thursday match Python's ISO calendar."""
    days = [dt.date(2019, 12, 20) + dt.timedelta(days=n) for n in range(0, 2400, 3)]
    days += [dt.date(year, 12, 31) for year in range(2015, 2030)]
    days += [dt.date(year, 1, 1) for year in range(2015, 2030)]
    table = ibis.memtable({"day": days})
    keys = ibis.duckdb.connect().execute(
        table.select(key=period_key(table.day, "week"))
    )
    assert keys["key"].tolist() == [period_of(day, "week").id for day in days]
