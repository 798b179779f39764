"""`shouhu demo` builds a world once and reuses it, and never writes into a warehouse it did not make."""

from __future__ import annotations

import pytest


def test_building_the_demo_world_again_reuses_the_county_and_the_champion(web_world):
    from shouhu import demo

    # the server of this process may hold the warehouse open read-only (earlier page tests), and DuckDB
    # opens a file with one configuration per process; it reopens by itself on the next request
    web_world.app.state.services.warehouse.close()
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


def _gate(name: str, passed: bool, detail: str):
    from training.registry import Gate

    return Gate(name, passed, detail)


def test_a_refused_promotion_names_each_failed_gate_and_what_to_do():
    from shouhu import demo
    from training.registry import Promotion

    refused = Promotion(
        "1",
        None,
        False,
        [
            _gate("quality", True, "no champion yet"),
            _gate("fairness", False, "sex disparity ratio 0.70 outside 0.8–1.25"),
            _gate("calibration", False, "expected calibration error 0.0900 (bound 0.05)"),
        ],
    )
    advice = demo.promotion_advice(refused)
    assert "gate fairness failed: sex disparity ratio 0.70" in advice
    assert "--accept-disparity ATTRIBUTE=REASON" in advice
    assert "gate calibration failed: expected calibration error 0.0900" in advice
    assert "--children 1500" in advice
    assert "quality" not in advice  # a gate that passed is not named


@pytest.mark.slow
def test_shouhu_demo_prints_a_refused_promotion_and_exits_without_a_traceback(tmp_path, monkeypatch):
    """The real path of shouhu/demo.py: `shouhu demo` meets a county model that is not champion, the real
    gates refuse it, and the command names each failed gate with what to do, exits 1, and serves nothing.

    An empty registry makes its first model champion without gates (training.tracking), so the county is built
    first (50 children, the CLI's smallest) and its champion alias is then withdrawn, as one can in the MLflow
    UI; `shouhu demo` reuses the county and the trained model and runs the gates on it. A county this small is
    "too few to judge" for fairness, so the version carries the verdict a run records for a disparity whose
    whole interval lies outside the band (`fairness_verdict_sex` = FAIL); the gate reads it as any."""
    import mlflow
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from shouhu import demo
    from shouhu.cli import app
    from shouhu.settings import get_settings
    from training import registry
    from training.pipeline import TrainConfig

    for key, value in {
        "SHOUHU_DATA_DIR": tmp_path / "data",
        "SHOUHU_WAREHOUSE": tmp_path / "data" / "warehouse.duckdb",
        "SHOUHU_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'shouhu.db'}",
        "SHOUHU_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}",
        "SHOUHU_MLFLOW_ARTIFACT_ROOT": tmp_path / "mlruns",
    }.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    uris = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    try:
        settings = get_settings()
        small_run = TrainConfig(
            n_folds=1, test_dates=6, calibration_dates=2, with_logreg=False, min_positives=1, k=3
        )
        built = demo.build_world(
            settings, demo.default_county(50), train_config=small_run, progress=False
        )
        uri, name = settings.mlflow_tracking_uri, settings.model_name
        c = MlflowClient(tracking_uri=uri, registry_uri=uri)
        c.delete_registered_model_alias(name, "champion")
        c.set_model_version_tag(name, built.model_version, "fairness_verdict_sex", "FAIL")
        c.set_model_version_tag(
            name, built.model_version, "fairness_worst_sex", "sex: recall ratio F/M 0.62 [0.45, 0.78]"
        )

        result = CliRunner().invoke(app, ["demo", "--no-serve", "--children", "50"])
        verdicts = c.get_model_version(name, built.model_version).tags
        champion = registry.champion_version(uri, name)
    finally:
        get_settings.cache_clear()
        mlflow.set_tracking_uri(uris[0])
        mlflow.set_registry_uri(uris[1])
    failed = {
        k.removeprefix("gate_"): verdicts[f"{k}_detail"]
        for k, v in verdicts.items()
        if k.startswith("gate_") and not k.endswith("_detail") and v == "FAIL"
    }
    assert failed, f"the gates passed this county's model, so nothing was refused: {verdicts}"
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    said = " ".join(result.output.split())  # the terminal wraps long lines
    assert f"model v{built.model_version} was trained but did not pass the promotion gates" in said
    for gate, detail in failed.items():
        assert f"gate {gate} failed: {' '.join(detail.split())}" in said
        assert demo.GATE_ADVICE[gate].split(":")[0] in said  # and what to do about it
    assert champion is None and "ready:" not in said and "演示账号" not in said


@pytest.mark.slow
def test_the_demo_on_its_own_defaults_builds_a_champion_working_accounts_and_a_visit_list(tmp_path, capsys):
    """`shouhu demo` with no options (600 children, 27 months, the default training) in a temp folder, up to
    the server: there is a champion, each demo account signs in with its printed password and role, and the
    director's visit list can be built from it."""
    import time

    import mlflow

    from serving import casework
    from serving.services import Services
    from serving.users import authenticate
    from shouhu import demo
    from shouhu.settings import Settings
    from training import registry

    settings = Settings(
        data_dir=tmp_path / "data",
        warehouse=tmp_path / "data" / "warehouse.duckdb",
        database_url=f"sqlite:///{tmp_path / 'data' / 'shouhu.db'}",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}",
        mlflow_artifact_root=tmp_path / "mlruns",
    )
    uris = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    try:
        began = time.perf_counter()
        world = demo.build_world(settings, demo.default_county(), progress=False)
        built = time.perf_counter() - began
        accounts = demo.create_accounts(settings, world)
        assert (
            registry.champion_version(settings.mlflow_tracking_uri, settings.model_name)
            == world.model_version
        )
        assert world.children >= 600 and world.reused == []

        services = Services(settings)
        services.start()
        try:
            with services.session() as session:
                signed_in = {a.role: authenticate(session, a.username, a.password) for a in accounts}
                assert {role: p.principal.role.value for role, p in signed_in.items() if p} == {
                    a.role: a.role for a in accounts
                }
                director = signed_in["children_director"].principal
                listed = casework.visit_list(services, session, director)
        finally:
            services.stop()
    finally:
        mlflow.set_tracking_uri(uris[0])
        mlflow.set_registry_uri(uris[1])
    assert (
        listed.scope == f"village:{world.village}"
        and listed.rows
        and listed.model_version == world.model_version
    )
    assert [r.rank for r in listed.rows] == list(range(1, len(listed.rows) + 1))
    with capsys.disabled():
        print(f"\n[demo defaults] world built in {built:.1f} s ({world.children} children)")
