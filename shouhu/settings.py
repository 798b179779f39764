"""The one settings object: everything configurable, read from `SHOUHU_*` env vars or a `.env` file."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public development values: anyone can read them here, so nothing but a development run may use them.
DEV_PSEUDONYM_SECRET = "shouhu-dev-secret-change-me"
DEV_TOKEN_SECRET = "shouhu-dev-token-secret-change-me"
KNOWN_SECRETS = frozenset({DEV_PSEUDONYM_SECRET, DEV_TOKEN_SECRET, "", "secret", "changeme", "change-me"})
MIN_SECRET_LENGTH = 32
SECRET_ENV = {"pseudonym_secret": "SHOUHU_PSEUDONYM_SECRET", "token_secret": "SHOUHU_TOKEN_SECRET"}
NEW_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class InsecureSettings(ValueError):
    """A secret is a public default or too short, and development secrets are not allowed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUHU_", env_file=".env", extra="ignore")

    # Each description is the README's settings table (`shouhu settings-doc` writes it); `shown_default`
    # is how the table shows a default that is not literally the value here.
    data_dir: Path = Field(
        Path("data"),
        description="Simulated feeds (`shouhu simulate` writes to `DATA_DIR/sim`), exports, reports; the "
        "warehouse and the service database follow it unless set.",
    )
    warehouse: Path = Field(
        Path("data/warehouse.duckdb"),
        description="The DuckDB warehouse ingest writes and features read.",
        json_schema_extra={"shown_default": "DATA_DIR/warehouse.duckdb"},
    )
    database_url: str = Field(
        "sqlite:///data/shouhu.db",
        description="Service database (users, lists, decisions, audit); PostgreSQL works too.",
        json_schema_extra={"shown_default": "sqlite:///DATA_DIR/shouhu.db"},
    )
    mlflow_tracking_uri: str = Field(
        "sqlite:///mlruns/mlflow.db", description="MLflow tracking and model registry."
    )
    mlflow_artifact_root: Path = Field(Path("mlruns"), description="Where MLflow keeps run artifacts.")
    pseudonym_secret: SecretStr = Field(
        SecretStr(DEV_PSEUDONYM_SECRET),
        description="HMAC key for pseudonymous child and person keys: random, ≥ 32 characters, kept (keys "
        "follow the secret); ingest refuses anything else.",
    )
    token_secret: SecretStr = Field(
        SecretStr(DEV_TOKEN_SECRET),
        description="Signs access tokens (JWT) and the pages' CSRF tokens: random, ≥ 32 characters; the "
        "server refuses anything else.",
    )
    token_minutes: int = Field(60, ge=1, le=24 * 60, description="How long a sign-in lasts (minutes).")
    model_name: str = Field("shouhu-risk", description="The registered model's name in the MLflow registry.")
    model_poll_seconds: float = Field(5.0, gt=0, description="How often serving checks the champion alias.")
    horizon_days: int = Field(
        90, ge=7, le=365, description="Label horizon: days after the as-of date in which an outcome counts."
    )
    visits_per_township: int = Field(
        40, ge=1, description="Visit capacity k: visits one township makes per 30-day cycle (precision@k)."
    )
    feature_spec: Path | None = Field(
        None,
        description="The indicator spec `features` and `train` use; each model keeps its own copy, which "
        "serving uses.",
        json_schema_extra={"shown_default": "features/specs/v1.yaml"},
    )
    allow_dev_secrets: bool = Field(
        False,
        description="Development on your own machine only: lets ingest and the server run on public default "
        "or short secrets.",
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "Comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed; empty (default): the peer address is the client's."
        ),
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token a Prometheus scraper sends for GET /api/v1/metrics; unset: metrics off.",
    )
    # what people read: times are stored in UTC and shown in this zone; lists default to the latest data
    timezone: str = Field(
        "Asia/Shanghai", description="Time zone (IANA name) of the times pages, exports and the API show."
    )

    as_of: dt.date | None = Field(
        None,
        description="Make lists for this date instead of the day after the latest record (a demo, a replay).",
    )

    # monitoring (`shouhu monitor`, the 县民政 dashboard) and the monthly job (`shouhu schedule`)
    monitor_stale_days: int = Field(
        14, ge=1, description="A feed with no record for this many days is reported as stopped."
    )
    monitor_quarantine_rate: float = Field(
        0.05, ge=0, le=1, description="Alert when a feed's latest ingest quarantines more than this share."
    )
    monitor_psi: float = Field(
        0.25, gt=0, description="Alert when the score's or an input's PSI against the reference exceeds this."
    )
    monitor_min_precision: float = Field(
        0.0, ge=0, le=1, description="Alert when an issued list's realised precision@k falls below this."
    )
    monitor_override_share: float = Field(
        0.5, ge=0, le=1, description="Alert above this share of visit decisions out of list order."
    )
    retrain_max_champion_days: int = Field(
        120, ge=1, description="The monthly job retrains when the champion is older than this many days."
    )

    # The engine `shouhu features` runs on: embedded DuckDB, or Spark (needs Java and the `spark` extra).
    backend: Literal["duckdb", "spark"] = Field("duckdb", description="Features engine: duckdb or spark.")
    spark_master: str = Field(
        "local[*]", description="Spark master URL (local[*]: this machine; spark://host:7077 a cluster)."
    )
    # What the booster learns from (training.bias.SCHEMES); checked when a training run starts.
    label_scheme: str = Field(
        "detected",
        description="Training label: detected, exposure_weighted, visit_proof or type_weighted "
        "(docs/evaluation.md).",
    )
    drift_sample: int = Field(
        50_000,
        ge=1000,
        description="Drift is measured on this many children (the smallest keys), or on all if fewer.",
    )
    duckdb_memory: str | None = Field(
        None,
        pattern=r"(?i)^\s*\d+(\.\d+)?\s*[KMGT]i?B\s*$",
        description="Memory limit of the DuckDB features engine (`shouhu features`), e.g. 4GB: past it "
        "DuckDB spills its intermediate tables to `DATA_DIR/duckdb_spill`; unset: DuckDB's own default (80 % "
        "of the machine's memory).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _follow_data_dir(self) -> Settings:
        # Moving SHOUHU_DATA_DIR moves the local files with it, unless they are set on their own.
        if "warehouse" not in self.model_fields_set:
            self.warehouse = self.data_dir / "warehouse.duckdb"
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.data_dir / 'shouhu.db'}"
        return self

    def secret_problems(self, *names: str) -> list[str]:
        """What is wrong with the named secrets (all of them by default): a public default or too short."""
        problems = []
        for name in names or tuple(SECRET_ENV):
            value = getattr(self, name).get_secret_value()
            if value in KNOWN_SECRETS:
                problems.append(f"{SECRET_ENV[name]} is a public development value")
            elif len(value) < MIN_SECRET_LENGTH:
                problems.append(f"{SECRET_ENV[name]} is shorter than {MIN_SECRET_LENGTH} characters")
        return problems

    def require_secrets(self, *names: str) -> None:
        """Raise InsecureSettings, saying how to set them, unless the named secrets are fit for real data or
        SHOUHU_ALLOW_DEV_SECRETS is set (development on one's own machine)."""
        problems = self.secret_problems(*names)
        if problems and not self.allow_dev_secrets:
            envs = [SECRET_ENV[n] for n in names or tuple(SECRET_ENV)]
            raise InsecureSettings(
                "refusing to run with insecure secrets: "
                + "; ".join(problems)
                + ". Set each to a random value of at least "
                + f"{MIN_SECRET_LENGTH} characters and keep it (pseudonymous keys and sessions follow it), "
                + "e.g. in .env: "
                + " ".join(f'echo "{e}=$({NEW_SECRET})" >> .env;' for e in envs)
                + " For development on your own machine only: SHOUHU_ALLOW_DEV_SECRETS=1."
            )

    def ensure_dirs(self) -> None:
        """Create the local folders the defaults point at (called by commands, never at import)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        self.mlflow_artifact_root.mkdir(parents=True, exist_ok=True)
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
