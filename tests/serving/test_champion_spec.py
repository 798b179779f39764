"""Serving builds a model's inputs with the indicator spec stored with that model (its `feature_spec.yaml`),
never the project's current one nor the packaged default: editing the project's YAML after training changes
no served score or list. The real features engine on the ingested county, a real registered model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.serving import factories as f

pytestmark = pytest.mark.db
AS_OF = dt.date(2024, 5, 1)
ANY_VISIT = (
    "    aggregate: days_since_last\n    description: Days since the latest recorded visit of any mode."
)
UNSEEN_VISIT = (
    "    aggregate: days_since_last\n    where_any: [{column: child_seen, op: is_false}]\n"
    "    description: Days since a visit on which the child was not seen."
)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_editing_the_projects_spec_after_training_changes_no_served_score_or_list(
    settings, county, accounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.pyfunc

    from features.pipeline import build_matrix
    from features.spec import DEFAULT_SPEC, load_spec
    from serving.access import Scope
    from serving.app import create_app
    from serving.scoring import score_matrix
    from serving.visit_lists import in_scope, rank
    from shouhu.settings import get_settings

    # the project's spec at training time: not the packaged one (days since a visit the child was not seen)
    project_spec = tmp_path / "spec.yaml"
    project_spec.write_text(DEFAULT_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    _edit(project_spec, ANY_VISIT, UNSEEN_VISIT)
    trained_on = load_spec(project_spec)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    name = "shouhu-risk-own-spec"  # its lists are its own in the shared service database
    version = f.register_champion(uri, tmp_path, name=name, seed=0, spec_path=project_spec)
    model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    own = build_matrix(county.warehouse, [AS_OF], spec=trained_on)
    expected = score_matrix(own, model).sort_values("child_key").reset_index(drop=True)
    # the packaged spec and the edited one below both give the model other inputs (so this test can fail)
    for other in (load_spec(DEFAULT_SPEC), None):
        if other is None:
            _edit(project_spec, UNSEEN_VISIT, ANY_VISIT)  # the edit after training
            _edit(
                project_spec,
                "    window_days: 90\n    source: visit_logs",
                "    window_days: 30\n    source: visit_logs",
            )
            other = load_spec(project_spec)
        assert not build_matrix(county.warehouse, [AS_OF], spec=other)["days_since_last_visit"].equals(
            own["days_since_last_visit"]
        )

    monkeypatch.setenv("SHOUHU_FEATURE_SPEC", str(project_spec))  # wherever the project's spec is named
    get_settings.cache_clear()
    app = create_app(
        settings.model_copy(
            update={"mlflow_tracking_uri": uri, "model_name": name, "feature_spec": project_spec}
        )
    )
    h = accounts["county_staff"].headers
    try:
        with TestClient(app) as client:
            ready = client.get("/api/v1/readyz").json()
            scores = app.state.services.scorer.scores(app.state.services.champion.require(), AS_OF)
            listed = client.get(
                "/api/v1/visit-list",
                params={"as_of": AS_OF.isoformat(), "township": f.TOWNSHIP_A, "limit": 1000},
                headers=h,
            ).json()
    finally:
        get_settings.cache_clear()
    assert ready["ready"] is True and ready["spec_hash"] == trained_on.hash != load_spec(project_spec).hash
    served = scores.sort_values("child_key").reset_index(drop=True)
    pd.testing.assert_frame_equal(served[["child_key", "margin"]], expected[["child_key", "margin"]])
    shipped = rank(in_scope(expected, Scope("township", f.TOWNSHIP_A)), "township")
    assert [(r["child_key"], r["probability"]) for r in listed["rows"]] == list(
        zip(shipped["child_key"], shipped["probability"], strict=True)
    )
