"""A newly promoted champion is picked up by the running server (real uvicorn, real HTTP) without a restart;
a champion that fails to load leaves the previous one serving."""

from __future__ import annotations

import time

import httpx
import pytest
from mlflow import MlflowClient

from tests.serving import factories as f

pytestmark = pytest.mark.db


def _wait_for(predicate, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_a_promoted_champion_is_served_without_restart_and_a_broken_one_is_not(
    live_server, accounts, mlflow_store, tmp_path
) -> None:
    uri, folder = mlflow_store
    h = accounts["county_staff"].headers
    with httpx.Client(base_url=live_server, headers=h, timeout=30) as http:
        before = http.get("/api/v1/model").json()["version"]
        old_list = http.get(
            "/api/v1/visit-list", params={"as_of": "2024-05-01", "township": f.TOWNSHIP_B}
        ).json()

        new = f.register_champion(uri, folder, seed=1, card="# 模型卡\n第二版")
        _wait_for(lambda: http.get("/api/v1/model").json()["version"] == new)
        assert new != before and "第二版" in http.get("/api/v1/model").json()["model_card"]
        new_list = http.get(
            "/api/v1/visit-list", params={"as_of": "2024-05-01", "township": f.TOWNSHIP_B}
        ).json()
        assert new_list["model_version"] == new and new_list["list_id"] != old_list["list_id"]

        # a version whose artifacts cannot be loaded: the alias moves, the served model does not
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        broken = client.create_model_version("shouhu-risk", source=str(tmp_path / "no-such-model"))
        client.set_registered_model_alias("shouhu-risk", "champion", broken.version)
        info = _wait_for(lambda: (i := http.get("/api/v1/model").json())["last_error"] and i)
        assert info["version"] == new and str(broken.version) in info["last_error"]
        assert (
            http.get(
                "/api/v1/visit-list", params={"township": f.TOWNSHIP_B, "as_of": "2024-05-01"}
            ).status_code
            == 200
        )
        assert http.get("/api/v1/readyz").status_code == 200
        client.set_registered_model_alias("shouhu-risk", "champion", new)
