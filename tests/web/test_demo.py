"""`shouhu demo` builds a world once and reuses it, and never writes into a warehouse it did not make."""

from __future__ import annotations

import pytest


def test_building_the_demo_world_again_reuses_the_county_and_the_champion(web_world):
    from shouhu import demo

    again = demo.build_world(web_world.settings, web_world.county, progress=False)
    assert again.reused == ["simulate", "train"]
    assert again.model_version == web_world.world.model_version
    assert (again.village, again.township) == (web_world.world.village, web_world.world.township)
    accounts = demo.create_accounts(web_world.settings, again)
    assert [a.role for a in accounts] == ["children_director", "supervisor", "county", "data_team", "admin"]
    assert accounts[0].area == again.village and accounts[1].area == again.township


def test_demo_refuses_a_warehouse_it_did_not_make(tmp_path):
    from shouhu import demo
    from shouhu.settings import Settings

    warehouse = tmp_path / "real.duckdb"
    warehouse.write_bytes(b"someone's data")
    settings = Settings(
        data_dir=tmp_path / "data",
        warehouse=warehouse,
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'ml.db'}",
        mlflow_artifact_root=tmp_path / "ml",
    )
    with pytest.raises(ValueError, match="not made by `shouhu demo`"):
        demo.build_world(settings, demo.default_county(60), progress=False)
    assert warehouse.read_bytes() == b"someone's data"
