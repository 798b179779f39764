"""The Spark engine for the features (`SHOUHU_BACKEND=spark`): Ibis' PySpark backend on a Parquet lake
(`data_contracts.lake`). `local[*]` on one machine, a cluster by URL (`SHOUHU_SPARK_MASTER`).

Intermediate results are `CACHE TABLE … AS SELECT …` (eager): each step is computed once, like DuckDB's temp
tables, and a cached table carries its true size. That size is what lets Spark broadcast the small side of
the features' inequality joins (the as-of dates, the term starts, the school-day numbering): without it, a
join of attendance with the dates on `recorded_at < as_of` plans as a Cartesian product. The dates and
calendar-derived tables are cached on load for the same reason."""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from data_contracts.feeds import FEEDS
from data_contracts.lake import MARKER, is_lake, lake_feeds, write_lake
from features.backend import feed_schema

LOCAL = "local[*]"
_SPARK_TYPES = {"timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "int64": "BIGINT", "float64": "DOUBLE"}


def python_for_workers() -> None:
    """Spark's Python workers (UDFs, MLflow's spark_udf) must run this interpreter, the one with the project's
    packages; a bare `python3` on PATH would lack them."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@cache
def spark_session(master: str | None = None, shuffle_partitions: int | None = None) -> Any:
    """One SparkSession per process and master (Spark allows one active context anyway)."""
    from pyspark.sql import SparkSession

    python_for_workers()
    cores = os.cpu_count() or 2
    return (
        SparkSession.builder.master(master or LOCAL)
        .appName("shouhu-features")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # the default 200 shuffle partitions cost ~ms each on small data; AQE coalesces further
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or max(4, 2 * cores)))
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )


def _ddl(name: str) -> str:
    return ", ".join(f"`{c}` {_SPARK_TYPES.get(str(t).split('(')[0], 'STRING')}" for c, t in _schema(name))


def _schema(name: str) -> list[tuple[str, str]]:
    s = feed_schema(name)
    return [(c, "timestamp" if s[c].is_timestamp() else str(s[c]).removeprefix("!")) for c in s.names]


@dataclass
class SparkWarehouse:
    """A warehouse on a Spark session: each feed of the lake is a temp view (columns cast to the contract's
    types, so DuckDB-written timestamps read as Spark timestamps), intermediate results are cached tables."""

    con: ibis.BaseBackend
    lake: Path
    recorded: list[str] = field(default_factory=list)
    _tables: dict[str, ir.Table] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)
    _present: frozenset[str] = frozenset()
    _prefix: str = ""
    _made: list[str] = field(default_factory=list)  # temp views this warehouse created, dropped on close

    def __post_init__(self) -> None:
        self._present = frozenset(lake_feeds(self.lake))
        # views of different lakes may share one session: the prefix keeps their names apart
        self._prefix = "wh" + hashlib.sha1(str(self.lake).encode()).hexdigest()[:8] + "_"
        for feed in self._present:
            cols = ", ".join(
                f"CAST(`{c}` AS {_SPARK_TYPES.get(t, 'STRING')}) AS `{c}`" for c, t in _schema(feed)
            )
            self._sql(
                f"CREATE OR REPLACE TEMP VIEW `{self._prefix}{feed}` AS SELECT {cols} "
                f"FROM parquet.`{self.lake / feed}`"
            )
            self._made.append(self._prefix + feed)

    @property
    def session(self) -> Any:
        return self.con._session

    @property
    def key(self) -> tuple:
        return ("spark", str(self.lake))

    def _sql(self, sql: str) -> Any:
        return self.session.sql(sql)

    def has(self, name: str) -> bool:
        return name in self._present

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            if self.has(name):
                self._tables[name] = self.con.table(self._prefix + name)
            else:
                stand_in = f"{self._prefix}empty_{name}"
                empty = self.session.createDataFrame([], _ddl(name))
                empty.createOrReplaceTempView(stand_in)
                self._made.append(stand_in)
                self._tables[name] = self.con.table(stand_in)
        return self._tables[name]

    def materialize(self, expr: ir.Table, hint: str = "t") -> ir.Table:
        """Compute `expr` once into a cached temp table (its size then known to the planner)."""
        name = f"_f{next(self._counter)}_{hint}"
        self._step(f"DROP VIEW IF EXISTS `{name}`")
        self._step(f"CACHE TABLE `{name}` AS {self.con.compile(expr)}")
        self._made.append(name)
        return self.con.table(name)

    def _step(self, sql: str) -> None:
        self._sql(sql)
        self.recorded.append(sql)

    def available(self) -> tuple[str, ...]:
        return tuple(n for n in FEEDS if self.has(n))

    def load_frame(self, name: str, frame: pd.DataFrame) -> ir.Table:
        """A small pandas frame (as-of dates, truth) as a cached temp view: cached, so its size is known and
        the joins on it are broadcast."""
        self._sql(f"DROP VIEW IF EXISTS `{name}`")
        df = self.session.createDataFrame(frame)
        df.createOrReplaceTempView(name)
        self._sql(f"CACHE TABLE `{name}`")
        self._made.append(name)
        return self.con.table(name)

    def session_table(self, name: str) -> ir.Table:
        return self.con.table(name)

    def compile(self, expr: ir.Table) -> str:
        return self.con.compile(expr)

    def replay(self, statements: Sequence[str], query: str) -> pd.DataFrame:
        for sql in statements:
            self._sql(sql)
        return self.query(query)

    def query(self, sql: str) -> pd.DataFrame:
        return self._sql(sql).toPandas()

    def plan(self, sql: str) -> str:
        """Spark's physical plan of a query (what a test inspects for Cartesian products)."""
        return self._sql(sql)._jdf.queryExecution().executedPlan().toString()

    def layout(self) -> tuple[tuple[str, str], ...]:
        return tuple((feed, c) for feed in sorted(self._present) for c, _ in _schema(feed))

    def latest_recorded_at(self, feeds: Sequence[str] | None = None) -> datetime | None:
        names = [n for n in (feeds or FEEDS) if "recorded_at" in feed_schema(n) and self.has(n)]
        if not names:
            return None
        union = " UNION ALL ".join(f"SELECT max(recorded_at) AS t FROM `{self._prefix}{n}`" for n in names)
        value = self._sql(f"SELECT max(t) AS t FROM ({union})").collect()[0][0]
        return None if value is None else pd.Timestamp(value).to_pydatetime()

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return self.query(self.compile(expr))

    def close(self) -> None:
        # the session outlives this warehouse (one per process): drop what we made, keep the session
        for name in reversed(self._made):
            self._sql(f"DROP VIEW IF EXISTS `{name}`")
        self._made.clear()


def lake_for(path: Path) -> Path:
    """The lake to read for `path`: the folder itself, or a DuckDB file's lake written beside it (again when
    the file changed since)."""
    if is_lake(path):
        return path
    lake = path.with_name(path.name + ".lake")
    marker = lake / MARKER
    if not marker.exists() or marker.stat().st_mtime < path.stat().st_mtime:
        write_lake(path, lake)
    return lake


def open_spark(path: Path | str, master: str | None = None) -> SparkWarehouse:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist; run `shouhu ingest` first")
    con = ibis.pyspark.connect(spark_session(master))
    return SparkWarehouse(con, lake_for(path).resolve())
