"""Checks on one chunk of a feed's rows, without I/O: contract failures (pandera, lazily, after
normalize.py), references, repeats of a contract key, and the pseudonymized and redacted forms of the rows
the warehouse and the quarantine keep."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from data_contracts.feeds import Feed
from data_contracts.models import CHECK_FIELD
from data_contracts.normalize import FAILURE_COLUMNS, clean_text, normalize_frame
from data_contracts.pseudonym import pseudonym
from data_contracts.table_layout import FileProblem
from data_contracts.warehouse import (
    LINEAGE,
    PII_COLUMN,
    pseudonym_kind,
    table_columns,
    warehouse_column,
    warehouse_key,
)

REFERENCE_RULE = "reference"
CONFLICT_RULE = "conflicting_duplicate"
NAME_REDACTED = "<redacted>"


def _check_name(check: str) -> str:
    return check if check.startswith("coerce_dtype") else check.split("(", 1)[0]


def pandera_failures(schema: pa.DataFrameSchema, typed: pd.DataFrame) -> pd.DataFrame:
    """Every contract failure of the frame (lazy validation), one row per (row, field, rule)."""
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    unplaced = cases[cases["index"].isna()]
    if len(unplaced):  # not about a row: a missing column, or a check that could not run
        missing = unplaced[unplaced["check"] == "column_in_dataframe"]["failure_case"]
        if len(missing):
            raise FileProblem(f"missing contract column(s): {', '.join(sorted(map(str, missing)))}")
        problems = "; ".join(
            sorted(f"{k}: {v}" for k, v in zip(unplaced["check"], unplaced["failure_case"], strict=True))
        )
        raise FileProblem(f"the table does not fit the contract: {problems}")
    cases = cases.assign(row=cases["index"].astype("int64"), rule=cases["check"].map(_check_name))
    frame_level = cases["schema_context"] == "DataFrameSchema"
    columns = cases.loc[~frame_level, ["row", "column", "rule", "failure_case"]]
    columns.columns = FAILURE_COLUMNS
    checks = cases.loc[frame_level, ["row", "rule"]].drop_duplicates()
    checks["field"] = checks["rule"].map(lambda r: CHECK_FIELD.get(r, ""))
    checks["value"] = None
    return pd.concat([columns, checks[FAILURE_COLUMNS]], ignore_index=True)


def pseudonymize(values: pd.Series, secret: str, kind: str) -> pd.Series:
    """Keyed pseudonyms, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = np.array([pseudonym(str(u), secret, kind) for u in uniques] + [None], dtype=object)
    return pd.Series(keys[codes], index=values.index, dtype="str")


def _redact(feed: Feed, column: str, values: pd.Series, secret: str) -> tuple[str | None, pd.Series | None]:
    """What a column may show outside the identity tables: (name to show, values), or (None, None) to drop."""
    meta = feed.schema.columns[column].metadata or {}
    cleaned = values.map(clean_text).astype("str")
    if meta.get("pii") == "name":
        return None, None
    if meta.get("pii"):
        return PII_COLUMN[meta["pii"]], pseudonymize(cleaned, secret, meta["pii"])
    if meta.get("pseudonymize"):
        return warehouse_column(feed, column), pseudonymize(cleaned, secret, pseudonym_kind(column))
    return column, values


def redacted_rows(feed: Feed, raw: pd.DataFrame, secret: str) -> list[str]:
    """The raw rows as JSON objects with ids pseudonymized, ID/phone numbers hashed and names left out."""
    shown: dict[str, pd.Series] = {}
    for column in [c for c in raw.columns if c in feed.schema.columns]:  # extra columns may hold anything
        name, values = _redact(feed, column, raw[column], secret)
        if name is not None and values is not None:
            shown[name] = values
    frame = pd.DataFrame(shown, index=raw.index)
    if frame.empty:
        return ["{}"] * len(raw)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    return text.strip("\n").split("\n")


def redacted_values(feed: Feed, failures: pd.DataFrame, raw: pd.DataFrame, secret: str) -> pd.Series:
    """The offending value of each failure, as the file had it, with PII and ids replaced as in the rows."""
    out = pd.Series([None] * len(failures), index=failures.index, dtype=object)
    for column, part in failures.groupby("field", sort=False):
        if column not in raw.columns or column not in feed.schema.columns:
            continue
        _, values = _redact(feed, column, raw[column].iloc[part["row"].to_numpy()], secret)
        if values is None:
            out[part.index] = NAME_REDACTED
        else:
            out[part.index] = [None if pd.isna(v) else str(v) for v in values]
    return out


def warehouse_frame(feed: Feed, typed: pd.DataFrame, secret: str) -> pd.DataFrame:
    """Contract columns renamed and pseudonymized for the warehouse (§2); names dropped."""
    out: dict[str, pd.Series] = {}
    for column in feed.schema.columns:
        meta = feed.schema.columns[column].metadata or {}
        target = warehouse_column(feed, column)
        if target is None:
            continue
        if meta.get("pii"):
            out[target] = pseudonymize(typed[column], secret, meta["pii"])
        elif meta.get("pseudonymize"):
            out[target] = pseudonymize(typed[column], secret, pseudonym_kind(column))
        else:
            out[target] = typed[column]
    return pd.DataFrame(out, index=typed.index)


def identity_frames(feed: Feed, typed: pd.DataFrame, keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows for the restricted identity tables (the only place names, ID and phone numbers are kept)."""
    if feed.name == "children_registry":
        frame = pd.DataFrame(
            {"child_key": keys["child_key"], "name": typed["name"], "id_number": typed["id_number"]}
        )
        return {"identity_children": frame.drop_duplicates("child_key", keep="last")}
    if feed.name == "household_members":
        frame = pd.DataFrame(
            {
                "person_key": keys["person_key"],
                "name": typed["name"],
                "id_number": typed["id_number"],
                "phone": typed["phone"],
            }
        )
        return {"identity_persons": frame.drop_duplicates("person_key", keep="last")}
    return {}


def content_columns(feed: Feed) -> list[str]:
    """The warehouse columns two rows must agree on to be duplicates: all but the lineage."""
    return [c for c in table_columns(feed) if c not in LINEAGE]


@dataclass(frozen=True)
class Repeats:
    """How the valid rows of a chunk relate to the other rows of the chunk with the same contract key."""

    first: np.ndarray  # bool: the first valid row of its key (the candidate to load)
    copy_of: np.ndarray  # int: for an exact copy of an earlier valid row, that row's position; else -1
    conflict_with: np.ndarray  # int: for a same-key row with other content, the first row's position; else -1


def chunk_repeats(keys: pd.DataFrame, content: pd.DataFrame, valid: np.ndarray) -> Repeats:
    """Classify valid rows sharing a key within a chunk: the first is the candidate, later ones are copies
    (same content) or conflicts (other content). Invalid rows take no part: they never shadow a valid one."""
    n = len(keys)
    first = valid.copy()
    copy_of = np.full(n, -1, dtype=np.int64)
    conflict_with = np.full(n, -1, dtype=np.int64)
    positions = np.flatnonzero(valid)
    repeated = keys.iloc[positions].duplicated(keep=False).to_numpy()
    if not repeated.any():  # the common case: hash nothing
        return Repeats(first, copy_of, conflict_with)
    rows = positions[repeated]
    group = keys.iloc[rows].groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    digest = pd.util.hash_pandas_object(content.iloc[rows], index=False).to_numpy()
    head: dict[int, tuple[int, int]] = {}  # key group -> (first row, its content digest)
    for row, g, d in zip(rows.tolist(), group.tolist(), digest.tolist(), strict=True):
        if g not in head:
            head[g] = (row, d)
            continue
        first[row] = False
        if d == head[g][1]:
            copy_of[row] = head[g][0]
        else:
            conflict_with[row] = head[g][0]
    return Repeats(first, copy_of, conflict_with)


def key_text(feed: Feed, wh: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """The contract key of each row as the quarantine shows it (ids as their pseudonyms)."""
    names = warehouse_key(feed)
    parts = [wh[name].iloc[rows].astype(str).to_numpy() for name in names]
    rows_values = zip(*parts, strict=True)
    return ["; ".join(f"{n}={v}" for n, v in zip(names, values, strict=True)) for values in rows_values]


def differing_columns(content: pd.DataFrame, row: int, other: int) -> list[str]:
    """The content columns in which two rows of a chunk differ (missing equals missing)."""
    a, b = content.iloc[row], content.iloc[other]

    def same(x: object, y: object) -> bool:
        if pd.isna(x) or pd.isna(y):
            return bool(pd.isna(x) and pd.isna(y))
        return bool(x == y)

    return [c for c in content.columns if not same(a[c], b[c])]


def conflict_failures(
    rows: np.ndarray, keys: list[str], differing: list[list[str]], field_: str
) -> pd.DataFrame:
    """One quarantine failure per conflicting duplicate, naming the key and what differs."""
    values = [f"{k} (differs in {', '.join(d) or '?'})" for k, d in zip(keys, differing, strict=True)]
    return pd.DataFrame({"row": rows, "field": field_, "rule": CONFLICT_RULE, "value": values})


def reference_failures(
    feed: Feed, typed: pd.DataFrame, wh: pd.DataFrame, known: dict[str, set[str]]
) -> pd.DataFrame:
    parts = []
    for column in feed.references:
        if column not in typed.columns:
            continue
        values = wh[warehouse_column(feed, column)]
        missing = values.notna() & ~values.isin(known[column])
        rows = np.flatnonzero(missing.to_numpy())
        if len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "field": column,
                        "rule": REFERENCE_RULE,
                        "value": values.iloc[rows].to_numpy(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FAILURE_COLUMNS)


def concat_failures(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if len(p)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FAILURE_COLUMNS)
    return out.astype({"row": "int64"})


def contract_failures(feed: Feed, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows in contract types, and every coercion and contract failure (references not included)."""
    typed, coerce_failures = normalize_frame(raw, feed.schema)
    checked = pandera_failures(feed.schema, typed)
    # A cell that could not be read is reported once, as a coercion failure, not again as missing.
    unreadable = set(zip(coerce_failures["row"], coerce_failures["field"], strict=True))
    if unreadable and len(checked):
        keep = [(r, f) not in unreadable for r, f in zip(checked["row"], checked["field"], strict=True)]
        checked = checked[keep]
    return typed, concat_failures([coerce_failures, checked])
