"""A small synthetic §3 feature matrix with a known relation between indicators and the label.

Children live in townships; each has fixed audit attributes (sex, ethnicity, disability, age group) that do
NOT enter the risk, and indicators drawn per as-of date. The hidden `true_risk` is a logistic function
of a few spec indicators (more unexcused absence, poor guardianship assessment, unsupervised care, lost
contact, prior incidents → more risk); `true_label` is drawn from it and `label` is the detected part of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.spec import load_spec

# The signal: indicator -> log-odds per unit. All follow the spec's declared direction.
SIGNAL = {
    "unexcused_absence_rate_30d": 4.0,
    "registry_guardianship_assessment": 0.7,
    "guardianship_unsupervised": 1.2,
    "parent_lost_contact_6m": 0.9,
    "prior_incidents_365d": 0.6,
    "caregiver_capacity": 0.4,
}
RULES = ("living_alone", "lost_contact_both_parents")
INTERCEPT = -4.6


def _indicator_values(name: str, unit: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if unit == "0/1":
        return rng.binomial(1, 0.2, n).astype("float64")
    if unit.startswith("0") and "2" in unit:  # 0/1/2 codes
        return rng.choice([0.0, 1.0, 2.0], size=n, p=[0.6, 0.3, 0.1])
    if unit == "比例":
        return rng.beta(1, 12, n)
    if unit in ("天", "月"):
        return rng.gamma(2.0, 20.0, n).round()
    return rng.poisson(1.5, n).astype("float64")


def make_matrix(
    n_children: int = 600,
    months: int = 20,
    townships: int = 3,
    start: str = "2022-01-01",
    horizon_days: int = 90,
    seed: int = 0,
    missing_share: float = 0.05,
    disability_effect: float = 0.0,
) -> pd.DataFrame:
    """One row per (child, monthly as-of) with every §3 column. `disability_effect` adds log-odds to children
    with a disability through no indicator, so the model cannot see it (a known, built-in disparity)."""
    rng = np.random.default_rng(seed)
    spec = load_spec()
    dates = pd.date_range(start, periods=months, freq="MS")
    children = pd.DataFrame(
        {
            "child_key": [f"c_{i:016x}" for i in range(n_children)],
            "township_code": [
                f"36032110{t % townships:01d}000" for t in rng.integers(0, townships, n_children)
            ],
            "sex": rng.choice(["M", "F"], n_children),
            "ethnicity_code": rng.choice(["01", "03", "05"], n_children, p=[0.8, 0.1, 0.1]),
            "has_disability": rng.random(n_children) < 0.05,
            "age_group": rng.choice(["0-5", "6-11", "12-15"], n_children),
        }
    )
    children["village_code"] = children["township_code"].str[:9] + "201"
    children["minority"] = children["ethnicity_code"] != "01"
    rows = children.loc[children.index.repeat(len(dates))].reset_index(drop=True)
    rows.insert(1, "as_of", np.tile(dates.to_numpy(), n_children))
    n = len(rows)
    logit = np.full(n, INTERCEPT)
    for ind in spec.indicators:
        values = _indicator_values(ind.name, ind.unit, n, rng)
        if ind.name in SIGNAL:
            logit += SIGNAL[ind.name] * values
        values[rng.random(n) < missing_share] = np.nan if ind.name not in SIGNAL else values[0]
        rows[ind.name] = values
    for rule in RULES:
        rows[f"flag_{rule}"] = rng.random(n) < 0.01
        logit += 1.0 * rows[f"flag_{rule}"].to_numpy()
    rows["rule_flags"] = [
        ";".join(r for r, on in zip(RULES, flags, strict=True) if on)
        for flags in rows[[f"flag_{r}" for r in RULES]].to_numpy()
    ]
    logit += disability_effect * rows["has_disability"].to_numpy(dtype="float64")
    true_risk = 1.0 / (1.0 + np.exp(-logit))
    rows["true_risk"] = true_risk
    rows["true_label"] = (rng.random(n) < true_risk).astype("int64")
    rows["label"] = (rows["true_label"].to_numpy() & (rng.random(n) < 0.7)).astype("int64")
    rows["label_injury"] = rows["label"]
    last = dates[-1]
    rows["label_observable"] = rows["as_of"] + pd.Timedelta(days=horizon_days) <= last
    return rows


def spec_inputs() -> list[str]:
    return load_spec().model_inputs()
