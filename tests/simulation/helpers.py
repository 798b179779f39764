"""Reading simulator output the way a user would: each file on its own, with the contract's types."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from data_contracts.feeds import FEEDS, Feed
from simulation.config import SimulationConfig

BOOL_TEXT = {"True": True, "False": False, "true": True, "false": False}


def feed_files(out: Path, name: str) -> list[Path]:
    """Files of feed `name` (stem is the name or the name plus a `_part` suffix)."""
    return sorted(p for p in (out / "feeds").iterdir() if p.stem == name or p.stem.startswith(name + "_2"))


def read_file(path: Path, feed: Feed) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, dtype=object)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for name, column in feed.schema.columns.items():
        if str(column.dtype) == "boolean" and name in df:
            df[name] = (
                df[name].map(lambda v: BOOL_TEXT.get(v, v) if isinstance(v, str) else v).astype("boolean")
            )
    return df


def read_feed(out: Path, name: str) -> pd.DataFrame:
    feed = FEEDS[name]
    return pd.concat([read_file(p, feed) for p in feed_files(out, name)], ignore_index=True)


def small_config(**overrides: object) -> SimulationConfig:
    """A factory: a county small enough to simulate in a couple of seconds."""
    base: dict[str, object] = {
        "townships": 2,
        "villages": 2,
        "children": 300,
        "start": date(2023, 1, 1),
        "end": date(2023, 12, 31),
        "seed": 11,
    }
    return SimulationConfig(**{**base, **overrides})
