"""What happened to the children under one visit policy, measured from the simulation's hidden state after a
run (closed-loop evaluation). Everything is counted over the compared period: from the end of the burn-in to
the last simulated day.

A *serious* outcome is any true outcome the training label counts: every type except injuries of severity
`minor` (features/labels.py), whether or not anybody noticed it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.engine.state import NEVER, SimState

MANDATORY_OUTCOMES = ("unsupervised", "missing", "abuse")  # the child alone, missing, harmed at home
GROUPS = ("sex", "ethnicity", "disability", "township")


@dataclass
class ArmResult:
    """One arm (policy × effect preset × seed): the headline measures, and series for plots."""

    policy: str
    effects: str
    seed: int
    measures: dict[str, float]
    visits_per_child_year: dict[str, dict[str, float]]  # group → value → visits per child-year
    monthly_serious: list[int] = field(default_factory=list)  # true serious outcomes per month (compared)
    detection_days: list[float] = field(default_factory=list)  # per mandatory situation; inf = never found
    seconds: float = 0.0  # wall time of the arm
    cpu_seconds: float = 0.0  # CPU time of the arm's process (all its threads)


def child_years(s: SimState, begin: int, end: int) -> tuple[float, np.ndarray]:
    """Child-years registered in [begin, end), in total and per child (days)."""
    entry = np.where(s.c_entry >= NEVER, end, np.maximum(s.c_entry, begin))
    leave = np.minimum(s.exit_day, end)
    days = np.maximum(leave - entry, 0)
    return float(days.sum() / 365.25), days


def _visits(s: SimState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(child, day, home, by the village's 儿童主任) of every visit made."""
    if not s.rec.visits:
        z = np.zeros(0, np.int64)
        return z, z, z.astype(bool), z.astype(bool)
    child = np.concatenate([v["child"] for v in s.rec.visits]).astype(np.int64)
    day = np.concatenate([v["day"] for v in s.rec.visits]).astype(np.int64)
    home = np.concatenate([v["mode"] == "home" for v in s.rec.visits])
    director = np.concatenate(
        [np.full(len(v["child"]), v["worker_role"] == "children_director") for v in s.rec.visits]
    )
    return child, day, home, director


def detection_days(s: SimState, begin: int, home_child: np.ndarray, home_day: np.ndarray) -> list[float]:
    """Days from a mandatory-report situation arising to its detection (inf when never detected):
    a child left alone, missing or harmed at home (an outcome, detected when reported), a caregiver
    incapacitated or dead, or contact with the parents lost for six months (found at the first home visit
    to the household, or a report about one of its children)."""
    out: list[float] = []
    for kind, day, found in zip(s.o_type, s.o_day, s.o_detected, strict=True):
        if kind in MANDATORY_OUTCOMES and day >= begin:
            out.append(float(found - day) if found >= 0 else np.inf)
    if not s.situations:
        return out
    hh = s.hh[home_child]
    order = np.lexsort((home_day, hh))
    hh, days = hh[order], home_day[order]
    reported = np.array(
        [(s.hh[c], d) for c, d in zip(s.o_child, s.o_detected, strict=True) if d >= 0], dtype=np.int64
    ).reshape(-1, 2)
    for _kind, h, day in s.situations:
        if day < begin or day >= s.n_days:
            continue
        lo, hi = np.searchsorted(hh, h, "left"), np.searchsorted(hh, h, "right")
        seen = days[lo:hi]
        seen = seen[seen >= day]
        first = float(seen[0]) if len(seen) else np.inf
        rep = reported[(reported[:, 0] == h) & (reported[:, 1] >= day), 1]
        if len(rep):
            first = min(first, float(rep.min()))
        out.append(first - day)
    return out


def measure(s: SimState, policy: str, effects: str, seed: int, begin: int) -> ArmResult:
    end = s.n_days
    years, days_in = child_years(s, begin, end)
    o_type = np.array(s.o_type, dtype=object)
    o_sev = np.array(s.o_severity, dtype=object)
    o_day = np.array(s.o_day, dtype=np.int64)
    o_det = np.array(s.o_detected, dtype=np.int64)
    serious = ~((o_type == "injury") & (o_sev == "minor")) & (o_day >= begin) & (o_day < end)
    detected = serious & (o_det >= 0)
    child, day, home, director = _visits(s)
    in_window = (day >= begin) & (day < end)
    delays = detection_days(s, begin, child[home], day[home])
    finite = np.array([d for d in delays if np.isfinite(d)])
    median = float(np.median(delays)) if delays else float("nan")  # inf when more than half never found

    # children registered for the whole first compared year (or the whole window, if shorter)
    year_end = min(begin + 365, end)
    whole = (s.c_entry <= begin) & (s.exit_day >= year_end)
    dv = director & (day >= begin) & (day < year_end)
    visited = np.zeros(s.N, bool)
    visited[child[dv]] = True
    cases = sum(1 for r in s.rec.cases if r["closed"] is None and begin <= r["opened"] < end)

    counts = np.bincount(child[director & in_window], minlength=s.N)
    labels = {
        "sex": np.where(s.pop.c_male, "M", "F"),
        "ethnicity": np.asarray(s.pop.h_ethnicity[s.hh], dtype=str),
        "disability": np.where(s.pop.c_disability >= 0, "yes", "no"),
        "township": np.asarray(s.county.village_township[s.c_village], dtype=str),
    }
    per_group: dict[str, dict[str, float]] = {}
    for g, lab in labels.items():
        per_group[g] = {}
        for value in sorted(set(lab.tolist())):
            m = lab == value
            cy = days_in[m].sum() / 365.25
            if cy > 0:
                per_group[g][value] = float(counts[m].sum() / cy)

    month = ((o_day[serious] - begin) / 30.4375).astype(int)
    n_months = int(np.ceil((end - begin) / 30.4375))
    measures = {
        "child_years": years,
        "serious_true": float(serious.sum()),
        "serious_per_1000": float(1000 * serious.sum() / years) if years else float("nan"),
        "undetected_per_1000": float(1000 * (serious & ~detected).sum() / years) if years else float("nan"),
        "share_detected": float(detected.sum() / serious.sum()) if serious.sum() else float("nan"),
        "mandatory_situations": float(len(delays)),
        "median_days_to_detection": median,
        "share_situations_found": float(len(finite) / len(delays)) if delays else float("nan"),
        "cases_opened": float(cases),
        "never_visited_share": float((whole & ~visited).sum() / max(whole.sum(), 1)),
        "visits_per_child_year": float(counts.sum() / years) if years else float("nan"),
    }
    return ArmResult(
        policy=policy,
        effects=effects,
        seed=seed,
        measures=measures,
        visits_per_child_year=per_group,
        monthly_serious=np.bincount(month, minlength=n_months).tolist(),
        detection_days=[float(d) for d in delays],
    )
