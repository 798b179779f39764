"""What a visit and a case *do* to a child's hidden risk (not only what they find): a named, documented
parameter set, so every closed-loop comparison can be repeated across a range of effect sizes instead of
resting on one assumption (DOMAIN §6b). Evidence where it exists:

- Home-visiting programmes on maltreatment: small effects, d = 0.135 (0.084–0.187); larger (d 0.24–0.31) with
  components aimed at caregivers' expectations and responsiveness (Gubbels et al. 2021, meta-analysis, A).
- School + community drowning prevention in rural Guangdong: non-fatal drowning RR 0.81 (0.66–1.00) over 18
  months (Meng et al. 2023, cluster RCT, A−); an uncontrolled before–after study saw −59% (upper bound, C).
- Unsupervised swimming in natural water OR 3.4 (case–control, B): the hazard a visit can address.

Everything else (durations, how often a poor rating leads to support, how much a case lowers each latent
state) is a modelling assumption [D]. DOMAIN §6b's brackets: none (visits only detect); modest (a found
hazard or neglect lowered ~10–20% for 1–3 months; pre-holiday safety visits lower drowning-type hazard
~20%); strong (~40%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EffectPreset = Literal["none", "current", "modest", "strong"]


@dataclass(frozen=True)
class VisitEffects:
    """Each effect: which latent quantity or hazard, by how much (a relative reduction), for how long (days).

    - `hazard_addressed`: a home visit that records open water nearby lowers the child's drowning-type hazard
      (advice to the caregiver, supervision agreed); one that notes neglect or poor hygiene lowers the neglect
      hazard — by this fraction for `hazard_days` [D; Meng 2023 for drowning].
    - `holiday_advice`: a pre-break safety visit (假期安全排查) in person lowers drowning, injury and
      unsupervised-child hazards by this fraction for `advice_days` (about the break)
      [Meng 2023 RR 0.81 → ~0.2].
    - `escalation_p`: a home visit that rates caregiving poor, or finds the child without an adult in charge,
      leads with this probability to support arranged by the township (guardianship guidance, a relative
      entrusted), which acts like a case's support for `escalation_days` [D].
    - `case_scale`: how strongly support (a case, 评估帮扶, opened after detection, or an escalation)
      acts, as a multiple of the simulator's reference: caregiving deficit ×(1 − 0.4·scale), household
      neglect −0.4·scale, distress target −0.3·scale, school disengagement target −0.5·scale, for the
      case's 30–150 days [D].
    """

    name: str
    hazard_addressed: float = 0.0
    hazard_days: int = 60
    holiday_advice: float = 0.0
    advice_days: int = 60
    escalation_p: float = 0.0
    escalation_days: int = 90
    case_scale: float = 1.0


PRESETS: dict[str, VisitEffects] = {
    # visits and cases only detect: nothing they do lowers anyone's risk
    "none": VisitEffects("none", case_scale=0.0),
    # the simulator's behaviour before effects were named: visits only detect, a case's support helps
    "current": VisitEffects("current"),
    # DOMAIN §6b modest bracket
    "modest": VisitEffects(
        "modest", hazard_addressed=0.15, hazard_days=60, holiday_advice=0.2, escalation_p=0.2, case_scale=1.0
    ),
    # DOMAIN §6b strong bracket
    "strong": VisitEffects(
        "strong", hazard_addressed=0.4, hazard_days=90, holiday_advice=0.4, escalation_p=0.5, case_scale=1.5
    ),
}


def preset(name: str) -> VisitEffects:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown visit-effect preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None
