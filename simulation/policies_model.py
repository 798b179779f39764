"""The `model` visit policy of a closed-loop evaluation, run exactly as in production:

1. at the end of the burn-in, the records *as recorded so far* (rows whose `recorded_at` is before the date)
   are written as feeds, ingested by `data_contracts`, turned into a feature matrix by `features/` at weekly
   as-of dates, and a model is trained by `training/` and registered in MLflow;
2. each cycle — the 1st of every month and the first day of each pre-break sweep — the same export and
   ingest at that date, `features.pipeline.build_matrix` for that as-of date, the registered model (pyfunc)
   scores it, and `shouhu_core.list_order` orders each village's list (rule-flagged children first);
3. each week the 儿童主任 works down the village's current list within capacity, skipping children visited
   since the list was made.

The policy sees only what the county's systems recorded: the export drops the truth (outcomes and hidden
risk) before anything is built, and nothing else of the simulation's hidden state is read."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import SimulationConfig
from simulation.engine.state import Records, SimState
from simulation.policy import TierPolicy, VillageView

# A synthetic county's pseudonyms: a fixed evaluation key (never a county's secret)
EVAL_SECRET = "policy-evaluation-synthetic-county-key-0001"
HORIZON_DAYS = 90
TRAIN_EVERY_DAYS = 7  # as-of dates of the burn-in's training matrix
# where the model policy's time goes (export, ingest, features, score, train): wall, and '<name> CPU'
TIMINGS: dict[str, float] = {}


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _timed(name: str, began: tuple[float, float]) -> None:
    """Add wall and CPU seconds since `began` (on a shared machine they differ a lot)."""
    wall, cpu = _clock()
    TIMINGS[name] = TIMINGS.get(name, 0.0) + wall - began[0]
    TIMINGS[f"{name} CPU"] = TIMINGS.get(f"{name} CPU", 0.0) + cpu - began[1]


def recorded_records(s: SimState) -> Records:
    """The engine's records without the truth: what the policy may build feeds from."""
    return replace(s.rec, truth_risk=[], outcomes=[])


def export_feeds(s: SimState, as_of: pd.Timestamp, folder: Path, since: pd.Timestamp | None = None) -> None:
    """Write the feeds as the county's systems held them before `as_of` (rows recorded before it); with
    `since`, only the rows recorded in [since, as_of) and no reference tables (an increment to append)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from simulation import faults as F
    from simulation.records import build_feeds

    began = _clock()
    rng = np.random.default_rng(0)  # record times only; the simulation's own streams are not touched
    feeds = build_feeds(s, recorded_records(s), rng, np.random.default_rng(1))
    cut: dict[str, Any] = {}
    for name, feed in feeds.items():
        if isinstance(feed, pa.Table):
            if "recorded_at" not in feed.column_names:
                if since is not None:
                    continue
            else:
                at = feed["recorded_at"]
                keep = pc.less(at, pa.scalar(as_of.to_datetime64(), at.type))
                if since is not None:
                    keep = pc.and_(keep, pc.greater_equal(at, pa.scalar(since.to_datetime64(), at.type)))
                feed = feed.filter(keep)
        elif "recorded_at" not in feed.columns:
            if since is not None:
                continue
        else:
            keep = feed["recorded_at"] < as_of
            if since is not None:
                keep &= feed["recorded_at"] >= since
            feed = feed[keep].reset_index(drop=True)
        cut[name] = feed
    if folder.exists():
        shutil.rmtree(folder)
    F.write_files(
        F.plan_files({name: as_arrow(feed) for name, feed in cut.items()}, with_faults=False), folder
    )
    _timed("export feeds", began)


def as_arrow(feed: Any) -> Any:
    """A feed as a typed Arrow table, so it is delivered as Parquet: the ingest validates it as any delivery,
    but needs not parse the text of a CSV (most of a monthly ingest's time). A frame Arrow cannot type (mixed
    values in a column) stays a frame and is written as CSV."""
    import pyarrow as pa

    if isinstance(feed, pa.Table):
        return feed
    try:
        return pa.Table.from_pandas(feed, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return feed


def warehouse_at(s: SimState, as_of: pd.Timestamp, work: Path) -> Path:
    """A fresh warehouse holding the records before `as_of`, ingested by the project's ingest."""
    from data_contracts.ingest import ingest_folder

    export_feeds(s, as_of, work / "feeds")
    began = _clock()
    warehouse = work / "warehouse.duckdb"
    for p in work.glob("warehouse.duckdb*"):
        p.unlink()
    ingest_folder(work / "feeds", warehouse, EVAL_SECRET, progress=False)
    _timed("ingest", began)
    return warehouse


def append_to_warehouse(
    s: SimState, warehouse: Path, since: pd.Timestamp, as_of: pd.Timestamp, work: Path
) -> None:
    """Ingest the rows recorded in [since, as_of) into `warehouse`, as a monthly delivery from the county."""
    from data_contracts.ingest import ingest_folder

    folder = work / f"feeds-{as_of:%Y%m%d}"
    export_feeds(s, as_of, folder, since=since)
    began = _clock()
    ingest_folder(folder, warehouse, EVAL_SECRET, progress=False)
    shutil.rmtree(folder)
    _timed("ingest", began)


@dataclass
class ModelContext:
    """Where the model policy keeps its work and its registry."""

    work_dir: Path
    tracking_uri: str
    artifact_root: Path
    model_name: str = "shouhu-policy-eval"
    models: dict[tuple[int, str], Any] = field(default_factory=dict)  # (seed, effects) -> (pyfunc, spec)


def train_model(
    s: SimState, as_of: pd.Timestamp, ctx: ModelContext, tag: str
) -> tuple[tuple[Any, Any], Path]:
    """Train on the burn-in's records with the project's training code (a fresh warehouse of the records
    before `as_of`); returns ((pyfunc, spec), warehouse)."""
    warehouse = warehouse_at(s, as_of, ctx.work_dir / tag / "train")
    return fit_and_register(warehouse, s, as_of, ctx, tag), warehouse


def fit_and_register(warehouse: Path, s: SimState, as_of: pd.Timestamp, ctx: ModelContext, tag: str) -> Any:
    """Train on the warehouse's records before `as_of` (weekly as-of dates from the start); register; load
    the registered version back as pyfunc. Returns (pyfunc, spec)."""
    from features.pipeline import build_matrix
    from features.spec import DEFAULT_SPEC, load_spec
    from training.pipeline import TrainConfig, train_and_evaluate

    spec = load_spec(DEFAULT_SPEC)
    start = pd.Timestamp(s.start) + pd.Timedelta(days=28)
    dates = list(pd.date_range(start, as_of - pd.Timedelta(days=1), freq=f"{TRAIN_EVERY_DAYS}D"))
    began = _clock()
    matrix = build_matrix(warehouse, dates, HORIZON_DAYS, spec=spec)
    _timed("features (training)", began)
    began = _clock()
    config = TrainConfig(
        horizon_days=HORIZON_DAYS, n_folds=1, test_dates=2, calibration_dates=3, with_logreg=False
    )
    result = train_and_evaluate(matrix, spec, config)
    with _registry_lock(ctx):
        model = _register(result, spec, config, ctx, f"{tag} {as_of:%Y-%m-%d}")
    _timed("training", began)
    return model, spec


@contextmanager
def _registry_lock(ctx: ModelContext) -> Iterator[None]:
    """Arms run in parallel worker processes share one MLflow registry: register one model at a time."""
    import fcntl

    with open(ctx.work_dir / "registry.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _register(result: Any, spec: Any, config: Any, ctx: ModelContext, tag: str) -> Any:
    import mlflow.pyfunc

    from features.spec import DEFAULT_SPEC
    from training.tracking import log_run

    run = log_run(
        result,
        spec,
        Path(DEFAULT_SPEC),
        tracking_uri=ctx.tracking_uri,
        artifact_root=ctx.artifact_root,
        model_name=ctx.model_name,
        horizon_days=HORIZON_DAYS,
        k=config.k,
        run_name=f"policy-eval {tag}",
    )
    return mlflow.pyfunc.load_model(f"models:/{ctx.model_name}/{run.version}")


class ModelPolicy:
    """Visit by the model's village lists (see the module docstring). Tier rule until the first cycle."""

    def __init__(
        self, ctx: ModelContext, config: SimulationConfig, retrain_every_days: int | None = None
    ) -> None:
        self.ctx, self.config = ctx, config
        # retrained: the model is trained again every `retrain_every_days` on everything recorded so far,
        # which after the burn-in is data its own lists shaped (the feedback loop of a deployed model)
        self.retrain_every_days = retrain_every_days
        self.trained_day = -1
        retrained = "-retrained" if retrain_every_days else ""
        self.tag = f"seed{config.seed}-{config.visit_effects}{retrained}"
        self.state: SimState | None = None
        self.model: Any = None
        self.spec: Any = None
        self.cycles: list[int] = []
        self.cycle_day = -1
        self.rank = np.zeros(0)
        self.flagged = np.zeros(0, bool)
        self.fallback = TierPolicy()
        self.keys: dict[str, int] = {}
        self.warehouse: Path | None = None
        self.loaded_until: pd.Timestamp | None = None

    def bind(self, state: SimState) -> None:
        from data_contracts.pseudonym import child_key

        self.state = state
        self.keys = {child_key(str(cid), EVAL_SECRET): i for i, cid in enumerate(state.pop.c_id)}
        months = pd.date_range(pd.Timestamp(state.start), pd.Timestamp(state.end), freq="MS")
        days = {int((m - pd.Timestamp(state.start)).days) for m in months}
        sweep = state.sweep[: state.n_days]
        days |= {int(t) for t in np.flatnonzero(sweep[1:] & ~sweep[:-1]) + 1}
        self.cycles = sorted(days)

    def _cycle(self, day: int) -> None:
        s = self.state
        assert s is not None
        as_of = pd.Timestamp(s.start) + pd.Timedelta(days=day)
        work = self.ctx.work_dir / self.tag
        if self.model is None:
            (self.model, self.spec), self.warehouse = train_model(s, as_of, self.ctx, self.tag)
            self.trained_day = day
        elif self.loaded_until is not None and as_of > self.loaded_until:
            assert self.warehouse is not None
            append_to_warehouse(s, self.warehouse, self.loaded_until, as_of, work)
        self.loaded_until = max(as_of, self.loaded_until or as_of)
        if self.retrain_every_days and day - self.trained_day >= self.retrain_every_days:
            assert self.warehouse is not None
            self.model, self.spec = fit_and_register(self.warehouse, s, as_of, self.ctx, self.tag)
            self.trained_day = day
        from features.pipeline import build_matrix
        from shouhu_core.list_order import list_ranks

        warehouse = self.warehouse
        began = _clock()
        frame = build_matrix(warehouse, [as_of], HORIZON_DAYS, spec=self.spec)
        _timed("features (cycles)", began)
        began = _clock()
        inputs = [c for c in self.model.metadata.get_input_schema().input_names() if c in frame.columns]
        # the order needs only the margin: no per-child explanations (most of scoring's time)
        scored = self.model.predict(frame[inputs], params={"explain": False})
        frame = frame.assign(margin=scored["margin"].to_numpy(), rule_flags=frame["rule_flags"].fillna(""))
        ranks = list_ranks(frame, "village")
        self.rank = np.full(s.N, np.inf)
        self.flagged = np.zeros(s.N, bool)
        rows = np.array([self.keys.get(str(k), -1) for k in frame["child_key"]])
        ok = rows >= 0
        self.rank[rows[ok]] = ranks["list_rank"].to_numpy()[ok]
        self.flagged[rows[ok]] = (frame["rule_flags"].astype(str) != "").to_numpy()[ok]
        self.cycle_day = day
        _timed("score and order", began)

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        due = [d for d in self.cycles if d <= view.day]
        if due and due[-1] > self.cycle_day:
            self._cycle(due[-1])
        if self.cycle_day < 0:
            return self.fallback(today, view)
        if view.capacity <= 0 or len(view.children) == 0:
            return view.children[:0]
        rank = self.rank[view.children]
        # worked down since the list was made: visited children drop to the end (unless rule-flagged)
        done = (view.last_visit_day >= self.cycle_day) & ~self.flagged[view.children]
        since = view.day - view.last_visit_day
        order = np.lexsort((-since, rank, done))
        return view.children[order[: view.capacity]]


def model_context(
    work_dir: Path | None, tracking_uri: str | None, artifact_root: Path | None
) -> ModelContext:
    import tempfile

    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="shouhu-policy-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri or f"sqlite:///{(work / 'mlflow.db').resolve()}"
    return ModelContext(work, uri, Path(artifact_root) if artifact_root else work / "mlruns")
