"""Monitoring on constructed warehouses and service databases with known answers: a feed stopped two weeks
ago, a shifted indicator, a list whose outcomes are known, caseworkers' departures from the list, selection
by group, and the history written to the service database (SQLite and, with SHOUHU_DATABASE_URL,
PostgreSQL). The county code 990101 is used by no other test, so the shared service database's other lists
stay out of these answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from features.backend import open_warehouse
from serving.monitoring import casework, drift, feeds, history, lists
from serving.monitoring.figures import (
    CONCERN_AGREEMENT,
    FEED_AGE,
    NO_ACTION_FLAGGED,
    OUT_OF_ORDER,
    PRECISION,
    PSI_INPUT,
    PSI_SCORE,
    QUARANTINE,
    RECALL,
    SELECTION,
)
from serving.monitoring.run import ChampionView, MonitorResult, Thresholds, run_monitor
from serving.tables import ConcernLevel, Decision, VisitList, VisitListRow
from shouhu_core import drift as core_drift
from tests.features import factories as F

COUNTY = "990101000000"
T1, T2 = "990101001000", "990101002000"
V1, V2 = "990101001001", "990101002001"
AS_OF = dt.date(2024, 6, 1)


def _warehouse(path: Path) -> Path:
    """Ten children, 1–5 in township T1 and 6–10 in T2; visit logs of T2 stopped on 2024-05-17 (15 days
    before the as-of date) while T1's arrive until 2024-05-30; children 1 and 4 had an incident within 90
    days of 2024-01-01."""
    wf = F.WarehouseFactory()
    for i in range(1, 11):
        wf.add(
            "children_registry",
            F.registry_row(
                i,
                residence_village_code=V1 if i <= 5 else V2,
                sex="F" if i % 2 else "M",
                disability_category="physical" if i == 3 else None,
            ),
        )
    wf.add("visit_logs", F.visit_row(1, "2024-05-30"), F.visit_row(2, "2024-05-20"))
    wf.add("visit_logs", F.visit_row(6, "2024-05-17"), F.visit_row(7, "2024-04-02"))
    wf.add("incidents", F.incident_row(1, "2024-02-10"), F.incident_row(4, "2024-03-01"))
    wf.add("incidents", F.incident_row(5, "2024-05-10"))  # after the first list's horizon: not counted
    # outcomes after the 2024-07-01 lists (after the as-of date of the other tests)
    wf.add("incidents", F.incident_row(7, "2024-08-01"), F.incident_row(3, "2024-08-15"))
    wf.build(path, all_tables=True)
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE ingest_files (sha256 VARCHAR, run_id VARCHAR, feed VARCHAR, read BIGINT, "
        "loaded BIGINT, quarantined BIGINT, ingested_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO ingest_files VALUES ('a', 'r1', 'visit_logs', 100, 99, 1, '2024-05-01'), "
        "('b', 'r2', 'visit_logs', 200, 180, 20, '2024-06-01'), "
        "('c', 'r2', 'school_attendance', 1000, 1000, 0, '2024-06-01')"
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _warehouse(tmp_path_factory.mktemp("monitor") / "warehouse.duckdb")


def test_a_feed_stopped_two_weeks_ago_in_one_township_is_reported_there_only(warehouse: Path) -> None:
    wh = open_warehouse(warehouse)
    try:
        figures = [f for f in feeds.freshness(wh, AS_OF, 14, COUNTY) if f.subject == "visit_logs"]
    finally:
        wh.close()
    by_area = {f.area_code: f for f in figures}
    assert by_area[T2].value == 15 and by_area[T2].alert
    assert by_area[T2].detail["latest"] == "2024-05-17"
    assert by_area[T1].value == 2 and not by_area[T1].alert
    assert by_area[COUNTY].value == 2 and not by_area[COUNTY].alert
    assert all(f.metric == FEED_AGE for f in figures)


def test_a_feed_absent_from_one_township_while_others_have_it_counts_as_stopped(tmp_path: Path) -> None:
    wf = F.WarehouseFactory()
    wf.add("children_registry", F.registry_row(1, residence_village_code=V1))
    wf.add("children_registry", F.registry_row(2, residence_village_code=V2))
    wf.add("visit_logs", F.visit_row(1, "2024-05-30"))
    wh = open_warehouse(wf.build(tmp_path / "w.duckdb"))
    try:
        figures = {
            f.area_code: f for f in feeds.freshness(wh, AS_OF, 14, COUNTY) if f.subject == "visit_logs"
        }
    finally:
        wh.close()
    assert figures[T2].value is None and figures[T2].alert
    assert not figures[T1].alert


def test_the_quarantine_rate_is_the_latest_runs_share_with_the_earlier_runs_as_trend(warehouse: Path) -> None:
    wh = open_warehouse(warehouse)
    try:
        figures = {f.subject: f for f in feeds.quarantine(wh, 0.05, COUNTY)}
    finally:
        wh.close()
    visits = figures["visit_logs"]
    assert visits.metric == QUARANTINE
    assert visits.value == pytest.approx(0.10) and visits.alert
    assert visits.detail["trend"] == pytest.approx([0.10, 0.01])
    assert figures["school_attendance"].value == 0 and not figures["school_attendance"].alert


def test_a_shifted_indicator_drifts_and_an_unchanged_one_does_not() -> None:
    rng = np.random.default_rng(0)
    ref_inputs = {"steady": rng.normal(0, 1, 5000), "shifted": rng.normal(0, 1, 5000)}
    ref_score = rng.normal(0, 1, 5000)
    reference = core_drift.reference(ref_inputs, ref_score)
    live = {"steady": rng.normal(0, 1, 3000), "shifted": rng.normal(1.0, 1, 3000)}
    figures = drift.drift_figures(reference, live, rng.normal(0, 1, 3000), np.full(3000, 50.0), 0.25, COUNTY)
    psi = {f.subject: f for f in figures}
    assert psi["score"].metric == PSI_SCORE and psi["score"].value < 0.05 and not psi["score"].alert
    assert psi["shifted"].metric == PSI_INPUT and psi["shifted"].value > 0.25 and psi["shifted"].alert
    assert psi["steady"].value < 0.05 and not psi["steady"].alert
    assert [f.subject for f in figures if f.metric == PSI_INPUT] == ["shifted", "steady"]  # worst first


def test_missing_values_are_their_own_bin_so_a_stopped_input_drifts() -> None:
    rng = np.random.default_rng(1)
    reference = core_drift.histogram(rng.gamma(1.5, 1.0, 4000))
    live = rng.gamma(1.5, 1.0, 4000)
    live[: len(live) // 2] = np.nan
    assert core_drift.psi_against(reference, live) > 1.0


def test_a_champion_without_reference_histograms_is_judged_on_its_percentiles() -> None:
    uniform = np.linspace(0, 100, 1000, endpoint=False)
    assert drift.drift_figures(None, {}, np.zeros(1000), uniform, 0.25, None)[0].value < 0.01
    crowded = np.full(1000, 95.0)
    (fig,) = drift.drift_figures(None, {}, np.zeros(1000), crowded, 0.25, None)
    assert fig.alert and fig.detail["basis"] == "percentile"


def test_a_trained_model_carries_its_reference_histograms_as_an_artifact(tmp_path: Path) -> None:
    import json

    from shouhu_core.model_contract import DRIFT
    from tests.serving.factories import train_parts
    from training import pyfunc

    parts = train_parts(seed=3, n=600)
    files = pyfunc.save_parts(parts, tmp_path / "model")
    stored = json.loads(Path(files[DRIFT]).read_text(encoding="utf-8"))
    assert set(stored["inputs"]) == set(parts.inputs)
    for hist in (stored["score"], *stored["inputs"].values()):
        assert len(hist["shares"]) == len(hist["edges"]) + 2  # bins plus the missing bin
        assert sum(hist["shares"]) == pytest.approx(1.0)


# --- the service database -----------------------------------------------------------------------------------
def _add_list(session, as_of: dt.date, scope_kind: str, scope_code: str, children: list[int], **over) -> list:
    """A township list of `children` in rank order (bands red, red, yellow, green, green…)."""
    vl = VisitList(
        scope_kind=scope_kind,
        scope_code=scope_code,
        as_of=as_of,
        model_name="shouhu-risk",
        model_version=over.get("version", "1"),
        tie_break="t",
        row_count=len(children),
        created_by="test",
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(vl)
    session.flush()
    bands = ["red", "red", "yellow", "green", "green", "green"]
    rows = [
        VisitListRow(
            list_id=vl.id,
            rank=r,
            child_key=F.ck(c),
            village_code=V1 if c <= 5 else V2,
            probability=0.5,
            percentile=99.0 - r,
            band=bands[min(r - 1, len(bands) - 1)],
            rule_flags=over.get("flags", {}).get(c, ""),
            reasons=[],
            protective_reasons=[],
            age_years=10,
            days_since_last_visit=None,
            data_freshness={},
        )
        for r, c in enumerate(children, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


@pytest.fixture(scope="module")
def service(database_url: str):
    """Lists of county 990101: a township list of T1 issued 2024-01-01 (horizon passed by the as-of date),
    a later one of 2024-04-01 (horizon not passed), and the live lists of 2024-05-25 for both townships,
    with decisions and concern levels."""
    from serving.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    session = make_sessionmaker(engine)()
    _add_list(session, dt.date(2024, 1, 1), "township", T1, [1, 2, 3, 4, 5])
    _add_list(session, dt.date(2024, 4, 1), "township", T1, [5, 4, 3, 2, 1])
    live1 = _add_list(
        session, dt.date(2024, 5, 25), "township", T1, [1, 2, 3, 4, 5], flags={2: "living_alone"}
    )
    _add_list(session, dt.date(2024, 5, 25), "township", T2, [6, 7, 8, 9, 10])
    now = dt.datetime.now(dt.UTC)

    def decide(row: VisitListRow, action: str, out_of_order: bool) -> None:
        session.add(
            Decision(
                list_row_id=row.id,
                child_key=row.child_key,
                action=action,
                reason="r" if out_of_order or action == "no_action" else None,
                out_of_order=out_of_order,
                decided_by="director",
                role="children_director",
                decided_at=now,
            )
        )

    decide(live1[0], "schedule_visit", False)
    decide(live1[1], "no_action", False)  # the flagged child
    decide(live1[3], "visited", True)  # rank 4 visited while rank 3 waits
    decide(live1[2], "schedule_visit", False)
    for child, level in ((1, "high"), (3, "low"), (4, "low"), (5, "unknown")):
        session.add(
            ConcernLevel(
                child_key=F.ck(child),
                cycle=dt.date(2024, 5, 25),
                level=level,
                given_by="director",
                role="children_director",
                given_at=now,
            )
        )
    session.commit()
    yield session
    session.close()
    engine.dispose()


@pytest.mark.db
def test_realised_precision_and_recall_of_a_list_whose_outcomes_are_known(warehouse: Path, service) -> None:
    wh = open_warehouse(warehouse)
    try:
        figures = lists.realised_quality(service, wh, AS_OF, 90, 2, 0.6, area_prefix="990101")
    finally:
        wh.close()
    precision = [f for f in figures if f.metric == PRECISION]
    recall = [f for f in figures if f.metric == RECALL]
    # only the 2024-01-01 list's horizon (to 2024-03-31) has passed by 2024-06-01
    assert [f.detail["as_of"] for f in precision] == ["2024-01-01"]
    # k = 2: ranks 1–2 are children 1 and 2; outcomes within 90 days: children 1 and 4 (child 5's is later)
    assert precision[0].value == pytest.approx(0.5) and precision[0].alert  # below the 0.6 floor
    assert recall[0].value == pytest.approx(0.5)
    assert precision[0].detail["outcomes"] == 2 and precision[0].detail["k"] == 2


@pytest.fixture(scope="module")
def mixed_lists(service) -> dt.date:
    """2024-07-01: a township list of each township and a county list of all ten children, which share
    their children (after every other test's as-of date, so their answers stay the same)."""
    day = dt.date(2024, 7, 1)
    _add_list(service, day, "township", T1, [1, 2, 3, 4, 5])
    _add_list(service, day, "township", T2, [6, 7, 8, 9, 10])
    _add_list(service, day, "county", COUNTY, [7, 1, 2, 3, 4, 5, 6, 8, 9, 10])
    service.commit()
    return day


@pytest.mark.db
def test_realised_quality_of_a_county_list_counts_its_townships_capacity_and_each_list_alone(
    warehouse: Path, service, mixed_lists: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "KEY_CHUNK", 1)  # one child per lookup: outcomes found across chunks
    wh = open_warehouse(warehouse)
    try:
        figures = lists.realised_quality(service, wh, dt.date(2024, 10, 1), 90, 2, 0.0, area_prefix="990101")
    finally:
        wh.close()
    got = {
        (f.area_code, f.metric): (f.value, f.detail["k"], f.detail["hits"], f.detail["outcomes"])
        for f in figures
        if f.detail["as_of"] == mixed_lists.isoformat()
    }
    # outcomes: child 7 (T2, county rank 1) and child 3 (T1 rank 3, county rank 4)
    assert got[(T1, PRECISION)] == (0.0, 2, 0, 1) and got[(T1, RECALL)][0] == 0.0
    assert got[(T2, PRECISION)] == (0.5, 2, 1, 1) and got[(T2, RECALL)][0] == 1.0
    # a county list's k is the per-township number times its two townships
    assert got[(COUNTY, PRECISION)] == (0.5, 4, 2, 2) and got[(COUNTY, RECALL)][0] == 1.0


@pytest.mark.db
def test_selection_counts_a_child_on_a_township_and_a_county_list_once_from_the_township_list(
    warehouse: Path, service, mixed_lists: dt.date
) -> None:
    wh = open_warehouse(warehouse)
    try:
        figures = {f.subject: f for f in lists.selection(service, wh, mixed_lists, 2, area_prefix="990101")}
    finally:
        wh.close()
    # by the township lists 1, 2, 6, 7 are selected (by the county list it would be 7, 1, 2, 3)
    assert figures["sex=F"].detail == {**figures["sex=F"].detail, "n": 5, "selected": 2}
    assert figures["disability=有"].value == 0.0  # child 3: rank 3 of T1, outside k = 2
    assert figures[f"township={T2}"].value == pytest.approx(0.4)


@pytest.mark.db
def test_caseworker_departures_no_action_on_flagged_children_and_concern_agreement(service) -> None:
    figures = {f.metric: f for f in casework.behaviour(service, AS_OF, 0.3, area_prefix="990101")}
    # three visit decisions, one of them out of order
    assert figures[OUT_OF_ORDER].value == pytest.approx(1 / 3) and figures[OUT_OF_ORDER].alert
    assert figures[NO_ACTION_FLAGGED].value == 1.0 and figures[NO_ACTION_FLAGGED].alert
    # concerns (unknown left out): child 1 high/red agrees, child 3 low/yellow and child 4 low/green → 2 of 3
    agreement = figures[CONCERN_AGREEMENT]
    assert agreement.value == pytest.approx(2 / 3) and agreement.detail["n"] == 3


@pytest.mark.db
def test_selection_rates_on_the_live_lists_by_sex_disability_and_township(warehouse: Path, service) -> None:
    wh = open_warehouse(warehouse)
    try:
        figures = {f.subject: f for f in lists.selection(service, wh, AS_OF, 2, area_prefix="990101")}
    finally:
        wh.close()
    assert all(f.metric == SELECTION for f in figures.values())
    # selected (k = 2 per township): children 1, 2 (T1) and 6, 7 (T2); odd children are F
    assert figures["sex=F"].value == pytest.approx(2 / 5)  # 1 and 7 of 1, 3, 5, 7, 9
    assert figures["sex=M"].value == pytest.approx(2 / 5)  # 2 and 6
    assert figures["disability=有"].value == 0.0 and figures["disability=有"].detail["n"] == 1
    assert figures[f"township={T1}"].value == pytest.approx(0.4)


def _monitored(warehouse: Path, service, parts, builder):
    """A monitor run of county 990101 at AS_OF whose champion is `parts` and whose matrix is `builder`'s."""
    from training.pyfunc import score_frame

    champion = ChampionView(
        name="shouhu-risk",
        version="1",
        spec=None,
        predict=lambda m: score_frame(m, parts, explain=False),
        inputs=parts.inputs,
        reference=parts.drift,
    )
    return run_monitor(
        warehouse,
        service,
        AS_OF,
        horizon_days=90,
        visits_per_township=2,
        thresholds=Thresholds(stale_days=14, psi=0.25),
        champion=champion,
        county=COUNTY,
        builder=builder,
    )


@pytest.mark.db
def test_a_monitor_run_is_kept_as_history_and_read_back(warehouse: Path, service) -> None:
    from tests.serving.factories import train_parts

    parts = train_parts(seed=1)
    rng = np.random.default_rng(2)

    def matrix(_path: Path, _as_of: dt.date, _spec: object) -> pd.DataFrame:
        frame = pd.DataFrame(rng.gamma(1.5, 1.0, (800, len(parts.inputs))), columns=parts.inputs)
        frame[parts.inputs[0]] += 3.0  # the strongest input shifted far up
        return frame

    result = _monitored(warehouse, service, parts, matrix)
    shifted = next(f for f in result.of(PSI_INPUT) if f.subject == parts.inputs[0])
    assert shifted.alert and result.of(PSI_SCORE)[0].alert
    run = history.save(service, result)
    stored = history.latest(service)
    assert stored is not None and stored.run.id == run.id and stored.run.alerts == len(result.alerts)
    assert len(stored.figures) == len(result.figures)
    assert {f.subject for f in stored.of(PRECISION)} == {f.subject for f in result.of(PRECISION)}
    assert history.series(service, PSI_SCORE)[-1][0] == AS_OF


@pytest.mark.db
def test_shouhu_monitor_runs_on_a_real_county_and_champion_and_keeps_the_history(
    settings, county, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from serving.db import make_engine, make_sessionmaker
    from shouhu.cli import app
    from shouhu.settings import get_settings

    for name, value in {
        "SHOUHU_DATABASE_URL": settings.database_url,
        "SHOUHU_WAREHOUSE": str(settings.warehouse),
        "SHOUHU_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "SHOUHU_DATA_DIR": str(tmp_path),
        "SHOUHU_MONITOR_PSI": "0.3",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["monitor", "--as-of", "2024-03-01"])
        bad = CliRunner().invoke(app, ["monitor", "--as-of", "March"])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    print(done.output)
    assert "as of 2024-03-01" in done.output and "alert(s)" in done.output
    assert bad.exit_code == 2 and "not a date" in bad.output
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        run = next(r for r in history.runs(session) if r.as_of == dt.date(2024, 3, 1))
        assert run.summary["thresholds"]["psi"] == 0.3
        assert run.model_version is not None  # the registered champion was found and measured
        assert any(f.metric == PSI_SCORE for f in history._figures(session, run.id))
    engine.dispose()


@pytest.mark.db
def test_metrics_expose_feed_age_drift_and_realised_precision_of_the_latest_run(app, client, service) -> None:
    from pydantic import SecretStr

    from serving.monitoring.figures import Figure

    result = MonitorResult(
        dt.date(2030, 1, 1),  # later than any other run of the shared database: the latest
        [
            Figure(FEED_AGE, "visit_logs", 15.0, area_code=COUNTY, alert=True),
            Figure(FEED_AGE, "visit_logs", 40.0, area_code=T2, alert=True),  # townships are not gauges
            Figure(PSI_SCORE, "score", 0.31, alert=True),
            Figure(PSI_INPUT, "unexcused_absence_days_30d", 0.07),
            Figure(PRECISION, "list:1", 0.2, detail={"as_of": "2029-09-01"}),
            Figure(PRECISION, "list:2", 0.4, detail={"as_of": "2029-09-01"}),
            Figure(PRECISION, "list:0", 0.9, detail={"as_of": "2029-08-01"}),
        ],
        {"county": COUNTY, "notes": []},
    )
    history.save(service, result)
    svc = app.state.services
    saved = svc.settings
    svc.settings = saved.model_copy(update={"metrics_token": SecretStr("scrape-token-of-the-county-0123")})
    try:
        r = client.get("/api/v1/metrics", headers={"Authorization": "Bearer scrape-token-of-the-county-0123"})
    finally:
        svc.settings = saved
    assert r.status_code == 200
    lines = set(r.text.splitlines())
    assert 'shouhu_feed_age_days{feed="visit_logs"} 15.0' in lines
    assert 'shouhu_drift_psi{subject="score"} 0.31' in lines
    assert 'shouhu_drift_psi{subject="unexcused_absence_days_30d"} 0.07' in lines
    assert any(
        line.startswith("shouhu_realised_precision_at_k 0.3") for line in lines
    )  # the latest date's mean
    assert "shouhu_monitor_alerts 3.0" in lines


# --- the monthly job ----------------------------------------------------------------------------------------
@pytest.mark.db
def test_the_monthly_job_retrains_only_on_a_trigger_and_a_failed_run_changes_nothing(
    settings, tmp_path: Path
) -> None:
    import json

    from shouhu.schedule import STATUS_FILE, monthly_job

    job_settings = settings.model_copy(
        update={"data_dir": tmp_path, "monitor_psi": 1e9, "retrain_max_champion_days": 365}
    )
    calls: list[str] = []

    def retrain_fails(_settings, _say):
        calls.append("retrain")
        raise RuntimeError("the fit window has no outcomes")

    quiet = monthly_job(job_settings, say=lambda _m: None, retrain=retrain_fails)
    assert quiet.status == "ok" and quiet.triggers == [] and calls == []  # young champion, no drift

    old = job_settings.model_copy(update={"retrain_max_champion_days": 30})
    failed = monthly_job(
        old, today=dt.date.today() + dt.timedelta(days=60), say=lambda _m: None, retrain=retrain_fails
    )
    assert calls == ["retrain"]
    assert failed.status == "failed" and failed.step == "retrain" and "no outcomes" in failed.error
    assert failed.triggers and "days old" in failed.triggers[0]
    assert failed.champion_before is not None and failed.champion_after == failed.champion_before
    written = json.loads((tmp_path / STATUS_FILE).read_text(encoding="utf-8"))
    assert written["status"] == "failed" and written["step"] == "retrain"


def test_the_schedule_command_exits_1_and_says_why_when_the_warehouse_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from shouhu.cli import app
    from shouhu.settings import get_settings

    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOUHU_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["schedule"])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 1
    assert "FAILED at monitor" in done.output and (tmp_path / "monthly_job.json").exists()


def test_charts_are_drawn_as_svg_with_their_texts_escaped_and_alerts_marked() -> None:
    from serving.monitoring import svg

    chart = svg.bars(
        [("<script>x</script>", 0.4, True), ("稳定", 0.05, False), ("缺", None, False)],
        title="PSI",
        limit=0.25,
    )
    assert chart.startswith("<svg") and "<script>" not in chart and "&lt;script&gt;" in chart
    assert chart.count(f'fill="{svg.ALERT}"') == 1 and "无数据" in chart and 'stroke-dasharray="4 3"' in chart
    line = svg.lines(
        {"精确率": [(dt.date(2024, 1, 1), 0.4), (dt.date(2024, 2, 1), 0.5)]}, title="t", percent=True
    )
    assert "<polyline" in line and "2024年1月1日" in line and "2024年2月1日" in line


@pytest.mark.db
def test_a_township_whose_scores_shifted_is_named_while_a_small_township_gets_no_figure(
    warehouse: Path, service, tmp_path: Path
) -> None:
    from serving.db import make_engine, make_sessionmaker, migrate
    from serving.monitoring import dashboard
    from serving.monitoring.figures import PSI_SCORE_TOWNSHIP
    from tests.serving.factories import train_parts

    parts = train_parts(seed=1)
    rng = np.random.default_rng(5)
    small = "990101003000"

    def matrix(_path: Path, _as_of: dt.date, _spec: object) -> pd.DataFrame:
        frame = pd.DataFrame(rng.gamma(1.5, 1.0, (1100, len(parts.inputs))), columns=parts.inputs)
        frame["township_code"] = [T1] * 500 + [T2] * 500 + [small] * 100
        frame.loc[500:999, parts.inputs[0]] += 3.0  # only T2's strongest input moves
        return frame

    result = _monitored(warehouse, service, parts, matrix)
    by_township = {f.area_code: f for f in result.of(PSI_SCORE_TOWNSHIP)}
    assert set(by_township) == {T1, T2}  # 100 children are too few for a township figure
    assert by_township[T2].alert and not by_township[T1].alert
    assert by_township[T2].detail["n"] == 500
    # the page, from a service database of its own (the shared one's latest run belongs to another test)
    engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as own:
        history.save(own, result)
        page = dashboard.context(own, {T1: "一镇", T2: "二镇"})
    engine.dispose()
    assert "二镇（500人）" in page["township_chart"] and "一镇（500人）" in page["township_chart"]
    assert "乡镇评分分布明显变化：二镇" in page["alert_list"]
