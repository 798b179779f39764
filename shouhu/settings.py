"""The one settings object: everything configurable, read from `SHOUHU_*` env vars or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUHU_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where simulated feeds, exports and reports go.")
    warehouse: Path = Field(
        Path("data/warehouse.duckdb"), description="DuckDB warehouse (default: DATA_DIR/warehouse.duckdb)."
    )
    database_url: str = Field(
        "sqlite:///data/shouhu.db", description="Service database URL (default: DATA_DIR/shouhu.db)."
    )
    mlflow_tracking_uri: str = Field("sqlite:///mlruns/mlflow.db", description="MLflow tracking + registry.")
    mlflow_artifact_root: Path = Field(Path("mlruns"), description="Where MLflow keeps run artifacts.")
    pseudonym_secret: SecretStr = Field(
        SecretStr("shouhu-dev-secret-change-me"),
        description="HMAC key for pseudonymous keys; change it in production (keys follow the secret).",
    )
    token_secret: SecretStr = Field(
        SecretStr("shouhu-dev-token-secret-change-me"), description="Signs access tokens (JWT)."
    )
    token_minutes: int = Field(60, ge=1, le=24 * 60)
    model_name: str = "shouhu-risk"
    model_poll_seconds: float = Field(5.0, gt=0, description="How often serving checks the champion alias.")
    horizon_days: int = Field(90, ge=7, le=365)
    visits_per_township: int = Field(
        40, ge=1, description="Visit capacity k: visits one township makes per 30-day cycle."
    )
    feature_spec: Path | None = Field(None, description="Override for the indicator spec YAML.")

    @model_validator(mode="after")
    def _follow_data_dir(self) -> Settings:
        # Moving SHOUHU_DATA_DIR moves the local files with it, unless they are set on their own.
        if "warehouse" not in self.model_fields_set:
            self.warehouse = self.data_dir / "warehouse.duckdb"
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.data_dir / 'shouhu.db'}"
        return self

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
