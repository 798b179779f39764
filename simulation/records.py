"""Turn the engine's records (day numbers, row indices) into the feeds of the data contracts and the truth."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation import params as P
from simulation.engine import ATT_CODES, Records, SimState, join_flags
from simulation.school_calendar import calendar_frame


class Clock:
    """Day numbers → timestamps; `recorded_at` values get a working-hours time of day so they sort after
    the event they describe."""

    def __init__(self, start: date, rng: np.random.Generator) -> None:
        self.t0 = np.datetime64(start, "D")
        self.rng = rng

    def day(self, days: np.ndarray | list) -> pd.Series:
        arr = pd.array(pd.to_numeric(pd.Series(days, dtype="float64")), dtype="Float64")
        out = pd.to_datetime(self.t0) + pd.to_timedelta(np.asarray(arr, dtype="float64"), unit="D")
        return pd.Series(out).astype("datetime64[us]")

    def stamp(self, days: np.ndarray | list) -> pd.Series:
        d = np.asarray(days, dtype="float64")
        hours = self.rng.uniform(8.0, 20.0, len(d)) / 24.0
        return self.day(d + hours)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()


def visit_quality_flags(vs: dict[str, np.ndarray]) -> np.ndarray:
    """`data_quality_flag` of visit rows from what each record itself shows: 信息不全 (incomplete) when an
    observation the visit's mode yields was left blank, 补录 (backfilled) when typed in late."""
    mode = vs["mode"]
    home, inperson = mode == "home", mode != "phone"
    seen = vs["child_seen"].astype(bool)

    def blank(name: str) -> np.ndarray:
        return pd.isna(np.asarray(vs[name], dtype=object))

    incomplete = (
        blank("next_visit_due")
        | ((mode != "school") & blank("carer_present"))
        | (home & (blank("living_conditions") | blank("food_insecurity") | blank("signs_of_neglect")))
        | (inperson & blank("hygiene_issue"))
        | (seen & blank("child_mood"))
        | (inperson & seen & blank("signs_of_injury"))
    )
    late = vs["recorded"].astype("float64") - vs["day"].astype("float64") >= P.BACKFILLED_VISIT_DAYS
    return join_flags({"incomplete": incomplete, "backfilled": late})


def police_dispatch(report: pd.Series, dispatched: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """出警时间: police go out after a mandatory report, within hours [D]; other incidents have none."""
    hours = rng.uniform(*P.POLICE_DISPATCH_HOURS, len(report))
    when = report + pd.to_timedelta(hours, unit="h")
    return when.where(dispatched).astype("datetime64[us]")


def build_feeds(
    engine: SimState, rec: Records, rng: np.random.Generator, rng_extra: np.random.Generator
) -> dict[str, pd.DataFrame | pa.Table]:
    """Every feed of the contracts. `rng` draws the record times as it always has; columns added later draw
    from `rng_extra`, so adding them left the other columns of a seed unchanged."""
    pop, county = engine.pop, engine.county
    clock = Clock(engine.start, rng)
    cid = pop.c_id
    pid = np.array(engine.p_id, dtype=object)
    feeds: dict[str, pd.DataFrame | pa.Table] = {}
    feeds["admin_units"] = county.admin_units
    cal = calendar_frame(engine.cal)
    feeds["calendar"] = cal
    feeds["schools"] = county.schools.assign(
        boarding_capacity=county.schools["boarding_capacity"].astype("Int64")
    )
    feeds["workers"] = county.workers.assign(caseload_cap=county.workers["caseload_cap"].astype("Int64"))

    reg = pd.concat(rec.registry, ignore_index=True)
    reg.insert(len(reg.columns) - 1, "recorded_at", clock.stamp(reg.pop("recorded_day").to_numpy()))
    reg["source_system"] = "mca_lbc_system"
    reg["birth_date"] = reg["birth_date"].astype("datetime64[us]")
    reg["lbc_since"] = pd.to_datetime(reg["lbc_since"]).astype("datetime64[us]")
    reg["snapshot_date"] = reg["snapshot_date"].astype("datetime64[us]")
    # [D] a registered child's hukou is in the village where the child lives
    hukou_area = np.where(reg["hukou_registered"].astype(bool), reg["residence_village_code"], None)
    reg.insert(reg.columns.get_loc("hukou_registered") + 1, "hukou_area_code", hukou_area)
    feeds["children_registry"] = reg.drop(columns=["recorded_day"], errors="ignore")

    hm = _frame(rec.household)
    feeds["household_members"] = pd.DataFrame(
        {
            "person_id": pid[hm["person"].to_numpy()],
            "child_id": cid[hm["child"].to_numpy()],
            "name": np.array(engine.p_name, dtype=object)[hm["person"].to_numpy()],
            "id_number": np.array(engine.p_idno, dtype=object)[hm["person"].to_numpy()],
            "phone": np.array(engine.p_phone, dtype=object)[hm["person"].to_numpy()],
            "relation": hm["relation"],
            "birth_year": hm["birth_year"].astype("Int64"),
            "alive": hm["alive"],
            "lives_with_child": hm["lives_with_child"],
            "is_primary_caregiver": hm["is_primary_caregiver"],
            "is_entrusted_guardian": hm["is_entrusted_guardian"],
            "education_level": hm["education_level"],
            "health_status": hm["health_status"],
            "disability_grade": hm["disability_grade"].astype("Int64"),
            "guardian_capacity": hm["guardian_capacity"],
            "incapacity_reason": hm["incapacity_reason"],
            "contactable": hm["contactable"],
            "valid_from": clock.day(hm["valid"]),
            "recorded_at": clock.stamp(hm["recorded"]),
            "source_system": "mca_lbc_system",
        }
    ).drop_duplicates(["person_id", "child_id", "valid_from"], keep="last", ignore_index=True)

    mg = _frame(rec.migration)
    province = np.where(mg["cross"], mg["province"], "52")
    feeds["parent_migration_episodes"] = pd.DataFrame(
        {
            "episode_id": mg["episode_id"],
            "person_id": pid[mg["person"].to_numpy()],
            "child_id": cid[mg["child"].to_numpy()],
            "depart_date": clock.day(mg["depart"]),
            "return_date": clock.day(mg["return"].astype("float64")),
            "work_province_code": np.where(mg["abroad"], None, province),
            "work_city_code": np.where(mg["abroad"], None, np.char.add(province.astype(str), "01")),
            "cross_province": mg["cross"] & ~mg["abroad"],
            "abroad": mg["abroad"],
            "sector": mg["sector"],
            "expected_return": mg["expected_return"],
            "lost_contact_since": clock.day(mg["lost_since"].astype("float64")),
            "recorded_at": clock.stamp(mg["recorded"]),
            "source_system": "mca_lbc_system",
        }
    ).drop_duplicates(["episode_id", "recorded_at"], keep="last", ignore_index=True)

    ct = {k: np.concatenate([c[k] for c in rec.contacts]) for k in rec.contacts[0]} if rec.contacts else None
    if ct is not None:
        n = len(ct["child"])
        when = clock.day(ct["day"] + ct["hour"] / 24.0)
        feeds["parent_contact_log"] = pd.DataFrame(
            {
                "contact_id": [f"PC{i + 1:08d}" for i in range(n)],
                "child_id": cid[ct["child"]],
                "parent_id": pid[ct["parent"]],
                "contact_time": when,
                "channel": ct["channel"],
                "duration_min": ct["duration"],
                "initiated_by": ct["initiated_by"],
                "source": ct["source"],
                "recorded_at": np.maximum(when, clock.stamp(ct["recorded"])),
                "source_system": np.where(ct["source"] == "app_log", "village_visit_app", "mca_lbc_system"),
            }
        )

    vs = {
        k: np.concatenate(
            [np.broadcast_to(np.asarray(v[k], dtype=object), len(v["child"])) for v in rec.visits]
        )
        for k in rec.visits[0]
    }
    nv = len(vs["child"])
    order = np.lexsort((vs["child"].astype(np.int64), vs["day"].astype(np.int64)))
    vs = {k: v[order] for k, v in vs.items()}

    def opt_bool(a: np.ndarray) -> pd.Series:
        return pd.Series(a, dtype="object").astype("boolean")

    feeds["visit_logs"] = pd.DataFrame(
        {
            "visit_id": [f"V{i + 1:08d}" for i in range(nv)],
            "child_id": cid[vs["child"].astype(np.int64)],
            "worker_id": vs["worker_id"],
            "worker_role": vs["worker_role"],
            "visit_date": clock.day(vs["day"].astype("float64")),
            "visit_type": vs["visit_type"],
            "mode": vs["mode"],
            "child_seen": vs["child_seen"].astype(bool),
            "carer_present": opt_bool(vs["carer_present"]),
            "living_conditions": pd.array(
                pd.Series(vs["living_conditions"], dtype="float64").round(), dtype="Int64"
            ),
            "food_insecurity": opt_bool(vs["food_insecurity"]),
            "hygiene_issue": opt_bool(vs["hygiene_issue"]),
            "hazards": vs["hazards"],
            "signs_of_injury": opt_bool(vs["signs_of_injury"]),
            "signs_of_neglect": opt_bool(vs["signs_of_neglect"]),
            "child_mood": vs["child_mood"],
            "carer_capacity_rating": vs["carer_capacity_rating"],
            "needs_identified": vs["needs_identified"],
            "referrals": vs["referrals"],
            "next_visit_due": clock.day(vs["next_visit_due"].astype("float64")),
            "recorded_at": clock.stamp(vs["recorded"].astype("float64")),
            "source_system": "village_visit_app",
            "data_quality_flag": visit_quality_flags(vs),
        }
    )

    feeds["school_attendance"] = attendance_table(engine, rec)

    se = _frame(rec.school_events)
    if len(se) == 0:
        se = pd.DataFrame(
            columns=[
                "event_id",
                "child",
                "school_id",
                "day",
                "event_type",
                "screening_instrument",
                "screening_score",
                "screening_positive",
                "teacher_concern",
                "recorded",
            ]
        )
        se["child"] = se["child"].astype(np.int64)
    se = se.sort_values(["day", "event_id"], kind="stable", ignore_index=True)
    feeds["school_events"] = pd.DataFrame(
        {
            "event_id": se["event_id"],
            "child_id": cid[se["child"].to_numpy()],
            "school_id": se["school_id"],
            "event_date": clock.day(se["day"]),
            "event_type": se["event_type"],
            "screening_instrument": se["screening_instrument"],
            "screening_score": se["screening_score"].astype("float64"),
            "screening_positive": opt_bool(se["screening_positive"].to_numpy()),
            "teacher_concern": se["teacher_concern"],
            "recorded_at": clock.stamp(se["recorded"]),
            "source_system": "school_xueji",
        }
    )

    inc = _frame(rec.incidents)
    if len(inc):
        event_t = clock.day(inc["event"].to_numpy() + 0.5)  # noon, as in the truth
        report_t = np.maximum(event_t, clock.stamp(inc["report"]))
    feeds["incidents"] = (
        pd.DataFrame(
            {
                "incident_id": inc["incident_id"],
                "child_id": cid[inc["child"].to_numpy()],
                "incident_type": inc["incident_type"],
                "event_time": event_t,
                "report_time": report_t,
                "police_dispatch_time": police_dispatch(
                    report_t, inc["mandatory_report"].to_numpy(bool), rng_extra
                ),
                "reporter_type": inc["reporter_type"],
                "mandatory_report": inc["mandatory_report"].astype(bool),
                "trigger_2016": inc["trigger_2016"],
                "trigger_2020": inc["trigger_2020"],
                "injury_mechanism": inc["injury_mechanism"],
                "severity": inc["severity"],
                "location": inc["location"],
                "emergency_disposition": inc["emergency_disposition"],
                "verified": inc["verified"],
                "case_id": inc["case_id"],
                "recorded_at": np.maximum(report_t, clock.stamp(inc["recorded"])),
                "source_system": "police",
            }
        )
        if len(inc)
        else _empty_like("incidents")
    )

    bn = _frame(rec.benefits)
    feeds["assistance_benefits"] = (
        pd.DataFrame(
            {
                "benefit_id": bn["benefit_id"],
                "child_id": cid[bn["child"].to_numpy()],
                "program": bn["program"],
                "status": bn["status"],
                "start_date": clock.day(bn["start"]),
                "end_date": clock.day(bn["end_date"].astype("float64")),
                "monthly_amount_cny": bn["amount"].astype("float64"),
                "recorded_at": clock.stamp(bn["recorded"]),
                "source_system": bn["source"],
            }
        ).drop_duplicates(["benefit_id", "recorded_at"], keep="last", ignore_index=True)
        if len(bn)
        else _empty_like("assistance_benefits")
    )

    cs = _frame(rec.cases)
    if len(cs):
        dims = {k: cs[k].astype("Int64") for k in cs.columns if k.startswith("dim_")}
        feeds["cases"] = pd.DataFrame(
            {
                "case_id": cs["case_id"],
                "child_id": cid[cs["child"].to_numpy()],
                "opened_at": clock.day(cs["opened"]),
                "closed_at": clock.day(cs["closed"].astype("float64")),
                "trigger_source": cs["trigger_source"],
                **dims,
                "risk_level": cs["risk_level"],
                "services_planned": cs["services_planned"],
                "guardianship_intervention": cs["guardianship_intervention"],
                "review_due": clock.day(cs["review_due"]),
                "outcome": cs["outcome"],
                "recorded_at": clock.stamp(cs["recorded"]),
                "source_system": "child_welfare_system",
            }
        )
    else:
        feeds["cases"] = _empty_like("cases")
    return feeds


def _empty_like(feed: str) -> pd.DataFrame:
    from data_contracts.feeds import FEEDS

    return pd.DataFrame({c: pd.Series(dtype="object") for c in FEEDS[feed].schema.columns})


def attendance_table(engine: SimState, rec: Records) -> pa.Table:
    """The big one, built straight into Arrow with dictionary-encoded strings (it is written as Parquet)."""
    if not rec.attendance:
        child = np.zeros(0, np.int32)
        day = np.zeros(0, np.int32)
        status = np.zeros(0, np.int8)
        school = np.zeros(0, np.int32)
    else:
        child = np.concatenate([a[0] for a in rec.attendance])
        day = np.concatenate([a[1] for a in rec.attendance])
        status = np.concatenate([a[2] for a in rec.attendance])
        school = np.concatenate([a[3] for a in rec.attendance])
    t0 = np.datetime64(engine.start, "D")
    dates = t0 + day.astype("timedelta64[D]")
    weekday = (day + (t0.astype("datetime64[D]").astype(np.int64) + 3) % 7) % 7  # 0 = Monday
    monday_after = dates + (7 - weekday).astype("timedelta64[D]")
    recorded = monday_after.astype("datetime64[us]") + np.timedelta64(9, "h")
    school_codes = engine.school_ids.astype(str)
    school_idx = school
    day_terms, term_codes = pd.factorize(pd.Series(engine.cal.term_id).fillna(""))
    term_idx = day_terms[day]
    term_codes = np.asarray(term_codes, dtype=str)
    child_codes = engine.pop.c_id
    return pa.table(
        {
            "child_id": pa.DictionaryArray.from_arrays(
                pa.array(child, pa.int32()), pa.array(child_codes.astype(str))
            ),
            "school_id": pa.DictionaryArray.from_arrays(
                pa.array(school_idx.astype(np.int32)), pa.array(school_codes)
            ),
            "date": pa.array(dates.astype("datetime64[us]")),
            "status": pa.DictionaryArray.from_arrays(
                pa.array(status.astype(np.int32)), pa.array(list(ATT_CODES))
            ),
            "term_id": pa.DictionaryArray.from_arrays(
                pa.array(term_idx.astype(np.int32)), pa.array(term_codes)
            ),
            "recorded_at": pa.array(recorded),
            "source_system": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(len(day), np.int32)), pa.array(["school_xueji"])
            ),
        }
    )


def build_truth(engine: SimState, rec: Records, incidents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """truth/child_risk and truth/outcomes; `detected_at` is the report time of the outcome's incident."""
    risk = pd.concat(rec.truth_risk, ignore_index=True) if rec.truth_risk else pd.DataFrame()
    out = _frame(rec.outcomes)
    clock = Clock(engine.start, np.random.default_rng(0))
    if len(out):
        detected = out["detected_day"].to_numpy() >= 0
        report = (
            incidents.set_index("incident_id")["report_time"] if len(incidents) else pd.Series(dtype="object")
        )
        outcomes = pd.DataFrame(
            {
                "outcome_id": out["outcome_id"],
                "child_id": engine.pop.c_id[out["child"].to_numpy()],
                "outcome_type": out["outcome_type"],
                "event_time": clock.day(out["event"].to_numpy() + 0.5),
                "detected": detected,
                "detected_at": pd.Series(out["incident_id"].map(report), dtype="datetime64[us]"),
                "incident_id": out["incident_id"],
                "severity": out["severity"],
            }
        )
    else:
        outcomes = pd.DataFrame(
            columns=[
                "outcome_id",
                "child_id",
                "outcome_type",
                "event_time",
                "detected",
                "detected_at",
                "incident_id",
                "severity",
            ]
        )
    return risk, outcomes
