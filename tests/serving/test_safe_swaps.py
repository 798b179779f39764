"""Safe model swaps: a new champion serves only after it has scored the reference example stored with it into
a frame the output contract accepts; at start-up an unservable champion gives way to the most recent loadable
version of the champion history, and `/readyz` and `/model` say so; a champion whose alias was moved outside
`shouhu promote` serves but is reported as not having passed the gates. Real MLflow stores, real models whose
artifacts are damaged the way a bad upload or a half-written file would damage them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.serving import factories as f

pytestmark = pytest.mark.db
NAME = "shouhu-risk"
AS_OF = "2024-05-01"


def predict_raises(folder: Path) -> None:
    """A model that loads but cannot score: its calibration map lost a point (np.interp refuses it)."""
    meta = json.loads((folder / "model_meta.json").read_text(encoding="utf-8"))
    meta["calibration"]["y"] = meta["calibration"]["y"][:-1]
    (folder / "model_meta.json").write_text(json.dumps(meta), encoding="utf-8")


def unloadable(folder: Path) -> None:
    """A model whose booster file was cut short: it cannot even load."""
    booster = folder / "booster.txt"
    booster.write_text(booster.read_text(encoding="utf-8")[:200], encoding="utf-8")


def _restore(uri: str, version: str, history: list[str]) -> None:
    from mlflow import MlflowClient

    from shouhu_core.model_contract import HISTORY_TAG

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_registered_model_tag(NAME, HISTORY_TAG, json.dumps(history))
    client.set_registered_model_alias(NAME, "champion", version)


def test_a_champion_whose_predict_raises_is_not_swapped_in_and_lists_still_answer(
    app, client, accounts, mlflow_store
) -> None:
    from shouhu_core.model_contract import history_of

    uri, folder = mlflow_store
    champion = app.state.services.champion
    champion.check()
    serving = champion.require().version
    history = history_of(champion._registry().get_registered_model(NAME).tags)
    h = accounts["county_staff"].headers
    try:
        broken = f.register_champion(uri, folder, seed=5, break_artifact=predict_raises)
        assert champion.check() is False
        assert champion.require().version == serving and champion.alias_version == broken
        info = client.get("/api/v1/model", headers=h).json()
        assert info["version"] == serving and info["champion_version"] == broken
        assert f"v{broken}" in info["degraded"] and "not of the same length" in info["degraded"]
        listed = client.get(
            "/api/v1/visit-list", params={"as_of": "2024-04-02", "township": f.TOWNSHIP_A}, headers=h
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["model_version"] == serving and listed.json()["rows"]
        ready = client.get("/api/v1/readyz").json()
        assert ready["ready"] is True and ready["model"] == serving and f"v{broken}" in ready["degraded"]
    finally:
        _restore(uri, serving, history)
    champion.check()
    assert champion.degraded is None  # the alias came back to the serving version


@pytest.fixture
def own_store(tmp_path: Path) -> tuple[str, Path]:
    return f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path


def _app(settings, county, uri: str, **changes):
    from serving.app import create_app

    def builder(_warehouse, dates, _spec=None) -> pd.DataFrame:
        return f.matrix_for(county, dates[0].date())

    return create_app(settings.model_copy(update={"mlflow_tracking_uri": uri, **changes}), builder=builder)


@pytest.fixture
def start(settings, county) -> Iterator:
    """Start a fresh app on another MLflow store (its lifespan loads the champion)."""
    started: list[TestClient] = []

    def run(uri: str, **changes: object) -> TestClient:
        client = TestClient(_app(settings, county, uri, **changes))
        client.__enter__()
        started.append(client)
        return client

    yield run
    for client in started:
        client.__exit__(None, None, None)


def test_an_unloadable_champion_at_start_up_leaves_the_previous_version_serving_and_says_so(
    own_store, start, accounts
) -> None:
    uri, folder = own_store
    good = f.register_champion(uri, folder, seed=0)
    bad = f.register_champion(uri, folder, seed=1, break_artifact=unloadable)  # champion; history [good, bad]
    client = start(uri)
    h = accounts["county_staff"].headers

    ready = client.get("/api/v1/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert (body["model"], body["champion"]) == (good, bad)
    assert f"champion v{bad} cannot serve" in body["degraded"] and f"serving v{good}" in body["degraded"]
    info = client.get("/api/v1/model", headers=h).json()
    assert (info["version"], info["champion_version"]) == (good, bad) and info["degraded"] == body["degraded"]
    listed = client.get("/api/v1/visit-list", params={"as_of": AS_OF, "township": f.TOWNSHIP_B}, headers=h)
    assert listed.status_code == 200 and listed.json()["model_version"] == good


def test_a_champion_moved_by_hand_serves_but_is_reported_as_not_having_passed_the_gates(
    own_store, start, accounts, caplog
) -> None:
    from mlflow import MlflowClient

    uri, folder = own_store
    first = f.register_champion(uri, folder, seed=0)
    # the background poll kept out of the way: under load it could swap the model between the alias moving
    # and the check() this test makes, which would then have nothing left to do
    client = start(uri, model_poll_seconds=3600.0)
    h = accounts["county_staff"].headers
    info = client.get("/api/v1/model", headers=h).json()
    assert (info["version"], info["gates"]) == (first, "first_model")

    # a challenger made champion in the MLflow UI (its "promote" button moves the alias, nothing else)
    second = f.register_champion(uri, folder, seed=1, alias="challenger")
    MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(NAME, "champion", second)
    champion = client.app.state.services.champion
    with caplog.at_level(logging.WARNING, logger="shouhu.serving.champion"):
        assert champion.check() is True
    info = client.get("/api/v1/model", headers=h).json()
    assert (info["version"], info["gates"]) == (second, "ungated")
    assert "did not pass the promotion gates" in info["gates_note"] and "shouhu promote" in info["gates_note"]
    assert any("did not pass the promotion gates" in r.getMessage() for r in caplog.records)


def test_a_champion_whose_spec_cannot_be_built_fails_readiness_and_lists_answer_503(
    own_store, settings, county, accounts, tmp_path
) -> None:
    """The champion's own spec names a column the warehouse does not have: features cannot be built for it."""
    from features.spec import DEFAULT_SPEC

    uri, folder = own_store
    spec = tmp_path / "spec.yaml"
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    spec.write_text(text.replace("column: carer_capacity_rating", "column: no_such_column"), encoding="utf-8")
    name = "shouhu-risk-bad-spec"  # no list of another test's model answers for it
    f.register_champion(uri, folder, name=name, seed=0, spec_path=spec)
    from serving.app import create_app

    # the real features engine
    app = create_app(settings.model_copy(update={"mlflow_tracking_uri": uri, "model_name": name}))
    h = accounts["county_staff"].headers
    with TestClient(app) as client:
        ready = client.get("/api/v1/readyz")
        assert ready.status_code == 503 and ready.json()["model"] is not None
        assert "features cannot be built" in ready.json()["features"]
        listed = client.get(
            "/api/v1/visit-list", params={"as_of": AS_OF, "township": f.TOWNSHIP_B}, headers=h
        )
        assert listed.status_code == 503 and "features cannot be built" in listed.json()["detail_en"]
