"""The model registry's rules: which version is champion, the gates a challenger must pass, rollback.

Aliases only (no stages). The champion history is a JSON list of versions kept in the registered-model tag
`champion_history`, so a rollback is one command and every change is on record. Gates:

1. quality   — the challenger's precision@k is not worse than the champion's beyond `margin` (relative), both
               scored now on the challenger's own test window (the same rows, the same k);
2. fairness  — no audit attribute has a group whose recall ratio lies outside 0.8–1.25 with its whole
               bootstrap interval (training.fairness_gate; against detected and, in simulation, true
               outcomes), unless accepted with a reason (the version tag `accepted_disparity_<attribute>`);
               groups too few to judge are named, never passed silently;
3. calibration — the challenger's expected calibration error on its test window is under `ece_bound`.

Every attempt leaves its verdicts on the version (`gate_<name>` = PASS/FAIL, `gate_<name>_detail`), so the
MLflow UI shows why a version is or is not champion. A rollback also drops the `challenger` alias from the
demoted version, so a plain `shouhu promote` cannot bring it straight back. Each move of the champion alias
writes the champion history first and the alias second: a champion that is not last in its history was put
there some other way (the MLflow UI's own buttons), and serving says it did not pass the gates.

Every function takes the tracking URI and the model name (the commands read them from the settings). A
registry that cannot be read raises `RegistryError`; it is never taken for "no champion yet".
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shouhu_core.model_contract import CHALLENGER, CHAMPION, GATES, HISTORY_TAG, PASS, history_of
from training.fairness import BAND, GATE_LABELS, GATE_METRICS, REPORTED_ONLY
from training.fairness_gate import FAIL
from training.tracking import TEST_WINDOW, UNJUDGED_TAG, clip, registered_aliases

if TYPE_CHECKING:  # mlflow and pandas load only when a command runs
    import pandas as pd
    from mlflow import MlflowClient

DEFAULT_MARGIN = 0.05
DEFAULT_ECE_BOUND = 0.05


class GateError(ValueError):
    """A gate could not be evaluated (it then fails, with this message)."""


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str


@dataclass
class Promotion:
    version: str
    previous: str | None
    promoted: bool
    gates: list[Gate] = field(default_factory=list)

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.passed]


def client(tracking_uri: str) -> MlflowClient:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _alias(c: MlflowClient, name: str, alias: str) -> str | None:
    return registered_aliases(c, name).get(alias)


def champion_version(tracking_uri: str, model_name: str) -> str | None:
    return _alias(client(tracking_uri), model_name, CHAMPION)


def challenger_version(tracking_uri: str, model_name: str) -> str | None:
    return _alias(client(tracking_uri), model_name, CHALLENGER)


def champion_history(tracking_uri: str, model_name: str) -> list[str]:
    return history_of(client(tracking_uri).get_registered_model(model_name).tags)


def _test_window(tracking_uri: str, run_id: str) -> pd.DataFrame:
    import mlflow.artifacts
    import pandas as pd

    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=TEST_WINDOW, tracking_uri=tracking_uri
    )
    return pd.read_parquet(local)


def shipped_window(window: pd.DataFrame) -> pd.DataFrame:
    """A stored test window ready for the list order. Windows logged before they kept rule flags and a tie key
    rank by score alone, ties in row order."""
    fill = {}
    if "rule_flags" not in window.columns:
        fill["rule_flags"] = ""
    if "child_key" not in window.columns:
        fill["child_key"] = [f"{i:09d}" for i in range(len(window))]
    return window.assign(**fill) if fill else window


def _precision_at_k(name: str, version: str, window: pd.DataFrame, k: int) -> float:
    import mlflow.pyfunc

    from training.metrics import precision_recall, top_k_mask

    model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    inputs = model.metadata.get_input_schema().input_names()
    missing = [c for c in inputs if c not in window.columns and c != "age_group"]
    if missing:
        raise GateError(f"v{version} needs inputs the test window lacks: {', '.join(missing[:5])}")
    usable = [c for c in inputs if c in window.columns]
    margin = model.predict(window[usable], params={"explain": False})["margin"].to_numpy()
    precision, _ = precision_recall(window["label"].to_numpy(), top_k_mask(shipped_window(window), margin, k))
    return precision


def quality_gate(uri: str, name: str, version: str, champion: str | None, margin: float) -> Gate:
    if champion is None:
        return Gate("quality", True, "no champion yet")
    tags = client(uri).get_model_version(name, version).tags
    window = _test_window(uri, tags["run_id"])
    k = int(tags["k"])
    try:
        mine = _precision_at_k(name, version, window, k)
        theirs = _precision_at_k(name, champion, window, k)
    except GateError as exc:
        return Gate("quality", False, f"cannot compare with champion v{champion} on the same window: {exc}")
    floor = theirs * (1 - margin)
    detail = (
        f"precision@k={k} on the challenger's test window {tags.get('test_window', '?')}: "
        f"v{version} {mine:.4f} vs champion v{champion} {theirs:.4f} (floor {floor:.4f}, margin {margin:.0%})"
    )
    return Gate("quality", mine >= floor, detail)


def fairness_gate(tags: dict[str, str], band: tuple[float, float] = BAND) -> Gate:
    """The verdicts the run recorded (`fairness_verdict_<attribute>`); a version logged before runs recorded
    verdicts is judged by its worst point ratios (`_point_fairness_gate`)."""
    verdicts = {
        k.removeprefix("fairness_verdict_"): v for k, v in tags.items() if k.startswith("fairness_verdict_")
    }
    if not verdicts:
        return _point_fairness_gate(tags, band)
    problems, accepted, passed, too_few = [], [], [], []
    for attribute, verdict in sorted(verdicts.items()):
        where = tags.get(f"fairness_worst_{attribute}", attribute)
        if verdict == FAIL:
            reason = tags.get(f"accepted_disparity_{attribute}")
            (accepted if reason else problems).append(f"{where} accepted: {reason}" if reason else where)
        else:
            (passed if verdict == "PASS" else too_few).append(attribute)
    notes = [f"gated: {tags.get('fairness_gated', 'recall ratio with an interval')}"]
    if passed:
        notes.append(f"no group outside {band[0]}–{band[1]}: {', '.join(passed)}")
    if too_few:
        notes.append(f"NO group large enough to judge: {', '.join(too_few)}")
    notes += accepted
    unjudged = tags.get(UNJUDGED_TAG, "")
    if unjudged and unjudged != "none":
        notes.append(f"too few to judge (不足以判断): {unjudged}")
    notes.append(f"{', '.join(REPORTED_ONLY)} by group reported in fairness/fairness.md, not gated")
    return _fairness_verdict(problems, notes)


def _point_fairness_gate(tags: dict[str, str], band: tuple[float, float]) -> Gate:
    lo, hi = band
    problems, accepted, within = [], [], []
    for key, value in sorted(tags.items()):
        if not key.startswith("disparity_"):
            continue
        attribute = key.removeprefix("disparity_")
        ratio = float(value)
        where = tags.get(f"fairness_worst_{attribute}", f"{attribute}: worst ratio {ratio:.2f}")
        if lo <= ratio <= hi:
            within.append(attribute)
            continue
        reason = tags.get(f"accepted_disparity_{attribute}")
        if reason:
            accepted.append(f"{where} accepted: {reason}")
        else:
            problems.append(f"{where} outside {lo}–{hi}")
    unjudged = tags.get(UNJUDGED_TAG, "")
    gated = tags.get("fairness_gated", ", ".join(GATE_LABELS[m] for m in GATE_METRICS))
    notes = [f"gated: {gated}"]
    if within:
        notes.append(f"within {lo}–{hi}: {', '.join(within)}")
    notes += accepted
    if not within and not accepted and not problems:
        notes.append("NO group was large enough to judge")
    if unjudged and unjudged != "none":
        notes.append(f"not judged, too few events: {unjudged}")
    notes.append(f"{' and '.join(REPORTED_ONLY)} by group reported in fairness/fairness.md, not gated")
    return _fairness_verdict(problems, notes)


def _fairness_verdict(problems: list[str], notes: list[str]) -> Gate:
    if problems:
        return Gate(
            "fairness",
            False,
            "; ".join(problems)
            + " (accept with --accept-disparity ATTRIBUTE=REASON if justified); "
            + "; ".join(notes),
        )
    return Gate("fairness", True, "; ".join(notes))


def calibration_gate(tags: dict[str, str], bound: float) -> Gate:
    if "ece" not in tags:
        return Gate("calibration", False, "no calibration error recorded for this version")
    ece = float(tags["ece"])
    return Gate("calibration", ece <= bound, f"expected calibration error {ece:.4f} (bound {bound})")


def promote(
    version: str | int | None = None,
    accept: dict[str, str] | None = None,
    *,
    tracking_uri: str,
    model_name: str,
    margin: float = DEFAULT_MARGIN,
    ece_bound: float = DEFAULT_ECE_BOUND,
) -> Promotion:
    """Make `version` (default: the challenger) champion if every gate passes. Accepted disparities are
    recorded on the version before the gates run, so the reason stays with it whatever the outcome."""
    uri, name = tracking_uri, model_name
    c = client(uri)
    version = str(version) if version is not None else _alias(c, name, CHALLENGER)
    if version is None:
        raise ValueError(f"no challenger for {name}: train one first (or name a version with --version)")
    for attribute, reason in (accept or {}).items():
        c.set_model_version_tag(name, version, f"accepted_disparity_{attribute}", reason)
    champion = _alias(c, name, CHAMPION)
    if champion == version:
        return Promotion(
            version, champion, False, [Gate("already champion", True, f"v{version} is champion")]
        )
    tags = c.get_model_version(name, version).tags
    gates = [
        quality_gate(uri, name, version, champion, margin),
        fairness_gate(tags),
        calibration_gate(tags, ece_bound),
    ]
    assert tuple(g.name for g in gates) == GATES  # the names serving reads (model_contract.gate_verdict)
    result = Promotion(version, champion, all(g.passed for g in gates), gates)
    record_gates(c, name, version, gates)
    if result.promoted:
        _set_champion(c, name, version, push=True)
    return result


def record_gates(c: MlflowClient, name: str, version: str, gates: list[Gate]) -> None:
    """Leave each verdict on the version (`gate_<name>` PASS/FAIL and `gate_<name>_detail`), overwriting an
    earlier attempt's, with the time of this one."""
    for gate in gates:
        c.set_model_version_tag(name, version, f"gate_{gate.name}", PASS if gate.passed else "FAIL")
        c.set_model_version_tag(name, version, f"gate_{gate.name}_detail", clip(gate.detail))
    c.set_model_version_tag(
        name, version, "gates_checked_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )


def _set_champion(c: MlflowClient, name: str, version: str, push: bool) -> None:
    history = history_of(c.get_registered_model(name).tags)
    if push:
        history.append(version)
    # the history first: when serving sees the alias move, the version already ends the history
    c.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history))
    c.set_registered_model_alias(name, CHAMPION, version)
    c.set_model_version_tag(
        name, version, "champion_since", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )


def rollback(tracking_uri: str, model_name: str) -> tuple[str, str]:
    """Put the previous champion back; returns (demoted version, restored version)."""
    uri, name = tracking_uri, model_name
    c = client(uri)
    history = history_of(c.get_registered_model(name).tags)
    current = _alias(c, name, CHAMPION)
    if current is None or len(history) < 2:
        raise ValueError(f"{name} has no previous champion to roll back to (history {history})")
    demoted, restored = history[-1], history[-2]
    c.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history[:-1]))
    c.set_registered_model_alias(name, CHAMPION, restored)
    # a demoted version left as challenger would come straight back with a plain `shouhu promote`
    if _alias(c, name, CHALLENGER) == demoted:
        c.delete_registered_model_alias(name, CHALLENGER)
    c.set_model_version_tag(
        name, demoted, "rolled_back_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    return demoted, restored
