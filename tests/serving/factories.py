"""Tiny worlds for serving tests: a county's feeds ingested into a real warehouse, a feature matrix for its
children (architecture §3 columns), a real LightGBM risk model registered in a tmp MLflow store, and users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data_contracts.pseudonym import child_key
from tests.data_contracts.factories import row, rows, write

SECRET = "serving-test-pseudonym-secret-0123456789"  # ≥ 32 characters: fit to serve
COUNTY = "360321000000"
TOWNSHIP_A = "360321101000"
TOWNSHIP_B = "360321102000"
VILLAGE_A1 = "360321101201"
VILLAGE_A2 = "360321101202"
VILLAGE_B1 = "360321102201"
AS_OF = dt.date(2024, 5, 1)
PASSWORD = "correct-horse-battery"
TEST_EXPERIMENT = "serving-tests"
# The first child of VILLAGE_B1 looks after themself (registry guardianship type): the real features engine
# flags it `living_alone_or_unsupervised`, so lists built from real features have a rule-flagged child.
ALONE_IN_B1 = 0


@dataclass(frozen=True)
class Child:
    child_id: str
    key: str
    name: str
    village: str
    guardian_name: str
    guardian_phone: str
    id_number: str


@dataclass
class County:
    warehouse: Path
    children: list[Child] = field(default_factory=list)

    def in_village(self, village: str) -> list[Child]:
        return [c for c in self.children if c.village == village]

    def by_key(self, key: str) -> Child:
        return next(c for c in self.children if c.key == key)


def child_name(i: int) -> str:
    return f"赵{'甲乙丙丁戊己庚辛壬癸'[i % 10]}{'子丑寅卯辰巳午未申酉戌亥'[i // 10 % 12]}"


def build_county(folder: Path, villages: dict[str, int], secret: str = SECRET) -> County:
    """Feeds for `villages` ({village code: children}) written as CSV and loaded by the real ingest."""
    from data_contracts.ingest import ingest_folder

    feeds = folder / "feeds"
    townships = sorted({v[:9] + "000" for v in villages})
    admin = [
        row("admin_units", code=t, level="township", name_zh=f"镇{t[6:9]}", parent_code=COUNTY)
        for t in townships
    ]
    admin += [
        row("admin_units", code=v, level="village", name_zh=f"村{v[9:]}", parent_code=v[:9] + "000")
        for v in villages
    ]
    registry, household, visits, attendance = [], [], [], []
    children: list[Child] = []
    i = 0
    for village, n in villages.items():
        for j in range(n):
            i += 1
            alone = village == VILLAGE_B1 and j == ALONE_IN_B1
            cid = "C001" if i == 1 else f"C{i:03d}"  # C001 is the child the shared base rows point at
            name, gname, phone = child_name(i), f"祖父{child_name(i)}", f"139{i:08d}"
            id_number = f"3603212012{i:06d}{i % 10}{'X' if i % 2 else '1'}"[:18]
            registry.append(
                row(
                    "children_registry",
                    child_id=cid,
                    name=name,
                    id_number=id_number,
                    residence_village_code=village,
                    birth_date=f"{2009 + i % 7}-0{1 + i % 9}-15",
                    entrusted_guardian_id=f"P{i:03d}",
                    **({"guardianship_type": "self_or_siblings"} if alone else {}),
                )
            )
            household.append(
                row(
                    "household_members",
                    person_id=f"P{i:03d}",
                    child_id=cid,
                    name=gname,
                    id_number=f"36032119500304{i:04d}",
                    phone=phone,
                )
            )
            visits.append(
                row(
                    "visit_logs",
                    visit_id=f"V{i:03d}",
                    child_id=cid,
                    visit_date=f"2024-02-{1 + i % 20:02d}",
                    recorded_at=f"2024-02-{2 + i % 20:02d}",
                )
            )
            for day in ("2024-03-01", "2024-03-04", "2024-04-15"):
                status = "absent_unexcused" if i % 3 == 0 else "present"
                attendance.append(
                    row(
                        "school_attendance",
                        child_id=cid,
                        date=day,
                        status=status,
                        recorded_at=(pd.Timestamp(day) + pd.Timedelta(days=3)).date().isoformat(),
                    )
                )
            children.append(Child(cid, child_key(cid, secret), name, village, gname, phone, id_number))
    tables = {
        "admin_units": admin,
        "children_registry": registry,
        "household_members": household,
        "visit_logs": visits,
        "school_attendance": attendance,
    }
    for feed in (
        "calendar",
        "schools",
        "workers",
        "parent_migration_episodes",
        "parent_contact_log",
        "school_events",
        "incidents",
        "assistance_benefits",
        "cases",
    ):
        tables[feed] = rows(feed)
    for feed, feed_rows in tables.items():
        write(feeds, feed, feed_rows)
    warehouse = folder / "warehouse.duckdb"
    report = ingest_folder(feeds, warehouse, secret, progress=False)
    assert report.total.quarantined == 0, f"factory feeds should be valid: {report.total}"
    return County(warehouse, children)


def matrix_for(
    county: County, as_of: dt.date, flagged: dict[str, str] | None = None, seed: int = 0
) -> pd.DataFrame:
    """A §3 feature matrix for the county's children at `as_of` (indicators drawn at random, deterministic);
    `flagged` maps child keys to the rule that fires for them."""
    from features.spec import load_spec

    spec = load_spec()
    flagged = flagged or {}
    rng = np.random.default_rng(seed + as_of.toordinal())
    n = len(county.children)
    frame = pd.DataFrame(
        {
            "child_key": [c.key for c in county.children],
            "as_of": pd.Timestamp(as_of),
            "village_code": [c.village for c in county.children],
            "township_code": [c.village[:9] + "000" for c in county.children],
            "sex": "F",
            "ethnicity_code": "01",
            "minority": False,
            "has_disability": False,
            "age_group": "12-15",
        }
    )
    for name in spec.model_inputs():
        frame[name] = rng.gamma(1.5, 1.0, n)
    rules = sorted(set(flagged.values()))
    for rule in rules:
        frame[f"flag_{rule}"] = [flagged.get(c.key) == rule for c in county.children]
    frame["rule_flags"] = [flagged.get(c.key, "") for c in county.children]
    frame["label"] = 0
    return frame


def train_parts(seed: int = 0, n: int = 1500, spec_path: Path | None = None):
    """A real LightGBM risk model (training.model.fit_risk_model) on synthetic rows with a known signal."""
    from features.spec import load_spec
    from training.model import fit_risk_model

    spec = load_spec(spec_path)
    inputs = spec.model_inputs()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.gamma(1.5, 1.0, (n, len(inputs))), columns=inputs)
    logit = -3.0 + 0.8 * frame[inputs[0]] + 0.5 * frame[inputs[1]]
    frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    frame["age_group"] = "12-15"
    half = n // 2
    return fit_risk_model(frame.iloc[:half], frame.iloc[half:], frame, spec)


def register_champion(
    tracking_uri: str,
    tmp: Path,
    name: str = "shouhu-risk",
    seed: int = 0,
    alias: str = "champion",
    card: str = "# 模型卡\n测试模型",
    spec_path: Path | None = None,
    promoted: bool = True,
    break_artifact=None,
) -> str:
    """Log the training pyfunc as training does (its artifacts, its own feature_spec.yaml, the contract
    package as model code, the reference example), register it and point `alias` at it; return the version.
    `promoted`: the champion history records it, as `shouhu promote` would (else the alias is moved by hand).
    `break_artifact(folder)` may damage the saved artifacts before logging (a model that fails later)."""
    import json

    import mlflow
    from mlflow import MlflowClient

    import training.pyfunc as pyfunc
    from features.spec import DEFAULT_SPEC
    from shouhu_core.model_contract import CHAMPION, GATES, HISTORY_TAG, PASS, history_of
    from training.tracking import MODEL_CODE, input_example, model_signature

    folder = tmp / f"parts-{seed}-{dt.datetime.now().timestamp()}"
    parts = train_parts(seed, spec_path=spec_path)
    artifacts = pyfunc.save_parts(parts, folder)
    (folder / pyfunc.CARD).write_text(card, encoding="utf-8")
    (folder / pyfunc.SPEC).write_bytes(Path(spec_path or DEFAULT_SPEC).read_bytes())
    artifacts[pyfunc.CARD] = str(folder / pyfunc.CARD)
    artifacts[pyfunc.SPEC] = str(folder / pyfunc.SPEC)
    example = input_example(parts)
    if break_artifact is not None:
        break_artifact(folder)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    # Never MLflow's default experiment: its artifacts would land in ./mlruns/0 of the working directory.
    found = client.get_experiment_by_name(TEST_EXPERIMENT)
    experiment = (
        found.experiment_id
        if found is not None
        else client.create_experiment(
            TEST_EXPERIMENT, artifact_location=(tmp / "artifacts").resolve().as_uri()
        )
    )
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=pyfunc.__file__,
            code_paths=[str(MODEL_CODE)],
            artifacts=artifacts,
            signature=model_signature(parts.inputs),
            input_example=example,
            registered_model_name=name,
            pip_requirements=["mlflow"],
        )
    version = str(info.registered_model_version)
    if alias == CHAMPION and promoted:  # as training leaves it: the history first, then the alias
        history = [*history_of(client.get_registered_model(name).tags), version]
        for gate in GATES if len(history) > 1 else ():  # `shouhu promote`; the first model has no gates
            client.set_model_version_tag(name, version, f"gate_{gate}", PASS)
        client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history))
    client.set_registered_model_alias(name, alias, version)
    return version
