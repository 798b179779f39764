"""The model's contract with everyone who reads it: what `predict` returns, how a reason is written, how an
indicator reads to a person, the artifact and alias names, and what makes a champion legitimate. Training
writes these facts, serving and any `mlflow.pyfunc` user read them; both import them from here.

The logged model declares this package (MLflow `code_paths`), so `training/pyfunc.py` loads where nothing of
the project is installed. Imports: numpy/pandas-free at the top and pydantic only; pandera loads inside
`scored_schema` (checking an output is the reader's job, not `predict`'s).

Versions of the contract (`CONTRACT_VERSION`, written into `model_meta.json`):
- "1": models logged before this module (no `contract_version` in their meta; reasons without `display`);
- "2": reasons carry `display` (and `codes` for coded indicators); indicators declare `display` in the meta.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

CONTRACT_VERSION = "2"
SUPPORTED_CONTRACTS = ("1", "2")  # what this code can serve (reasons of "1" simply lack `display`)

# --- registry names ---------------------------------------------------------------------------------------
CHAMPION = "champion"
CHALLENGER = "challenger"
HISTORY_TAG = "champion_history"  # registered-model tag: JSON list of versions, latest champion last
GATES = ("quality", "fairness", "calibration")  # version tags gate_<name> = PASS | FAIL, set by promote
PASS = "PASS"

# --- artifacts of a logged model --------------------------------------------------------------------------
BOOSTER = "booster.txt"
META = "model_meta.json"
REFERENCE = "reference.parquet"
DRIFT = "drift_reference.json"  # reference histograms (shouhu_core.drift); absent in older models
SPEC = "feature_spec.yaml"
CARD = "model_card.md"

# --- the scored frame -------------------------------------------------------------------------------------
OUTPUT_COLUMNS = ("probability", "percentile", "band", "margin", "reasons", "protective_reasons")
REASON_COLUMNS = ("reasons", "protective_reasons")
BANDS = ("red", "orange", "yellow", "green")  # most severe first

# How an indicator's value reads to a person (the page words it; nothing parses the free-text unit):
# count   a number of things (visits, events, people, months), shown with its unit
# share   a share 0–1, shown as a percentage
# days    a number of days
# years   an age in whole years
# flag    0/1, shown as 是/否
# code    a closed list of codes (`codes`: value → Chinese term)
# ordinal a position on a scale (`codes` name the scale's levels where the spec gives them)
Display = Literal["count", "share", "days", "years", "flag", "code", "ordinal"]
DISPLAYS: tuple[str, ...] = ("count", "share", "days", "years", "flag", "code", "ordinal")


class IndicatorMeta(BaseModel):
    """One indicator as the model's `model_meta.json` describes it (from the spec it was trained on)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    label_zh: str
    family: str
    family_zh: str
    unit: str
    direction: str = "none"
    display: Display | None = None  # None only in models of contract "1"
    codes: dict[int, str] = Field(default_factory=dict)


class Reason(BaseModel):
    """One item of `reasons` / `protective_reasons`: an indicator family that moved the score. `contribution`
    is the family's summed TreeSHAP contribution (log-odds); `indicator`, `value`, `reference` and
    `indicator_contribution` are its strongest indicator in that direction; `reference` is the reference
    cohort's median (of the child's age group where known); `value`/`reference` are null when unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator: str
    label_zh: str
    family: str
    family_zh: str
    unit: str
    display: Display | None = None
    codes: dict[int, str] = Field(default_factory=dict)
    value: float | None
    reference: float | None
    contribution: float
    indicator_contribution: float | None = None


REASON_FIELDS: tuple[str, ...] = tuple(Reason.model_fields)
_REASONS = TypeAdapter(list[Reason])


def reason_head(name: str, meta: IndicatorMeta) -> dict[str, Any]:
    """The part of a reason that depends only on the indicator (built once per indicator, not per row)."""
    head: dict[str, Any] = {
        "indicator": name,
        "label_zh": meta.label_zh,
        "family": meta.family,
        "family_zh": meta.family_zh,
        "unit": meta.unit,
        "display": meta.display,
    }
    if meta.codes:
        head["codes"] = {str(k): v for k, v in meta.codes.items()}
    return head


def encode_reasons(items: list[dict[str, Any]]) -> str:
    """A list of reasons (dicts with the fields of `Reason`) as the JSON text of an output cell: data in,
    data out, never spliced strings. NaN (an unknown value) is written as null. pydantic-core's encoder:
    4× Python's `json`, which matters when every child of a county is explained."""
    return pydantic_core.to_json(items, inf_nan_mode="null").decode()


def decode_reasons(cell: Any) -> list[Reason] | None:
    """An output cell back to reasons, checked against `Reason` (None for a missing cell: None, NaN or
    pandas' NA). Raises `pydantic.ValidationError` for any other text — a reason is never read by guessing."""
    if isinstance(cell, str | bytes):
        return _REASONS.validate_json(cell)
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or type(cell).__name__ == "NAType":
        return None
    raise TypeError(f"a reasons cell is JSON text or missing, not {type(cell).__name__}")


# --- checking an output -------------------------------------------------------------------------------------
@cache
def scored_schema() -> pa.DataFrameSchema:
    """The pandera schema of `predict`'s output: the columns of `OUTPUT_COLUMNS`, in order, nothing else."""
    import pandera.pandas as pa

    def reasons_decode(cells: pd.Series) -> bool:
        try:
            for cell in cells:
                decode_reasons(cell)
        except (ValueError, TypeError):  # pydantic.ValidationError is a ValueError
            return False
        return True

    reason_column = pa.Column(
        "string",
        nullable=True,
        checks=pa.Check(reasons_decode, name="reasons_are_json_lists_of_Reason", element_wise=False),
    )
    return pa.DataFrameSchema(
        {
            "probability": pa.Column(float, pa.Check.in_range(0.0, 1.0)),
            "percentile": pa.Column(float, pa.Check.in_range(0.0, 100.0)),
            "band": pa.Column("string", pa.Check.isin(list(BANDS))),
            "margin": pa.Column(float, pa.Check(lambda s: s.abs() < float("inf"), name="finite")),
            "reasons": reason_column,
            "protective_reasons": reason_column,
        },
        strict=True,
        ordered=True,
        coerce=False,
        name="ScoredFrame",
    )


def validate_scored(frame: pd.DataFrame, rows: int | None = None) -> pd.DataFrame:
    """`frame` if it is a valid scored frame (of `rows` rows when given), else `pandera.errors.SchemaError`
    or `ValueError` saying what is wrong."""
    if rows is not None and len(frame) != rows:
        raise ValueError(f"the model returned {len(frame)} rows for {rows} inputs")
    return scored_schema().validate(frame)


# --- whether the champion got there through the gates -------------------------------------------------------
GateStatus = Literal["passed", "first_model", "ungated"]


@dataclass(frozen=True)
class GateVerdict:
    status: GateStatus
    note: str

    @property
    def passed(self) -> bool:
        return self.status != "ungated"


def history_of(tags: Mapping[str, str] | None) -> list[str]:
    """The champion history kept in the registered model's tags (oldest first)."""
    return [str(v) for v in json.loads((tags or {}).get(HISTORY_TAG, "[]"))]


def gate_verdict(version: str, version_tags: Mapping[str, str], history: Sequence[str]) -> GateVerdict:
    """How `version` became champion. Shouhu moves the champion alias only through `promote` (every gate
    PASS), `rollback` (back to an earlier champion) or for the very first model (nothing to compare with),
    and each of these records the version last in the champion history. An alias moved any other way (the
    MLflow UI's own buttons, a script) leaves the history behind: that champion did not pass the gates."""
    verdicts = {g: version_tags.get(f"gate_{g}") for g in GATES}
    last = history[-1] if history else None
    if last == version and all(v == PASS for v in verdicts.values()):
        return GateVerdict("passed", "passed the promotion gates (" + ", ".join(GATES) + ")")
    if last == version and history[0] == version:
        return GateVerdict(
            "first_model", "the first model: champion without gates (there was no champion to compare with)"
        )
    failed = [f"{g} {v}" for g, v in verdicts.items() if v and v != PASS]
    why = f"gate verdicts: {', '.join(failed)}" if failed else "no passing gate verdicts recorded"
    if last != version:
        why = (
            f"the champion alias was moved outside `shouhu promote` (the champion history ends with "
            f"{'v' + last if last else 'nothing'}); {why}"
        )
    return GateVerdict("ungated", f"v{version} did not pass the promotion gates: {why}")


# What the `probability` output means, in the words a caseworker reads (API docs, model card). It estimates
# *detected* outcomes: the label is what the records found, not everything that happened.
def probability_meaning(horizon_days: int = 90) -> str:
    return f"过去与该儿童情况相似的儿童中，{horizon_days}天内被发现不良事件的比例"


PROBABILITY_MEANING = probability_meaning()
