"""The indicator spec: a versioned YAML file parsed by pydantic. It is the single declaration of every model
input — name, Chinese label, unit, how its value reads to a person (`display`, with `codes` for coded values),
family, window, expected direction, source and how it is aggregated. Training reads names, families and
directions from here (directions become LightGBM monotone constraints) and stores the spec with every model;
serving builds features with that stored copy and words reasons from `display` and `codes` (they travel in the
model's `model_meta.json`); the engine (`features.indicators`) compiles the `aggregate` part to Ibis."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shouhu_core.model_contract import Display

DEFAULT_SPEC = Path(__file__).parent / "specs" / "v1.yaml"

# Audit groups and scope: carried in the matrix for fairness reports and list filters, never model inputs.
AUDIT_COLUMNS: tuple[str, ...] = (
    "village_code",
    "township_code",
    "sex",
    "ethnicity_code",
    "minority",
    "has_disability",
    "age_group",
)

Direction = Literal["increasing", "decreasing", "none"]

# Every way an indicator can be computed; each name has one builder in `features.indicators`.
Aggregate = Literal[
    # event feeds (visit_logs, school_attendance, school_events, incidents, parent_contact_log)
    "count",  # matching events in the window (optionally per `per_days`)
    "share",  # matching events / events passing `denominator` in the window; NaN when none
    "any",  # 1 if a matching event in the window, 0 if only others, NaN if no events at all
    "days_since_last",  # days from the latest matching event to as_of; NaN if none
    "latest",  # `encode`d value of `column` on the latest event where it is known
    "days_past_latest",  # days from `column` (a date) of the latest event to as_of, clipped at 0
    "longest_run",  # longest run of consecutive matching records among `denominator` records
    "share_change",  # share in the window minus share in the window before it
    "post_holiday_share",  # share among records in the first `days_after_term_start` days of a term
    # registry snapshot (children_registry, latest visible snapshot)
    "snapshot",  # `encode`d value of `column`, or 1/0 membership of `values`
    "snapshot_has",  # 1 if the set-valued `column` holds any of `values`
    "age_years",  # whole years from birth_date to as_of
    # household_members (latest visible version of each relation)
    "caregiver",  # `encode`d `column` of the primary caregiver
    "caregiver_age",  # years from the primary caregiver's birth year
    "children_per_caregiver",  # children the primary caregiver is primary caregiver of
    # parents (parent_migration_episodes + parent_contact_log + registry)
    "months_since_parent_home",
    "parent_lost_contact",  # 1 if a parent's latest episode shows lost contact for >= window_days
    # assistance_benefits
    "benefit_active",  # 1 if a benefit of `values` is active/approved at as_of, or the registry says so
    # calendar and season (no child data)
    "days_to_holiday",
    "calendar_share_ahead",  # share of the next window_days flagged by `column` in the calendar
    "month_share_ahead",  # share of the next window_days falling in `values` (month numbers)
]


class Condition(BaseModel):
    """One test on a source record. `is_true` for booleans, `in` for codes, `has_any` for ';'-joined sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    op: Literal["is_true", "is_false", "in", "not_in", "has_any", "not_null"] = "is_true"
    values: tuple[str, ...] = ()


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str
    unit: str
    # How the value reads to a person (model_contract.Display). Optional only so that the specs stored with
    # models trained before it was declared still parse; a spec a model is trained on declares it everywhere
    # (`FeatureSpec.undisplayed`, checked by training).
    display: Display | None = None
    codes: dict[int, str] = Field(default_factory=dict)  # value → Chinese term (code; ordinal: named levels)
    family: str
    window_days: int | None = Field(None, ge=1)
    direction: Direction = "none"
    source: str
    description: str = ""
    aggregate: Aggregate
    column: str | None = None
    where_any: tuple[Condition, ...] = ()  # a record matches if any condition holds (none = every record)
    denominator: tuple[Condition, ...] = ()  # for shares and runs: which records count (none = every record)
    values: tuple[str, ...] = ()
    encode: dict[str, float] = Field(default_factory=dict)
    per_days: int | None = Field(None, ge=1)
    days_after_term_start: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _codes_fit_display(self) -> Indicator:
        if self.display == "code" and not self.codes:
            raise ValueError(f"{self.name}: display `code` needs `codes` (value → Chinese term)")
        if self.codes and self.display not in ("code", "ordinal"):
            raise ValueError(f"{self.name}: `codes` only go with display `code` or `ordinal`")
        unnamed = sorted({int(v) for v in self.encode.values()} - set(self.codes))
        if self.display == "code" and unnamed:
            raise ValueError(f"{self.name}: encoded values {unnamed} have no term in `codes`")
        return self


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    families: dict[str, str]
    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _consistent(self) -> FeatureSpec:
        names = [i.name for i in self.indicators]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate indicator names: {dupes}")
        unknown = sorted({i.family for i in self.indicators} - set(self.families))
        if unknown:
            raise ValueError(f"indicators use undeclared families: {unknown}")
        clash = sorted(set(names) & set(AUDIT_COLUMNS))
        if clash:
            raise ValueError(f"audit columns cannot be indicators: {clash}")
        return self

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical content: the same definitions hash the same whatever the YAML layout."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def model_inputs(self) -> list[str]:
        return [i.name for i in self.indicators]

    def indicator(self, name: str) -> Indicator:
        for i in self.indicators:
            if i.name == name:
                return i
        raise KeyError(name)

    def directions(self) -> dict[str, Direction]:
        return {i.name: i.direction for i in self.indicators}

    def undisplayed(self) -> list[str]:
        """Indicators that do not say how they read to a person (only older specs have any)."""
        return [i.name for i in self.indicators if i.display is None]


def parse_spec(text: str) -> FeatureSpec:
    return FeatureSpec.model_validate(yaml.safe_load(text))


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: tuple[int, int]) -> FeatureSpec:
    return parse_spec(path.read_text(encoding="utf-8"))


def load_spec(path: Path | str | None = None) -> FeatureSpec:
    """The spec at `path`, else the packaged v1 (a command honouring `settings.feature_spec` passes it)."""
    resolved = Path(path or DEFAULT_SPEC).resolve()
    stat = resolved.stat()
    return _load(resolved, (stat.st_mtime_ns, stat.st_size))  # an edited file is read again
