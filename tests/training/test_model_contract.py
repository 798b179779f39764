"""The model's output contract (shouhu_core.model_contract), defined once and read by both sides: a logged
model loads and scores where nothing of the project can be imported, and what it returns passes the
contract's schema; reasons are data (encoded and decoded as JSON, checked field by field, never guessed);
every indicator says in `model_meta.json` how its value reads."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from features.spec import DEFAULT_SPEC, load_spec
from shouhu_core import model_contract as contract
from training.tracking import log_run

NAME = "shouhu-risk"

# Runs with -I -S: no site processing, so the project's editable install (a .pth file) is not on the path;
# only the installed libraries' folder is added. Nothing of the project can be imported before the model
# brings its own declared code.
CHILD = """
import importlib.util, json, sys
sys.path.append({site!r})
before = {{name: importlib.util.find_spec(name) is not None
          for name in ("shouhu_core", "training", "features", "serving", "shouhu", "data_contracts")}}
import mlflow.pyfunc, pandas as pd
model = mlflow.pyfunc.load_model({model!r})
out = model.predict(pd.read_parquet({rows!r}))
out.to_pickle({out!r})
import shouhu_core
project = [m for m in sys.modules if m.split(".")[0] in ("training", "features", "serving", "shouhu")]
print(json.dumps({{"before": before, "contract_from": shouhu_core.__file__, "project": project}}))
"""


@pytest.fixture(scope="module")
def logged(trained, tmp_path_factory) -> dict:
    """The session's trained model, logged and registered by the real `log_run`, then downloaded."""
    import mlflow.artifacts

    folder = tmp_path_factory.mktemp("contract")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    run = log_run(
        trained,
        load_spec(),
        DEFAULT_SPEC,
        tracking_uri=uri,
        artifact_root=folder / "mlruns",
        model_name=NAME,
        horizon_days=90,
        k=10,
    )
    local = mlflow.artifacts.download_artifacts(artifact_uri=run.model_uri, dst_path=str(folder / "model"))
    return {"uri": uri, "folder": folder, "model": Path(local), "run": run}


def test_a_logged_model_scores_where_the_project_cannot_be_imported_and_its_output_passes_the_contract(
    logged, trained
) -> None:
    rows = trained.test.head(200)
    inputs = rows[[*trained.parts.inputs, "age_group"]]
    rows_path, out_path = logged["folder"] / "rows.parquet", logged["folder"] / "out.pkl"
    inputs.to_parquet(rows_path)
    code = CHILD.format(
        site=sysconfig.get_paths()["purelib"],
        model=str(logged["model"]),
        rows=str(rows_path),
        out=str(out_path),
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        cwd=logged["folder"],
        env={"PATH": "/usr/bin:/bin", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not any(report["before"].values()), report["before"]  # truly nothing of the project
    assert report["contract_from"].startswith(str(logged["model"]))  # the contract the model declared
    assert report["project"] == []
    out = pd.read_pickle(out_path)
    contract.validate_scored(out, rows=len(inputs))  # the reader's schema, this process's copy
    assert list(out.columns) == list(contract.OUTPUT_COLUMNS)
    assert all(contract.decode_reasons(cell) is not None for cell in out["reasons"])


def test_loading_a_model_never_shadows_the_projects_own_contract(logged) -> None:
    """In a process that runs the project (serving), the project's contract stays the one in use: the model's
    declared copy only serves where the project is absent."""
    import mlflow.pyfunc

    import shouhu_core.list_order

    before = (contract.__file__, shouhu_core.list_order.__file__)
    mlflow.pyfunc.load_model(str(logged["model"]))
    import importlib

    assert (
        importlib.import_module("shouhu_core.model_contract").__file__,
        importlib.import_module("shouhu_core.list_order").__file__,
    ) == before


def test_model_meta_says_how_every_indicator_reads_and_which_contract_it_follows(logged) -> None:
    meta = json.loads(next(logged["model"].rglob(contract.META)).read_text(encoding="utf-8"))
    assert meta["contract_version"] == contract.CONTRACT_VERSION
    spec = load_spec()
    indicators = {n: contract.IndicatorMeta.model_validate(m) for n, m in meta["indicators"].items()}
    assert set(indicators) == set(spec.model_inputs())
    for name, meta_of in indicators.items():
        declared = spec.indicator(name)
        assert (meta_of.display, meta_of.codes) == (declared.display, declared.codes), name
    assert indicators["registry_guardianship_assessment"].codes == {0: "较好", 1: "一般", 2: "差"}


def test_reasons_round_trip_as_data_and_a_malformed_reason_is_refused_not_guessed() -> None:
    head = contract.reason_head(
        "caregiver_capacity",
        contract.IndicatorMeta(
            label_zh="主要照料人监护能力",
            family="guardian",
            family_zh="监护",
            unit="0有/1不足/2无",
            display="code",
            codes={0: "有", 1: "不足", 2: "无"},
        ),
    )
    item = {
        **head,
        "value": float("nan"),
        "reference": 0.0,
        "contribution": 0.31,
        "indicator_contribution": 0.2,
    }
    text = contract.encode_reasons([item])
    assert json.loads(text)[0]["value"] is None  # unknown is null, JSON has no NaN
    (reason,) = contract.decode_reasons(text)
    assert (reason.display, reason.codes[1], reason.value) == ("code", "不足", None)
    assert contract.decode_reasons(None) is None and contract.decode_reasons("[]") == []
    for broken in (
        json.dumps(
            [{k: v for k, v in json.loads(text)[0].items() if k != "contribution"}]
        ),  # a field missing
        json.dumps([{**json.loads(text)[0], "weight": 1}]),  # a field the contract does not know
        json.dumps([{**json.loads(text)[0], "display": "stars"}]),  # a reading that does not exist
        "近30天无故缺勤 6 天",  # text where data belongs
    ):
        with pytest.raises(pydantic.ValidationError):
            contract.decode_reasons(broken)


def test_the_scored_schema_refuses_an_output_that_breaks_the_contract(trained) -> None:
    from training.pyfunc import score_frame

    good = score_frame(trained.test.head(20), trained.parts)
    contract.validate_scored(good, rows=20)
    for broken in (
        good.drop(columns="protective_reasons"),
        good.assign(band=pd.array(["purple"] * 20, dtype="string")),
        good.assign(probability=good["probability"] + 1.0),
        good.assign(reasons=pd.array(['[{"indicator": "x"}]'] * 20, dtype="string")),
    ):
        with pytest.raises(Exception, match=r"(?i)schema|column|check|fail"):
            contract.validate_scored(broken)
    with pytest.raises(ValueError, match="rows"):
        contract.validate_scored(good, rows=21)
