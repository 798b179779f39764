"""The feature matrix contract (docs/architecture.md §3), as a pandera model. The fixed columns are declared
here; the indicator, flag and per-type label columns come from the spec, the rules and the incident types."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from features.labels import LABEL_TYPES
from features.rules import RULES
from features.spec import AUDIT_COLUMNS, FeatureSpec, load_spec

AGE_GROUPS = ("0-5", "6-11", "12-15")


class FeatureMatrix(pa.DataFrameModel):
    """One row per (child_key, as_of) of the cohort at as_of."""

    child_key: Series[str] = pa.Field(str_matches=r"^c_[0-9a-f]{16}$")
    as_of: Series[pa.DateTime] = pa.Field()
    village_code: Series[str] = pa.Field(nullable=True)
    township_code: Series[str] = pa.Field(nullable=True)
    sex: Series[str] = pa.Field(nullable=True)
    ethnicity_code: Series[str] = pa.Field(nullable=True)
    minority: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    has_disability: Series[bool] = pa.Field()
    age_group: Series[str] = pa.Field(isin=list(AGE_GROUPS))
    rule_flags: Series[str] = pa.Field()
    label: Series[int] = pa.Field(isin=[0, 1])
    label_observable: Series[bool] = pa.Field()
    true_label: Series[float] = pa.Field(nullable=True, isin=[0.0, 1.0])
    true_risk: Series[float] = pa.Field(nullable=True, ge=0, le=1)

    class Config:
        strict = True
        ordered = True
        unique = ("child_key", "as_of")

    @pa.check("as_of", name="as_of_is_midnight")
    def _midnight(cls, s: Series[pd.Timestamp]) -> Series[bool]:
        return s == s.dt.normalize()


def matrix_columns(spec: FeatureSpec | None = None) -> list[str]:
    """Every column of the matrix, in order."""
    spec = spec or load_spec()
    return [
        "child_key",
        "as_of",
        *AUDIT_COLUMNS,
        *spec.model_inputs(),
        *[r.column for r in RULES],
        "rule_flags",
        "label",
        *[f"label_{t}" for t in LABEL_TYPES],
        "label_observable",
        "true_label",
        "true_risk",
    ]


def matrix_schema(spec: FeatureSpec | None = None) -> pa.DataFrameSchema:
    spec = spec or load_spec()
    base = FeatureMatrix.to_schema()
    extra: dict[str, pa.Column] = {name: pa.Column(float, nullable=True) for name in spec.model_inputs()}
    extra |= {r.column: pa.Column(bool) for r in RULES}
    extra |= {f"label_{t}": pa.Column(int, pa.Check.isin([0, 1])) for t in LABEL_TYPES}
    columns = base.columns | extra
    return pa.DataFrameSchema(
        {c: columns[c] for c in matrix_columns(spec)},
        checks=base.checks,
        unique=base.unique,
        strict=True,
        ordered=True,
        name="FeatureMatrix",
    )


def validate(df: pd.DataFrame, spec: FeatureSpec | None = None) -> pd.DataFrame:
    return matrix_schema(spec).validate(df, lazy=True)
