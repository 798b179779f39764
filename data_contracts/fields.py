"""Field builders shared by the feed models, so a rule is written once and documented once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera import extensions

from data_contracts.enums import Vocabulary

CODE12 = r"^\d{12}$"  # 统计用区划代码, village level
SET_SEPARATOR = ";"  # set-valued fields are stored as codes joined by ';' (empty = none)


def _presence(nullable: bool, optional: bool) -> dict[str, bool]:
    # An optional column may be missing from a file altogether (it loads as missing), so a column added in
    # a minor contract version does not make older exports unreadable; it is therefore always nullable.
    return {"nullable": nullable or optional, "required": not optional}


def enum(
    vocab: Vocabulary, title: str, *, nullable: bool = False, optional: bool = False, **meta: Any
) -> Any:
    """A field whose value must be one code of `vocab` (the Chinese terms are mapped by ingest)."""
    return pa.Field(
        isin=list(vocab), title=title, metadata={"vocabulary": vocab, **meta}, **_presence(nullable, optional)
    )


@extensions.register_check_method(statistics=["allowed"], supported_types=pd.Series)
def codes_in(series: pd.Series, *, allowed: tuple[str, ...]) -> pd.Series:
    """Each value is a ';'-joined set of codes, every one of them in `allowed` (missing = empty set)."""
    ok = set(allowed)

    def one(value: object) -> bool:
        return all(p in ok for p in str(value).split(SET_SEPARATOR) if p)

    # Judge each distinct value once: sets repeat a lot, and this keeps the check vectorised on big feeds.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    verdict = np.array([one(u) for u in uniques] + [True], dtype=bool)
    return pd.Series(verdict[codes], index=series.index)


def code_set(vocab: Vocabulary, title: str, *, optional: bool = False) -> Any:
    """A set-valued field: codes of `vocab` joined by ';'."""
    return pa.Field(
        title=title,
        codes_in={"allowed": tuple(vocab)},
        metadata={"vocabulary": vocab, "set": True},
        **_presence(True, optional),
    )


def pii(title: str, kind: str, *, nullable: bool = True, **checks: Any) -> Any:
    """A personal identifier: kept only in the restricted identity table, never model-facing."""
    return pa.Field(nullable=nullable, title=title, metadata={"pii": kind}, **checks)


def key(title: str, *, pseudonymize: bool = False, nullable: bool = False, **checks: Any) -> Any:
    """An identifier column; with `pseudonymize`, ingest replaces it by a keyed HMAC pseudonym."""
    meta = {"pseudonymize": True} if pseudonymize else {}
    return pa.Field(nullable=nullable, title=title, metadata=meta, str_length={"min_value": 1}, **checks)


def field(
    title: str,
    *,
    nullable: bool = False,
    optional: bool = False,
    description: str | None = None,
    **checks: Any,
) -> Any:
    return pa.Field(title=title, description=description, **_presence(nullable, optional), **checks)


def recorded_at() -> Any:
    return pa.Field(title="录入时间", description="When the record entered the source system.")


def source_system(vocab: Vocabulary) -> Any:
    return pa.Field(isin=list(vocab), title="来源系统", metadata={"vocabulary": vocab})
