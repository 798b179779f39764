"""Turn a feed's raw cells into the contract's types, accepting the forms county systems actually export.

Each column is normalized over its *unique* values and mapped back, so per-value Python stays cheap even for
millions of attendance rows (a county has ~1,000 school days and ~20,000 children, not 8M distinct cells).
A cell that cannot be read as its type becomes missing and is reported as a `coerce_dtype` failure, so
pandera then validates a frame that already has the contract's dtypes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from data_contracts.enums import ETHNICITY, Vocabulary
from data_contracts.fields import SET_SEPARATOR

NULL_TOKENS = frozenset({"", "nan", "null", "n/a", "nat", "<na>"})  # not "none": a code of several enums
TRUE_TOKENS = frozenset({"是", "true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"否", "false", "f", "no", "n", "0", "0.0"})
# Common spellings that are not the official term; matched after NFKC and with spaces removed.
VARIANTS: dict[str, str] = {
    "男性": "M",
    "女性": "F",
    # 民族 written without 族 (汉, 土家) or as a number that lost its leading zero in a spreadsheet (1 → 01)
    **{term.removesuffix("族"): code for code, term in ETHNICITY.items() if term.endswith("族")},
    **{str(int(code)): code for code in ETHNICITY},
}
SET_SPLIT = re.compile(r"[、,;，；|]")
_DATE = re.compile(
    r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:时](\d{1,2})分?(?::?(\d{1,2})(?:\.(\d{1,6}))?秒?)?)?$"
)
_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")
# An Excel date serial (days since 1899-12-30; 45082 is 2023-06-05), as a date cell exported as a number
# shows. Read only in date fields and only within EXCEL_SERIAL_RANGE, so other numbers stay what they are.
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_SERIAL_RANGE = (datetime(1950, 1, 1), datetime(2099, 12, 31, 23, 59, 59))

_MISSING = object()  # marks a value that could not be read as the column's type


FAILURE_COLUMNS = ["row", "field", "rule", "value"]  # row = position in the frame (0-based)


def clean_text(value: Any) -> str | None:
    """NFKC (full-width digits, letters and punctuation → ASCII), trimmed, inner runs of space collapsed."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split())
    return None if text.casefold() in NULL_TOKENS else text


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


@cache
def _lookup(vocab_items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, term in vocab_items:
        table[_squash(unicodedata.normalize("NFKC", term))] = code
    for variant, code in VARIANTS.items():
        if code in dict(vocab_items):
            table.setdefault(_squash(variant), code)
    for code, _ in vocab_items:  # codes win over a term that happens to spell another code
        table[_squash(code)] = code
    return table


def vocabulary_lookup(vocab: Vocabulary) -> dict[str, str]:
    """Squashed code, official Chinese term or known variant → code."""
    return _lookup(tuple(vocab.items()))


def parse_code(value: Any, vocab: Vocabulary) -> Any:
    text = clean_text(value)
    if text is None:
        return None
    return vocabulary_lookup(vocab).get(_squash(text), text)  # unknown terms stay for `isin` to report


def parse_code_set(value: Any, vocab: Vocabulary) -> Any:
    text = clean_text(value)
    if text is None:
        return None
    codes: list[str] = []
    for part in SET_SPLIT.split(text):
        part = part.strip()
        if part:
            code = vocabulary_lookup(vocab).get(_squash(part), part)
            if code not in codes:
                codes.append(code)
    return SET_SEPARATOR.join(codes) if codes else None


def parse_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return pd.Timestamp(value).tz_localize(None) if value.tzinfo else pd.Timestamp(value)
    text = clean_text(value)
    if text is None:
        return None
    if _SERIAL.match(text):
        return excel_serial(float(text))
    match = _DATE.match(text)
    if not match:
        return _MISSING
    y, mo, d, h, mi, s, frac = match.groups()
    try:
        return pd.Timestamp(
            datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                int((frac or "0").ljust(6, "0")),
            )
        )
    except ValueError:  # 2016-02-30
        return _MISSING


def excel_serial(days: float) -> Any:
    """The moment an Excel date serial stands for (to the second); unreadable outside the plausible range."""
    moment = EXCEL_EPOCH + timedelta(seconds=round(days * 86_400))
    low, high = EXCEL_SERIAL_RANGE
    return pd.Timestamp(moment) if low <= moment <= high else _MISSING


def parse_bool(value: Any) -> Any:
    text = clean_text(value)
    if text is None:
        return None
    token = text.casefold()
    if token in TRUE_TOKENS:
        return True
    if token in FALSE_TOKENS:
        return False
    return _MISSING


def parse_int(value: Any) -> Any:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(",", "")
    return int(float(text)) if _INT.match(text) else _MISSING


def parse_float(value: Any) -> Any:
    text = clean_text(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return _MISSING
    return _MISSING if not np.isfinite(number) else number


def _parse_uniques(
    series: pd.Series, parse: Callable[[Any], Any]
) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """Codes into the distinct values, each distinct value parsed once, and which of those were unreadable."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [parse(u) for u in uniques]
    bad = np.array([p is _MISSING for p in parsed], dtype=bool)
    return codes, [None if p is _MISSING else p for p in parsed], bad


def column_kind(column: pa.Column) -> str:
    """One of 'datetime', 'bool', 'int', 'float', 'set', 'enum', 'str'."""
    dtype = str(column.dtype)
    meta = column.metadata or {}
    if dtype.startswith("datetime"):
        return "datetime"
    if dtype == "boolean":
        return "bool"
    if dtype == "Int64":
        return "int"
    if dtype.startswith("float"):
        return "float"
    if meta.get("set"):
        return "set"
    if meta.get("vocabulary"):
        return "enum"
    return "str"


def _fast_path(series: pd.Series, kind: str) -> pd.Series | None:
    """Typed Parquet columns need no parsing, only the contract's dtype."""
    if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(series.dtype):
        tz = getattr(series.dtype, "tz", None)
        return (series.dt.tz_localize(None) if tz else series).astype("datetime64[ns]")
    if kind == "bool" and pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    if kind == "int" and pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("Int64")
    if (
        kind == "float"
        and pd.api.types.is_numeric_dtype(series.dtype)
        and not pd.api.types.is_bool_dtype(series.dtype)
    ):
        return series.astype("float64")
    return None


def normalize_column(series: pd.Series, column: pa.Column) -> tuple[pd.Series, np.ndarray]:
    """The column in the contract's dtype, and a boolean mask of cells that could not be read."""
    kind = column_kind(column)
    fast = _fast_path(series, kind)
    if fast is not None:
        return fast, np.zeros(len(series), dtype=bool)
    vocab = (column.metadata or {}).get("vocabulary") or {}
    parse: Callable[[Any], Any] = {
        "datetime": parse_datetime,
        "bool": parse_bool,
        "int": parse_int,
        "float": parse_float,
        "set": lambda v: parse_code_set(v, vocab),
        "enum": lambda v: parse_code(v, vocab),
        "str": clean_text,
    }[kind]
    codes, parsed, bad_unique = _parse_uniques(series, parse)
    if kind == "datetime":
        typed_uniques = (
            pd.to_datetime(pd.Series(parsed, dtype=object), errors="coerce").astype("datetime64[ns]").array
        )
    else:
        typed_uniques = pd.array(parsed, dtype=column.dtype.type)
    # Take from the typed distinct values: no per-row Python objects, even for 8M rows.
    typed = pd.Series(typed_uniques.take(codes, allow_fill=True), index=series.index, name=series.name)
    bad = np.append(bad_unique, False)[codes]  # code -1 (missing) indexes the appended False
    return typed, bad


def normalize_frame(raw: pd.DataFrame, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contract columns in contract dtypes, and one failure row (`FAILURE_COLUMNS`) per unreadable cell.
    An absent optional column comes out all missing; an absent required one is left out for pandera to
    report."""
    out: dict[str, pd.Series] = {}
    failures: list[pd.DataFrame] = []
    for name, column in schema.columns.items():
        if name not in raw.columns:
            if not column.required:
                out[name] = normalize_column(pd.Series(None, index=raw.index, dtype=object), column)[0]
            continue
        typed, bad = normalize_column(raw[name], column)
        out[name] = typed
        if bad.any():
            rows = np.flatnonzero(bad)
            failures.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "field": name,
                        "rule": f"coerce_dtype('{column.dtype}')",
                        "value": raw[name].iloc[rows].astype(str).to_numpy(),
                    }
                )
            )
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
    return pd.DataFrame(out, index=raw.index), pd.concat([empty, *failures], ignore_index=True)
