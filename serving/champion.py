"""The champion model, loaded from the MLflow registry and swapped in place when the alias moves — safely.

`check()` reads the registered model (its aliases and champion history: one small query). Only when the
champion alias names another version is that version loaded, and it replaces the serving model only once it
has passed every check of `load_version`: its artifacts load, its contract version is one this code serves,
its own `feature_spec.yaml` parses and declares its inputs, and it scores the reference example stored with it
into a frame the output contract accepts. A version that fails is not retried until the alias moves again, and
the previous model keeps serving.

At start-up there is no previous model: when the champion cannot be served, the most recent loadable version
of the champion history serves instead, and `degraded` says so (with the reason) until a champion loads. A
champion whose alias was moved outside `shouhu promote` is served, but logged and reported as not having
passed the gates (`shouhu_core.model_contract.gate_verdict`). A background thread calls `check()` every
`poll_seconds`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from shouhu_core.model_contract import (
    CARD,
    CHAMPION,
    META,
    SPEC,
    SUPPORTED_CONTRACTS,
    GateVerdict,
    IndicatorMeta,
    gate_verdict,
    history_of,
    validate_scored,
)

if TYPE_CHECKING:
    from features.spec import FeatureSpec

log = logging.getLogger("shouhu.serving.champion")
ALIAS = CHAMPION


class ModelUnavailable(RuntimeError):
    pass


class ModelRefused(RuntimeError):
    """A version that loads but may not serve (the message says which check it failed)."""


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    run_id: str | None
    model: Any  # mlflow.pyfunc.PyFuncModel
    tags: dict[str, str] = field(default_factory=dict)
    card: str | None = None
    spec: FeatureSpec | None = None  # the model's own feature_spec.yaml: serving builds its inputs with it
    indicators: dict[str, IndicatorMeta] = field(default_factory=dict)  # from its model_meta.json
    contract_version: str = "1"
    gates: GateVerdict | None = None
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def spec_hash(self) -> str | None:
        return self.spec.hash if self.spec is not None else None


def _artifact(local_dir: Path, name: str) -> Path | None:
    for path in sorted(local_dir.rglob(name)):
        if "code" not in path.relative_to(local_dir).parts:  # never a file of the declared code
            return path
    return None


def reference_example(model: Any, inputs: list[str]) -> pd.DataFrame:
    """The input example logged with the model (reference medians, no child's record; MLflow loads it with
    the model); for a model logged without one, a row with every input unknown (it must answer that too)."""
    example = getattr(model, "input_example", None)
    if isinstance(example, pd.DataFrame) and not example.empty:
        return example
    return pd.DataFrame({name: [float("nan")] for name in inputs})


def load_version(name: str, version: Any, history: list[str]) -> LoadedModel:
    """Load `version` (an MLflow ModelVersion) and check that it may serve; raises on any failed check."""
    import mlflow.artifacts
    import mlflow.pyfunc

    from features.spec import parse_spec

    number = str(version.version)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{number}"))
    model = mlflow.pyfunc.load_model(str(local))
    meta_file, spec_file, card_file = (_artifact(local, n) for n in (META, SPEC, CARD))
    if meta_file is None or spec_file is None:
        raise ModelRefused(f"no {META if meta_file is None else SPEC} among its artifacts")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    contract = str(meta.get("contract_version", "1"))
    if contract not in SUPPORTED_CONTRACTS:
        raise ModelRefused(f"output contract {contract}; this service reads {', '.join(SUPPORTED_CONTRACTS)}")
    spec = parse_spec(spec_file.read_text(encoding="utf-8"))
    inputs = list(meta["inputs"])
    unknown = [n for n in inputs if n not in set(spec.model_inputs())]
    if unknown:
        raise ModelRefused(f"its feature_spec.yaml does not declare its inputs {', '.join(unknown[:5])}")
    example = reference_example(model, inputs)
    validate_scored(model.predict(example), rows=len(example))  # the reference example, scored and checked
    tags = dict(version.tags or {})
    if number in history:  # as the history stood when it was champion (a fallback is not the last one)
        history = history[: len(history) - history[::-1].index(number)]
    return LoadedModel(
        name=name,
        version=number,
        run_id=version.run_id,
        model=model,
        tags=tags,
        card=card_file.read_text(encoding="utf-8") if card_file is not None else None,
        spec=spec,
        indicators={n: IndicatorMeta.model_validate(m) for n, m in meta["indicators"].items()},
        contract_version=contract,
        gates=gate_verdict(number, tags, history),
    )


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


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
        self.alias_version: str | None = None  # what the champion alias named at the last check
        self.degraded: str | None = None  # why the served version is not the champion alias's, if it is not

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

    def _load(self, number: str, history: list[str]) -> LoadedModel:
        return load_version(self.name, self._registry().get_model_version(self.name, number), history)

    def _swap(self, loaded: LoadedModel, degraded: str | None) -> None:
        self._current = loaded
        self.degraded = degraded
        log.info("champion %s: now serving version %s", self.name, loaded.version)
        if loaded.gates is not None and not loaded.gates.passed:
            log.warning("champion %s: %s", self.name, loaded.gates.note)

    def _fallback(self, history: list[str], failed: str, reason: str) -> bool:
        """Start-up with an unservable champion: the most recent loadable version of the champion history."""
        for number in reversed(history):
            if number == failed:
                continue
            try:
                loaded = self._load(number, history)
            except Exception as exc:
                log.warning("champion %s: fallback version %s failed too: %s", self.name, number, _why(exc))
                continue
            self._swap(
                loaded,
                f"champion v{failed} cannot serve ({reason}); serving v{number}, the most "
                "recent loadable version of the champion history",
            )
            log.warning("champion %s: %s", self.name, self.degraded)
            return True
        return False

    def check(self) -> bool:
        """Load the alias's version if it changed; True when a new model was swapped in."""
        with self._check_lock:
            self.last_check = dt.datetime.now(dt.UTC)
            try:
                registered = self._registry().get_registered_model(self.name)
            except Exception as exc:  # no such model yet, or registry unreachable: keep serving
                self.last_error = f"registry: {_why(exc)}"
                return False
            target = (registered.aliases or {}).get(ALIAS)
            self.alias_version = None if target is None else str(target)
            if target is None:
                self.last_error = f"{self.name} has no {ALIAS} alias"
                return False
            target = str(target)
            current = self._current
            if current is not None and current.version == target:
                if self.degraded is not None:  # the alias came back to the version serving
                    self.degraded = self.last_error = self._failed_version = None
                return False
            if self._failed_version == target:
                return False
            history = history_of(registered.tags)
            try:
                loaded = self._load(target, history)
            except Exception as exc:
                self._failed_version = target
                self.last_error = f"version {target} cannot serve: {_why(exc)}"
                if current is None:
                    return self._fallback(history, target, _why(exc))
                self.degraded = (
                    f"champion v{target} cannot serve ({_why(exc)}); still serving v{current.version}"
                )
                log.warning("champion %s: %s", self.name, self.degraded)
                return False
            self._swap(loaded, None)
            self.last_error = self._failed_version = None
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
