"""The matrix out of pandas when it is large: features as Parquet partitions by as-of date, training data
read as Arrow batches with compact dtypes (negatives subsampled past a size, with weights), and batch scoring
streamed chunk by chunk into a Parquet file.

At ≈ 3 KB per row in pandas (float64 indicators, object strings) a province's 36-month matrix would take
≈ 90 GB; as float32 inputs plus an int8 label it is ≈ 200 bytes a row, and only the rows kept are held."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from shouhu_core.list_order import list_ranks

if TYPE_CHECKING:
    from features.backend import Backend
    from features.spec import FeatureSpec

AS_OF_DIR = "as_of={:%Y-%m-%d}"


def write_matrix_partitions(
    warehouse: Path | str | Backend,
    dates: Sequence[pd.Timestamp],
    out: Path,
    *,
    horizon_days: int = 90,
    spec: FeatureSpec | None = None,
    dates_per_step: int = 1,
) -> list[Path]:
    """The matrix at `dates`, written as `out/as_of=YYYY-MM-DD/part.parquet`: only `dates_per_step` dates'
    rows are in memory at once (the engine computes them; pandas holds one partition)."""
    from features.pipeline import build_matrix

    written = []
    dates = sorted(pd.Timestamp(d) for d in dates)
    for i in range(0, len(dates), dates_per_step):
        m = build_matrix(warehouse, dates[i : i + dates_per_step], horizon_days=horizon_days, spec=spec)
        for day, part in m.groupby("as_of", sort=True):
            folder = out / AS_OF_DIR.format(pd.Timestamp(day))
            folder.mkdir(parents=True, exist_ok=True)
            part.drop(columns="as_of").to_parquet(folder / "part.parquet", index=False)
            written.append(folder)
    return written


def matrix_dataset(path: Path) -> ds.Dataset:
    """A partitioned matrix folder (or a single Parquet file) as an Arrow dataset, `as_of` a column."""
    if path.is_dir():
        return ds.dataset(
            path,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([("as_of", pa.timestamp("us"))]), flavor="hive"),
        )
    return ds.dataset(path, format="parquet")


@dataclass
class TrainingData:
    """Compact training rows: float32 inputs, int8 labels, a weight per row (1 / keep rate)."""

    X: pd.DataFrame
    y: np.ndarray
    weight: np.ndarray
    as_of: np.ndarray
    negative_rate: float  # share of negatives kept (1.0: none dropped)
    rows_read: int


def read_training(
    path: Path,
    inputs: Sequence[str],
    label: str = "label",
    *,
    max_rows: int | None = None,
    seed: int = 0,
    batch_rows: int = 262_144,
    extra: Sequence[str] = (),
) -> TrainingData:
    """Read the matrix in Arrow batches, keeping `inputs` as float32 and the label as int8. Past `max_rows`
    rows, negatives are subsampled at the rate that brings the total near `max_rows` (every positive is
    kept) and the kept negatives weighted by 1 / rate, so the weighted fit estimates the same probability."""
    data = matrix_dataset(path)
    columns = [*inputs, label, "as_of", *extra]
    total = data.count_rows()
    rate = 1.0
    if max_rows is not None and total > max_rows:
        positives = pc_sum(data, label)
        negatives = total - positives
        rate = float(np.clip((max_rows - positives) / max(negatives, 1), 0.0, 1.0))
    rng = np.random.default_rng(seed)
    xs, ys, ws, days, rest = [], [], [], [], []
    for batch in data.to_batches(columns=columns, batch_size=batch_rows):
        y = batch.column(label).to_numpy(zero_copy_only=False).astype(np.int8)
        keep = (y == 1) | (rng.random(len(y)) < rate)
        kept = batch.filter(pa.array(keep))
        xs.append(
            np.column_stack(
                [kept.column(c).to_numpy(zero_copy_only=False).astype(np.float32) for c in inputs]
            )
            if len(inputs)
            else np.empty((kept.num_rows, 0), np.float32)
        )
        ys.append(y[keep])
        ws.append(np.where(y[keep] == 1, 1.0, 1.0 / rate).astype(np.float32))
        days.append(kept.column("as_of").to_numpy(zero_copy_only=False))
        if extra:
            rest.append(kept.select(list(extra)).to_pandas())
    X = pd.DataFrame(
        np.concatenate(xs) if xs else np.empty((0, len(inputs)), np.float32), columns=list(inputs)
    )
    if extra:
        X = pd.concat([X, pd.concat(rest, ignore_index=True)], axis=1)
    return TrainingData(
        X=X,
        y=np.concatenate(ys) if ys else np.empty(0, np.int8),
        weight=np.concatenate(ws) if ws else np.empty(0, np.float32),
        as_of=np.concatenate(days) if days else np.empty(0, "datetime64[us]"),
        negative_rate=rate,
        rows_read=total,
    )


def pc_sum(data: ds.Dataset, column: str) -> int:
    import pyarrow.compute as pc

    return int(sum(pc.sum(b.column(column)).as_py() or 0 for b in data.to_batches(columns=[column])))


def iter_rows(path: Path, day: pd.Timestamp | None, chunk: int) -> Iterator[pd.DataFrame]:
    """The matrix rows (of one as-of date, if given) in pandas chunks of at most `chunk` rows."""
    data = matrix_dataset(path)
    flt = (
        (ds.field("as_of") == pa.scalar(pd.Timestamp(day).to_datetime64(), pa.timestamp("us")))
        if day
        else None
    )
    for batch in data.to_batches(filter=flt, batch_size=chunk):
        if batch.num_rows:
            yield batch.to_pandas()


def score_stream(
    chunks: Iterator[pd.DataFrame],
    model: Any,
    version: str,
    out: Path,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Score chunk by chunk into the Parquet file `out` (the columns `training.workflow.score` gives, in the
    same order); the chunks are staged on disk, then ranked in their village lists (`rank_and_write`)."""
    from training.workflow import SCORE_KEEP

    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        staged = Path(tmp) / "scored.parquet"
        writer: pq.ParquetWriter | None = None
        for frame in chunks:
            keep = [c for c in SCORE_KEEP if c in frame.columns]
            inputs = [c for c in model.metadata.get_input_schema().input_names() if c in frame.columns]
            part = pd.concat(
                [frame[keep].reset_index(drop=True), model.predict(frame[inputs]).reset_index(drop=True)],
                axis=1,
            )
            part["model_version"] = version
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(staged, table.schema)
            writer.write_table(table.cast(writer.schema))
            n += len(part)
            if advance:
                advance(len(part))
        if writer is None:
            return 0
        writer.close()
        rank_and_write(staged, out)
    return n


def fit_weighted(
    fit: TrainingData, calibration: TrainingData, inputs: list[str], constraints: list[int], params: Any
) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
    """LightGBM on (possibly subsampled) rows with their weights, then isotonic calibration on the
    calibration rows with theirs: the weights undo the negative subsampling, so probabilities stay
    calibrated (tests/training/test_stream.py measures it against the full fit)."""
    import lightgbm as lgb
    from sklearn.isotonic import IsotonicRegression

    data = lgb.Dataset(fit.X[inputs].to_numpy(), label=fit.y, weight=fit.weight, feature_name=inputs)
    booster = lgb.train(params.lgb_params(constraints), data, num_boost_round=params.n_estimators)
    margin = booster.predict(calibration.X[inputs].to_numpy(), raw_score=True)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
        margin, calibration.y, sample_weight=calibration.weight
    )
    return booster, (np.asarray(iso.X_thresholds_, "float64"), np.asarray(iso.y_thresholds_, "float64"))


def calibrated_probability(
    booster: Any, calibration: tuple[np.ndarray, np.ndarray], x: np.ndarray
) -> np.ndarray:
    return np.interp(booster.predict(x, raw_score=True), *calibration)


def rank_and_write(scored: Path, out: Path, batch_rows: int = 65_536) -> None:
    """Copy the scored rows of `scored` (a Parquet file or folder) into the single file `out`, adding each
    row's place in its village list (shouhu_core.list_order); only the ranking columns are read whole."""
    # file by file in a fixed order, so the ranks and the copied batches line up row for row
    files = sorted(scored.glob("*.parquet")) if scored.is_dir() else [scored]
    names = pq.read_schema(files[0]).names
    wanted = [c for c in ("child_key", "as_of", "village_code", "rule_flags", "margin") if c in names]
    ranks = pd.concat([pq.read_table(f, columns=wanted).to_pandas() for f in files], ignore_index=True)
    rank = None
    if "village_code" in ranks.columns:
        ranks["rule_flags"] = ranks.get("rule_flags", pd.Series("", index=ranks.index)).fillna("")
        rank = list_ranks(ranks, "village")["list_rank"].to_numpy()
    writer: pq.ParquetWriter | None = None
    start = 0
    batches = (b for f in files for b in pq.ParquetFile(f).iter_batches(batch_size=batch_rows))
    for batch in batches:
        if rank is not None:
            batch = batch.append_column("rank_in_village", pa.array(rank[start : start + batch.num_rows]))
        start += batch.num_rows
        if writer is None:
            writer = pq.ParquetWriter(out, batch.schema)
        writer.write_batch(batch)
    if writer is not None:
        writer.close()
