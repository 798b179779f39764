"""Latent state → outcome hazards. Pure functions shared by the day loop (to draw outcomes) and the truth
writer (to state each child's true 90-day risk), so the two can never disagree.

Latent components (never written to a feed):
- `guardian` G: caregiving deficit (type, caregiver age/health/death, parents home, case support);
- `neglect` N: household neglect (propensity + G);
- `distress` M: the child's emotional state (contact lapses, separation after 春节, shocks);
- `disengage` E: school disengagement (rises before dropout);
- `frailty`: an unobserved child-level random effect.
"""

from __future__ import annotations

import numpy as np

from simulation import params as P

OUTCOME_TYPES = ("injury", "drowning", "unsupervised", "neglect", "abuse", "dropout", "missing", "self_harm")
# DOMAIN §6.2 [D]: average chance an outcome is detected (used only for the truth's detected_risk_90d)
MEAN_DETECTION = {
    "injury": 0.22,
    "drowning": 0.55,
    "unsupervised": 0.35,
    "neglect": 0.3,
    "abuse": 0.2,
    "dropout": 0.9,
    "missing": 0.95,
    "self_harm": 0.45,
}


def child_rates(
    *,
    age: np.ndarray,
    male: np.ndarray,
    guardian: np.ndarray,
    neglect: np.ndarray,
    distress: np.ndarray,
    disengage: np.ndarray,
    frailty: np.ndarray,
    open_water: np.ndarray,
    abuse: np.ndarray,
    enrolled: np.ndarray,
    lbc: np.ndarray,
    mother_away: np.ndarray,
    contact: np.ndarray,
) -> np.ndarray:
    """Per-child annual rates (type × child) before seasonal multipliers. Coefficients [D], bases §3.5."""
    b = P.BASE_RATE
    e_pos = np.maximum(disengage, 0.0)
    m_pos = np.maximum(distress, 0.0)
    out = np.empty((len(OUTCOME_TYPES), len(age)))
    out[0] = (
        b["injury"]
        * np.where(male, P.BOY_MULT["injury"], 1.0)
        * np.exp(0.7 * neglect + 0.3 * guardian + 0.35 * frailty + 0.3 * e_pos + 0.15 * m_pos)
    )
    young = (age >= 1) & (age < 15)
    out[1] = (
        b["drowning"]
        * np.where(male, P.BOY_MULT["drowning"], 1.0)
        * np.where(open_water, P.OPEN_WATER_MULT, 0.4)
        * np.where(young, 1.0, 0.5)
        * np.exp(0.5 * guardian + 0.3 * frailty)
    )
    out[2] = b["unsupervised"] * np.exp(1.0 * guardian + 0.4 * contact) * (age >= 3)
    out[3] = b["neglect"] * np.exp(1.3 * neglect + 0.2 * frailty)
    out[4] = b["abuse"] * np.exp(0.3 * neglect) + 0.25 * abuse * np.exp(0.3 * m_pos)
    out[5] = (
        b["dropout"]
        * np.where(lbc, P.LBC_DROPOUT, 1.0)
        * np.where(mother_away, P.MOTHER_AWAY_DROPOUT, 1.0)
        * np.exp(1.8 * e_pos)
        * (enrolled & (age >= 10))
    )
    out[6] = b["missing"] * np.exp(0.8 * m_pos + 0.5 * guardian) * (age >= 8)
    out[7] = b["self_harm"] * np.exp(1.2 * m_pos) * (age >= 10)
    return out


def seasonal_multipliers(month: np.ndarray, holiday: np.ndarray) -> np.ndarray:
    """(type × day) multipliers: I2b monthly drowning curve; school-holiday multipliers (§3.7 S3)."""
    out = np.ones((len(OUTCOME_TYPES), len(month)))
    out[1] = np.asarray(P.DROWNING_MONTH)[month - 1]
    for name, mult in P.HOLIDAY_MULT.items():
        out[OUTCOME_TYPES.index(name)] *= np.where(holiday, mult, 1.0)
    return out


def risk_over(rates: np.ndarray, season_sum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(any outcome) and P(any detected outcome) over a window whose seasonal multipliers sum to
    `season_sum` (per type, in days), holding the latent state fixed."""
    cum = rates * (season_sum[:, None] / 365.0)
    p_any = 1.0 - np.exp(-cum.sum(axis=0))
    det = np.array([MEAN_DETECTION[t] for t in OUTCOME_TYPES])[:, None]
    p_det = 1.0 - np.exp(-(cum * det).sum(axis=0))
    return p_any, p_det


def guardian_deficit(
    guard_type: np.ndarray,
    carer_health: np.ndarray,
    carer_age: np.ndarray,
    carer_gone: np.ndarray,
    parents_home: np.ndarray,
    support: np.ndarray,
    acute: np.ndarray | None = None,
) -> np.ndarray:
    """G per household [D]: type baseline + caregiver health and age (+ an acute incapacity episode of the
    primary caregiver); parents home and case support help."""
    base = np.array([0.15, 0.35, 0.5, 0.05, 0.9, 1.4, 1.7])[guard_type]  # GUARDIANSHIP_CODES order
    health = np.array([0.0, 0.25, 1.0, 0.7, 2.0])[carer_health]  # good, chronic, severe, disabled, deceased
    g = base + health + 0.04 * np.maximum(carer_age - 70.0, 0.0)
    if acute is not None:
        g = g + P.ACUTE_INCAPACITY_G * acute
    g = np.where(carer_gone, np.maximum(g, 2.0), g)
    g = np.where(parents_home, 0.3 * g, g)
    return g * (1.0 - 0.4 * support)  # support: 0 none, 1 the reference strength (simulation.effects)
