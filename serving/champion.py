"""The champion model, loaded from the MLflow registry and swapped in place when the alias moves.

`check()` asks the registry which version `@champion` points at (one small query); only when it differs from
the loaded one is the new version loaded, and only a successful load replaces the old model, so a broken
promotion keeps the previous champion serving. A background thread calls `check()` every `poll_seconds`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("shouhu.serving.champion")
ALIAS = "champion"


class ModelUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    run_id: str | None
    model: Any  # mlflow.pyfunc.PyFuncModel
    tags: dict[str, str] = field(default_factory=dict)
    card: str | None = None
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _find_card(local_dir: Path) -> str | None:
    for path in sorted(local_dir.rglob("model_card.md")):
        return path.read_text(encoding="utf-8")
    return None


class Champion:
    def __init__(self, tracking_uri: str, name: str, poll_seconds: float = 5.0) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.poll_seconds = poll_seconds
        self._current: LoadedModel | None = None
        self._client: Any = None
        self._check_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self._failed_version: str | None = None  # not retried until the alias moves again
        self.last_check: dt.datetime | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def require(self) -> LoadedModel:
        model = self._current
        if model is None:
            raise ModelUnavailable(
                f"no champion model loaded (models:/{self.name}@{ALIAS}); train and promote one first"
                + (f" — last error: {self.last_error}" if self.last_error else "")
            )
        return model

    def _registry(self) -> Any:
        if self._client is None:
            import mlflow
            from mlflow import MlflowClient

            # load_model resolves models:/ URIs against the global registry URI
            mlflow.set_tracking_uri(self.tracking_uri)
            mlflow.set_registry_uri(self.tracking_uri)
            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def _load(self, version: Any) -> LoadedModel:
        import mlflow.artifacts
        import mlflow.pyfunc

        uri = f"models:/{self.name}/{version.version}"
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
        model = mlflow.pyfunc.load_model(str(local))
        return LoadedModel(
            name=self.name,
            version=str(version.version),
            run_id=version.run_id,
            model=model,
            tags=dict(version.tags or {}),
            card=_find_card(local),
        )

    def check(self) -> bool:
        """Load the alias's version if it changed; True when a new model was swapped in."""
        with self._check_lock:
            self.last_check = dt.datetime.now(dt.UTC)
            try:
                version = self._registry().get_model_version_by_alias(self.name, ALIAS)
            except Exception as exc:  # no such model/alias yet, or registry unreachable: keep serving
                self.last_error = f"registry: {type(exc).__name__}: {str(exc)[:200]}"
                return False
            current = self._current
            if current is not None and current.version == str(version.version):
                return False
            if self._failed_version == str(version.version):
                return False
            try:
                loaded = self._load(version)
            except Exception as exc:
                self._failed_version = str(version.version)
                self.last_error = (
                    f"version {version.version} failed to load: {type(exc).__name__}: {str(exc)[:200]}"
                )
                log.warning(
                    "champion %s: %s; keeping version %s",
                    self.name,
                    self.last_error,
                    current.version if current else None,
                )
                return False
            self._current = loaded
            self.last_error = self._failed_version = None
            log.info("champion %s: now serving version %s", self.name, loaded.version)
            return True

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.check()

    def start(self) -> None:
        self.check()
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="champion-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
