from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from features.pipeline import build_matrix
from tests.features.factories import WarehouseFactory, ck


def row_of(matrix: pd.DataFrame, child: int, as_of: str) -> pd.Series:
    hit = matrix[(matrix.child_key == ck(child)) & (matrix.as_of == pd.Timestamp(as_of))]
    assert len(hit) == 1, f"child {child} at {as_of}: {len(hit)} rows"
    return hit.iloc[0]


@pytest.fixture
def matrix_of(tmp_path: Path) -> Callable[..., pd.DataFrame]:
    """Build a warehouse from a factory and return its feature matrix at the given dates."""
    counter = iter(range(10_000))

    def run(factory: WarehouseFactory, dates: list[str], **kw: object) -> pd.DataFrame:
        path = factory.build(tmp_path / f"wh{next(counter)}.duckdb")
        return build_matrix(path, dates, **kw)

    return run
