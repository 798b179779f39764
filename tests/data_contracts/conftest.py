"""Shared helpers for the data-contract tests: run the real ingest into a warehouse under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from data_contracts.ingest import IngestReport, ingest_folder

SECRET = "test-secret"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def run_ingest(warehouse: Path) -> Callable[..., IngestReport]:
    def run(folder: Path, **kwargs: object) -> IngestReport:
        return ingest_folder(folder, warehouse, SECRET, progress=False, **kwargs)  # type: ignore[arg-type]

    return run
