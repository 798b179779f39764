"""Outcomes and detection: outcomes happen whether or not anyone notices; reports become incidents and
cases (评估帮扶), which lower a household's risk for a while; the monthly hidden truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import hazards as HZ
from simulation import params as P
from simulation.engine import caregiving, recording
from simulation.engine.state import (
    CASE_TYPES,
    NEVER,
    SimState,
)
from simulation.population import G


def outcome(s: SimState, c: int, t: int, kind: str) -> None:
    rng = s.keyed(1, c, t)  # the same outcome draws the same severity and report in every arm
    o = len(s.o_child)
    severity = None
    if kind in ("injury", "drowning"):
        table = P.INJURY_SEVERITY if kind == "injury" else P.DROWNING_SEVERITY
        names = list(table)
        sev_i = rng.choice(len(names), p=[table[name][0] for name in names])
        severity = names[sev_i]
        p_det = table[severity][1]
        reporter = "medical" if severity != "minor" else ("school" if s.cal.is_school_day[t] else "public")
        delay = int(rng.integers(0, 3)) if severity != "minor" else int(s.lag(5, rng=rng))
        if kind == "injury":
            s.injury_day[c] = t
    else:
        p_det, mean_delay = P.DETECT_OTHER.get(kind, (0.0, 10))
        delay = int(s.lag(mean_delay, rng=rng))
        reporter = {
            "dropout": "school",
            "missing": "family",
            "self_harm": "medical",
            "abuse": "school",
            "neglect": "school",
            "unsupervised": "public",
        }[kind]
        if kind in ("abuse", "neglect") and not s.enrolled[c]:
            reporter = "public"
    s.o_child.append(c)
    s.o_type.append(kind)
    s.o_day.append(t)
    s.o_severity.append(severity)
    s.o_detected.append(-1)
    s.o_incident.append(None)
    if kind == "dropout":
        s.dropped[c] = True
    elif kind == "abuse":
        s.M[c] += 0.8
    elif kind in ("missing", "self_harm"):
        s.M[c] += 0.4
    if rng.random() < p_det:
        s.due[t + delay].append((o, reporter))
    elif kind in s.pending:
        s.pending[kind][c] = o
    if severity == "fatal":
        caregiving.exit_child(s, c, t, "deceased")


def detect(s: SimState, o: int, t: int, reporter: str) -> None:
    if s.o_detected[o] >= 0:
        return
    c, kind = s.o_child[o], s.o_type[o]
    s.o_detected[o] = t
    rng = s.keyed(2, c, s.o_day[o])
    incident = record_incident(s, c, kind, s.o_day[o], t, reporter, s.o_severity[o], rng=rng)
    s.o_incident[o] = incident
    s.k_incident[c] = t
    if kind == "dropout":
        s.dropout_known[c] = True
        s.enrolled[c] = False
        if rng.random() < P.P_RETURN_TO_SCHOOL:
            s.return_school_day[c] = t + int(rng.integers(30, 120))
    if kind != "dropout" and s.active[c]:
        s.escalations.append((c, t + int(rng.integers(0, 4))))


def record_incident(
    s: SimState,
    c: int,
    kind: str,
    event: int,
    report: int,
    reporter: str,
    severity: str | None,
    rng: np.random.Generator,
    verified: str = "substantiated",
) -> str:
    s.n_incident += 1
    iid = f"I{s.n_incident:07d}"
    t16, t20 = None, None
    serious = severity in ("hospitalised", "disability", "fatal")
    mandatory = kind in ("unsupervised", "abuse", "missing", "self_harm") or (
        kind in ("injury", "drowning", "neglect") and (serious or rng.random() < 0.3)
    )
    if mandatory:
        t16, t20 = {
            "unsupervised": ("living_alone_or_missing", "abandoned_or_long_unattended"),
            "missing": ("living_alone_or_missing", "trafficking_missing"),
            "neglect": ("guardian_incapable_or_not_performing", "abandoned_or_long_unattended"),
            "abuse": ("suspected_domestic_violence", "multiple_injury_malnutrition_abuse"),
            "self_harm": ("suspected_accident_or_crime", "selfharm_suicide_poisoning_injury_death"),
            "injury": ("suspected_accident_or_crime", None),
            "drowning": ("suspected_accident_or_crime", "other_imminent_danger"),
        }[kind]
    mech = {"drowning": "drowning"}.get(kind)
    if kind == "injury":
        mech = rng.choice(
            ["fall", "mechanical", "animal_bite", "burn", "traffic", "other"],
            p=[0.34, 0.16, 0.15, 0.12, 0.13, 0.10],
        )  # §3.5 I1 causes
    location = {
        "drowning": "open_water",
        "injury": rng.choice(["home", "school", "road", "farm"], p=[0.32, 0.26, 0.24, 0.18]),
    }.get(kind)
    disposition = {
        "unsupervised": "entrusted_relative",
        "missing": "missing_search",
        "abuse": "dv_stopped_shelter",
    }.get(kind, "none")
    case_id = None
    if (
        verified == "substantiated"
        and (kind in CASE_TYPES or serious)
        and not (kind in ("drowning",) and severity == "minor")
    ):
        case_id = open_case(s, c, report, kind, rng)
    if verified == "substantiated" and kind == "unsupervised":
        h = int(s.hh[c])
        if s.guard[h] in (5, 6):
            s.guard[h] = G["other_relatives"]  # 委托亲属监护 after the report
            s.k_guard[s.children_of(np.array([h]))] = G["other_relatives"]
            s.dirty.add(h)
    s.rec.incidents.append(
        {
            "incident_id": iid,
            "child": c,
            "incident_type": kind,
            "event": event,
            "report": report,
            "reporter_type": reporter,
            "mandatory_report": mandatory,
            "trigger_2016": t16,
            "trigger_2020": t20,
            "injury_mechanism": mech,
            "severity": severity,
            "location": location,
            "emergency_disposition": disposition,
            "verified": verified,
            "case_id": case_id,
            "recorded": report + int(s.lag(2, rng=rng)),
        }
    )
    return iid


def open_case(s: SimState, c: int, t: int, trigger_kind: str, rng: np.random.Generator) -> str:
    h = int(s.hh[c])
    g_all = s.guardian(t)
    g = g_all[h] + 0.3 * s.neglect(g_all, t)[h]  # what an assessment of guardianship sees
    s.n_case += 1
    cid = f"K{s.n_case:06d}"

    def dim(x: float) -> int | None:
        return None if rng.random() < 0.05 else int(np.clip(np.round(x + rng.normal(0, 0.5)), 0, 3))

    dims = {
        "dim_safety": dim(1.5 if trigger_kind in ("abuse", "unsupervised", "drowning", "missing") else 0.7),
        "dim_guardianship": dim(g),
        "dim_physical_health": dim(0.8 if trigger_kind in ("injury", "drowning") else 0.3),
        "dim_mental_health": dim(s.M[c]),
        "dim_education": dim(max(s.E[c], 0) + (1.5 if trigger_kind == "dropout" else 0)),
        "dim_economic": dim(1.5 * s.pop.h_dibao[h] + 0.3),
    }
    top = max(v for v in dims.values() if v is not None) if any(v is not None for v in dims.values()) else 1
    services = {
        "abuse": "guardianship_guidance;legal_service;psych_counselling",
        "neglect": "guardianship_guidance;social_assistance_enrolment",
        "unsupervised": "guardianship_guidance;temporary_custody",
        "missing": "guardianship_guidance;psych_counselling",
        "self_harm": "psych_counselling;medical_treatment",
        "dropout": "school_reintegration",
    }.get(trigger_kind, "medical_treatment;guardianship_guidance")
    intervention = "admonition" if trigger_kind in ("abuse", "neglect") and rng.random() < 0.3 else "none"
    duration = int(rng.integers(30, 150))
    s.support_until[h] = max(s.support_until[h], t + duration)
    row = {
        "case_id": cid,
        "child": c,
        "opened": t,
        "closed": None,
        "trigger_source": "incident",
        **dims,
        "risk_level": ("green", "yellow", "orange", "red")[top],
        "services_planned": services,
        "guardianship_intervention": intervention,
        "review_due": t + 28,
        "outcome": None,
        "recorded": t + int(rng.integers(1, 6)),
    }
    s.rec.cases.append(row)
    closed = t + duration
    if closed < s.n_days:
        outcome = rng.choice(
            ["resolved", "improved", "unchanged", "deteriorated", "transferred"],
            p=[0.35, 0.35, 0.18, 0.07, 0.05],
        )
        s.rec.cases.append(
            {**row, "closed": closed, "outcome": outcome, "recorded": closed + int(rng.integers(1, 10))}
        )
    if s.pop.h_dibao[h] or (dims["dim_economic"] or 0) >= 2:
        recording.benefit(
            s,
            c,
            "temporary_assistance",
            t + 10,
            "active",
            "child_welfare_system",
            float(rng.integers(300, 1000)),
            end=t + 100,
        )
    return cid


def truth(s: SimState, t: int) -> None:
    idx = np.flatnonzero(s.active)
    if len(idx) == 0:
        return
    g = s.guardian(t)
    n = s.neglect(g, t)
    rates = s.rates(idx, t, g, n)
    window = s.season_cum[:, min(t + 91, s.season_cum.shape[1] - 1)] - s.season_cum[:, t + 1]
    p_any, p_det = HZ.risk_over(rates, window)
    h = s.hh[idx]
    s.rec.truth_risk.append(
        pd.DataFrame(
            {
                "child_id": s.pop.c_id[idx],
                "date": pd.Timestamp(s.start) + pd.Timedelta(days=t),
                "true_risk_90d": p_any,
                "detected_risk_90d": p_det,
                "guardian_deficit": g[h],
                "neglect": n[h],
                "distress": s.M[idx],
                "disengagement": s.E[idx],
                "contact_deficit": s.contact_deficit(t)[h],
                "frailty": s.pop.c_frailty[idx],
                "caregiver_health": s.carer_health[h],
                "parents_home": s.home[h],
                **{f"rate_{k}": rates[i] for i, k in enumerate(HZ.OUTCOME_TYPES)},
            }
        )
    )


def finish(s: SimState) -> None:
    # unfounded reports (§6.2): a few incidents with no true outcome behind them
    n_unfounded = round(P.P_UNSUBSTANTIATED_REPORT * max(1, s.n_incident))
    for _ in range(n_unfounded):
        c = int(s.rng_misc.integers(0, s.N))
        if s.c_entry[c] >= NEVER:
            continue
        lo = max(int(s.c_entry[c]), 0)
        hi = int(min(s.exit_day[c], s.n_days - 1))
        if hi <= lo:
            continue
        t = int(s.rng_misc.integers(lo, hi))
        kind = str(s.rng_misc.choice(["neglect", "abuse", "unsupervised"]))
        report = t + int(s.lag(3, rng=s.rng_misc))
        record_incident(s, c, kind, t, report, "public", None, rng=s.rng_misc, verified="unsubstantiated")
    for o in range(len(s.o_child)):
        s.rec.outcomes.append(
            {
                "outcome_id": f"O{o + 1:07d}",
                "child": s.o_child[o],
                "outcome_type": s.o_type[o],
                "event": s.o_day[o],
                "severity": s.o_severity[o],
                "detected_day": s.o_detected[o],
                "incident_id": s.o_incident[o],
            }
        )


def daily_outcomes(s: SimState, t: int, g: np.ndarray, n: np.ndarray) -> None:
    """Distress drifts towards its target; today's outcomes are drawn; reports due today are detected."""
    idx = np.flatnonzero(s.active)
    h = s.hh[idx]
    k = s.contact_deficit(t)
    support = s.support(t)
    target = s.m_base[idx] + 0.5 * k[h] + 0.25 * g[h] - 0.3 * support[h]
    s.M[idx] += (target - s.M[idx]) / 45.0
    # outcomes: one uniform per child, the type by where it falls in the cumulative hazard
    rates = s.rates(idx, t, g, n) * (s.season[:, t][:, None] / 365.0)
    cum = rates.cumsum(axis=0)
    u = s.rng_out.random(s.N)[idx]  # one per child, active or not, so the draws stay aligned across arms
    hit = np.flatnonzero(u < cum[-1])
    for j in hit:
        kind = HZ.OUTCOME_TYPES[int(np.searchsorted(cum[:, j], u[j], side="right"))]
        outcome(s, int(idx[j]), t, kind)
    for o, reporter in s.due.pop(t, []):
        detect(s, o, t, reporter)
