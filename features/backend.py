"""The warehouse the features read, behind one protocol (`Backend`): DuckDB (default, embedded; a DuckDB file
or a Parquet lake) and Spark (`features.spark_backend`, via Ibis' PySpark backend). The builders only see
`ibis.Table`s and this protocol, so the same definitions run on either engine; every engine-specific call
(attaching files, catalogs, registering frames, temporary tables, caching) lives in an implementation."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import ibis
import ibis.expr.types as ir
import pandas as pd

from data_contracts.feeds import FEEDS
from data_contracts.lake import is_lake, lake_feeds, lake_glob
from data_contracts.warehouse import table_columns

_SQL_TO_IBIS = {"TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "BIGINT": "int64", "DOUBLE": "float64"}
BACKENDS = ("duckdb", "spark")


def feed_schema(name: str) -> ibis.Schema:
    """The warehouse schema of a feed's table (docs/architecture.md §2), lineage columns left out."""
    cols = table_columns(FEEDS[name])
    return ibis.schema({c: _SQL_TO_IBIS.get(t, "string") for c, t in cols.items() if not c.startswith("_")})


def _ddl(name: str) -> str:
    cols = table_columns(FEEDS[name])
    return ", ".join(f'"{c}" {t}' for c, t in cols.items() if not c.startswith("_"))


@runtime_checkable
class Backend(Protocol):
    """What the feature builders need from a warehouse, whatever engine runs it. A compiled plan is a list
    of statements (`recorded`, each materializing one intermediate table) and a final query; `key`
    identifies what a plan may be replayed on."""

    recorded: list[str]

    @property
    def key(self) -> tuple: ...

    def has(self, name: str) -> bool: ...

    def table(self, name: str) -> ir.Table: ...

    def materialize(self, expr: ir.Table, hint: str = "t") -> ir.Table: ...

    def available(self) -> tuple[str, ...]: ...

    def load_frame(self, name: str, frame: pd.DataFrame) -> ir.Table: ...

    def session_table(self, name: str) -> ir.Table: ...

    def compile(self, expr: ir.Table) -> str: ...

    def replay(self, statements: Sequence[str], query: str) -> pd.DataFrame: ...

    def query(self, sql: str) -> pd.DataFrame: ...

    def layout(self) -> tuple[tuple[str, str], ...]: ...

    def latest_recorded_at(self, feeds: Sequence[str] | None = None) -> datetime | None: ...

    def execute(self, expr: ir.Table) -> pd.DataFrame: ...

    def close(self) -> None: ...


@dataclass
class DuckDBWarehouse:
    """An open warehouse seen through an in-memory DuckDB session: the warehouse file is attached read-only
    (so ingest may keep writing elsewhere) or a Parquet lake's feeds are views, intermediate results are
    materialized as temp tables in the session (keeps each compiled query small), and a feed without a
    table reads as an empty table."""

    con: ibis.BaseBackend
    database: tuple[str, str] | None = None  # where the feed tables live; None = the session itself
    _tables: dict[str, ir.Table] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)
    recorded: list[str] = field(default_factory=list)  # statements that built the session's temp tables
    _present: frozenset[str] | None = None  # feed tables found, looked up once
    source: str = ""  # the lake a session's views read (part of the plan key)

    @property
    def key(self) -> tuple:
        return ("duckdb", self.database, self.source)

    def _raw(self, sql: str, params: list | None = None) -> list[tuple]:
        # raw DuckDB cursor: Ibis 12's own catalog helpers call a cursor method DuckDB 2 removed
        return self.con.con.execute(sql, params or []).fetchall()

    def has(self, name: str) -> bool:
        if self._present is None:
            catalog, schema = self.database or ("memory", "main")
            rows = self._raw(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = ? AND table_schema = ?",
                [catalog, schema],
            )
            self._present = frozenset(r[0] for r in rows)
        return name in self._present

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            if self.has(name):
                self._tables[name] = self.con.table(name, database=self.database)
            else:
                stand_in = f"_empty_{name}"
                self._step(f'CREATE OR REPLACE TEMP TABLE "{stand_in}" ({_ddl(name)})')
                self._tables[name] = self.con.table(stand_in)
        return self._tables[name]

    def materialize(self, expr: ir.Table, hint: str = "t") -> ir.Table:
        """Compute `expr` once into a session temp table and return a reference to it."""
        name = f"_f{next(self._counter)}_{hint}"
        self._step(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {self.con.compile(expr)}')
        return self.con.table(name)

    def _step(self, sql: str) -> None:
        self._raw(sql)
        self.recorded.append(sql)

    def available(self) -> tuple[str, ...]:
        """The feeds this warehouse has tables for (part of a compiled plan's identity)."""
        return tuple(n for n in FEEDS if self.has(n))

    def load_frame(self, name: str, frame: pd.DataFrame) -> ir.Table:
        """A small pandas frame (as-of dates, truth) as a session temp table."""
        self.con.con.register("_incoming", frame)
        try:
            self._raw(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _incoming')
        finally:
            self.con.con.unregister("_incoming")
        return self.con.table(name)

    def session_table(self, name: str) -> ir.Table:
        """A table of the session itself (one `load_frame` made), not of the warehouse."""
        return self.con.table(name)

    def compile(self, expr: ir.Table) -> str:
        return self.con.compile(expr)

    def replay(self, statements: Sequence[str], query: str) -> pd.DataFrame:
        """Run a compiled plan: the recorded statements, then the final query."""
        for sql in statements:
            self._raw(sql)
        return self.query(query)

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.con.sql(sql).to_arrow_table().to_pandas()

    def layout(self) -> tuple[tuple[str, str], ...]:
        catalog, schema = self.database or ("memory", "main")
        rows = self._raw(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = ? "
            "AND table_schema = ? ORDER BY table_name, ordinal_position",
            [catalog, schema],
        )
        return tuple((r[0], r[1]) for r in rows)

    def latest_recorded_at(self, feeds: Sequence[str] | None = None) -> datetime | None:
        """The latest `recorded_at` of the given feeds (default all): the warehouse knows nothing after it."""
        prefix = ".".join(f'"{p}"' for p in self.database) + "." if self.database else ""
        names = [n for n in (feeds or FEEDS) if "recorded_at" in feed_schema(n) and self.has(n)]
        if not names:
            return None
        union = " UNION ALL ".join(f'SELECT max(recorded_at) AS t FROM {prefix}"{n}"' for n in names)
        value = self._raw(f"SELECT max(t) FROM ({union})")[0][0]
        return None if value is None else pd.Timestamp(value).to_pydatetime()

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return self.con.to_pandas(expr)

    def close(self) -> None:
        self.con.disconnect()


Warehouse = DuckDBWarehouse  # the default engine's name, as older callers spell it


def open_duckdb(
    path: Path | str,
    threads: int | None = None,
    memory_limit: str | None = None,
    spill_dir: Path | str | None = None,
) -> DuckDBWarehouse:
    """A DuckDB session on a warehouse file (attached read-only) or on a Parquet lake (one view per feed).
    `memory_limit` (e.g. "4GB"; None: DuckDB's default, 80 % of RAM) caps the session's memory: past it,
    DuckDB spills intermediate tables to `spill_dir` (None: DuckDB's default temporary folder)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist; run `shouhu ingest` first")
    con = ibis.duckdb.connect()
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    if memory_limit:
        con.con.execute("SET memory_limit = ?", [memory_limit])
        if spill_dir is not None:
            con.con.execute("SET temp_directory = ?", [str(spill_dir)])
    if is_lake(path):
        for feed in lake_feeds(path):
            cols = ", ".join(f'"{c}"' for c in feed_schema(feed).names)
            con.con.execute(
                f'CREATE VIEW "{feed}" AS SELECT {cols} FROM '
                f"read_parquet('{lake_glob(path, feed)}', hive_partitioning = true)"
            )
        return DuckDBWarehouse(con, source=str(path.resolve()))
    con.con.execute(f"ATTACH '{path.resolve()}' AS wh (READ_ONLY)")
    return DuckDBWarehouse(con, database=("wh", "main"))


def open_warehouse(
    path: Path | str,
    threads: int | None = None,
    *,
    backend: str = "duckdb",
    spark_master: str | None = None,
    memory_limit: str | None = None,
    spill_dir: Path | str | None = None,
) -> Backend:
    """Open the warehouse (a DuckDB file or a Parquet lake folder) on the chosen engine. `memory_limit` and
    `spill_dir` are DuckDB's (see `open_duckdb`); Spark's memory is its session's configuration."""
    if backend == "duckdb":
        return open_duckdb(path, threads, memory_limit, spill_dir)
    if backend == "spark":
        from features.spark_backend import open_spark

        return open_spark(path, master=spark_master)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def session_warehouse(con: ibis.BaseBackend) -> DuckDBWarehouse:
    """A Warehouse whose feed tables live in the session itself (benchmarks generating data in DuckDB)."""
    return DuckDBWarehouse(con)


def opened(warehouse: Path | str | Backend) -> tuple[Backend, bool]:
    """The warehouse to read and whether the caller opened it (and so must close it): a path opens the
    default engine, anything else is taken as an open backend."""
    if isinstance(warehouse, (str, Path)):
        return open_warehouse(warehouse), True
    return warehouse, False


def as_of_frame(dates: Iterable[date | datetime | str | pd.Timestamp]) -> pd.DataFrame:
    """The as-of dates as a one-column frame of midnight timestamps (sorted, unique)."""
    stamps = sorted({pd.Timestamp(d).normalize() for d in dates})
    if not stamps:
        raise ValueError("at least one as-of date is needed")
    return pd.DataFrame({"as_of": pd.Series(stamps, dtype="datetime64[us]")})
