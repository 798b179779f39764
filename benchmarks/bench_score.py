"""Scoring benchmark: children per second for the §4 output with explanations (probability, percentile, band,
margin, the top-3 risk-raising and top-3 risk-lowering indicator families from LightGBM `pred_contrib`), on
the whole cohort of a simulated county.

Target: ≥ 5,000 children/s on 2 cores. Prints the time of each step so a slow part is easy to see, and the
rate of the same model through `mlflow.pyfunc.load_model(...).predict` (what serving and batch scoring use).

    .venv/bin/python benchmarks/bench_score.py [--children 20000] [--rows 100000] [--work DIR]

Reuses the matrix cached by bench_train.py under --work when it exists (else simulates a 2-year county: one
year leaves too few observable as-of dates for the temporal split).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))


def _matrix(children: int, work: Path) -> pd.DataFrame:
    from bench_train import county_matrix

    for years in (3, 2):
        if (work / f"county_{children}_{years}y_seed1" / "matrix.parquet").exists():
            return county_matrix(children, years, 1, work)
    return county_matrix(children, 2, 1, work)


def _rate(n: int, seconds: float) -> str:
    return f"{seconds:6.2f} s  {n / seconds:9,.0f} rows/s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to score (the cohort, repeated)")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()

    from features.spec import load_spec
    from training import pyfunc
    from training.pipeline import TrainConfig, train_and_evaluate

    matrix = _matrix(args.children, args.work)
    spec = load_spec()
    print(f"training on {len(matrix):,} rows …", flush=True)
    result = train_and_evaluate(matrix, spec, TrainConfig(n_folds=1, with_logreg=False))
    parts = result.parts
    p = result.parts.booster
    print(f"model: {p.num_trees()} trees, {parts.top_k} reasons, {len(parts.inputs)} inputs", flush=True)

    cohort = matrix[matrix["as_of"] == matrix["as_of"].max()]
    rows = pd.concat([cohort] * int(np.ceil(args.rows / len(cohort))), ignore_index=True).head(args.rows)
    n = len(rows)
    print(f"\nscoring {n:,} rows (cohort of {len(cohort):,}, repeated) on this machine:")

    x = pyfunc.input_matrix(rows, parts.inputs)
    t = time.perf_counter()
    margin = p.predict(x, raw_score=True)
    print(f"  margin only              {_rate(n, time.perf_counter() - t)}")
    t = time.perf_counter()
    contrib = p.predict(x, pred_contrib=True)
    print(f"  pred_contrib             {_rate(n, time.perf_counter() - t)}")
    t = time.perf_counter()
    pyfunc.explanations(contrib[:, :-1], x, pyfunc.reference_values(rows, parts), parts)
    print(f"  reasons + protective     {_rate(n, time.perf_counter() - t)}")
    t = time.perf_counter()
    pyfunc.score_frame(rows, parts)
    direct = time.perf_counter() - t
    print(f"  score_frame, explained   {_rate(n, direct)}")
    assert np.allclose(contrib.sum(axis=1), margin)

    import os

    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    import mlflow.pyfunc

    from training.tracking import MODEL_CODE, input_example, model_signature

    with tempfile.TemporaryDirectory() as tmp:
        artifacts = pyfunc.save_parts(parts, Path(tmp) / "parts")
        path = Path(tmp) / "model"
        mlflow.pyfunc.save_model(
            str(path),
            python_model=pyfunc.__file__,
            code_paths=[str(MODEL_CODE)],  # as training logs it: the output contract travels with the model
            artifacts=artifacts,
            signature=model_signature(parts.inputs),
            input_example=input_example(parts),
        )
        model = mlflow.pyfunc.load_model(str(path))
        frame = rows[[*parts.inputs, "age_group"]]
        t = time.perf_counter()
        model.predict(frame)
        served = time.perf_counter() - t
        print(f"  mlflow pyfunc predict    {_rate(n, served)}")
    print(
        f"\nchildren/s with explanations: {n / direct:,.0f} direct, {n / served:,.0f} through MLflow "
        "(target ≥ 5,000 on 2 cores)"
    )


if __name__ == "__main__":
    main()
