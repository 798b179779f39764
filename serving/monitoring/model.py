"""The champion as monitoring sees it (`run.ChampionView`): loaded and checked the way serving loads it
(`serving.champion.Champion`), plus its drift reference (`model_contract.DRIFT`) and its registration
time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from serving.champion import Champion, _artifact
from serving.monitoring.run import ChampionView
from serving.scoring import _model_inputs
from shouhu_core.model_contract import DRIFT


def champion_view(tracking_uri: str, name: str) -> tuple[ChampionView | None, str | None]:
    """(the champion, None) or (None, why there is none)."""
    import mlflow.artifacts

    champion = Champion(tracking_uri, name)
    champion.check()
    loaded = champion.current
    if loaded is None:
        return None, champion.last_error or "no champion"
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{loaded.version}"))
    found = _artifact(local, DRIFT)
    reference = json.loads(found.read_text(encoding="utf-8")) if found is not None else None
    version = champion._registry().get_model_version(name, loaded.version)
    registered = dt.datetime.fromtimestamp(int(version.creation_timestamp) / 1000, dt.UTC)
    if reference is not None:
        inputs = list(reference["inputs"])
    else:
        inputs = list(loaded.spec.model_inputs()) if loaded.spec is not None else []
    model = loaded.model

    def predict(matrix: pd.DataFrame) -> pd.DataFrame:
        return model.predict(_model_inputs(matrix, model), params={"explain": False})

    return (
        ChampionView(
            name=name,
            version=loaded.version,
            spec=loaded.spec,
            predict=predict,
            inputs=inputs,
            reference=reference,
            labels={n: m.label_zh for n, m in loaded.indicators.items()},
            gates=loaded.gates.note if loaded.gates else "",
            gates_passed=bool(loaded.gates.passed) if loaded.gates else False,
            gates_status=loaded.gates.status if loaded.gates else "ungated",
            registered_at=registered,
        ),
        None,
    )
