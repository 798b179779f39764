"""Mandatory-report situations (强制报告情形) computed as rule flags beside the model. A flagged child goes
to the top of every list with the rule named, whatever the score. Each rule reads only what was recorded
before as_of, through the same point-in-time views as the indicators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

import ibis
import ibis.expr.types as ir

from features import asof
from features.indicators import KEY, Views

RECENT_DAYS = 30  # "recent" for injuries, violence and missing reports
NEGLECT_VISIT_DAYS = 90  # a visit this recent that found neglect and rated the carer 差
LOST_CONTACT_DAYS = 183  # 6 months, as in the 事实无人抚养 criterion

ALONE_TYPES = ("self_or_siblings", "unsupervised")
VIOLENCE_INCIDENTS = ("abuse", "sexual_abuse")
VIOLENCE_2016 = ("suspected_domestic_violence", "suspected_accident_or_crime")
VIOLENCE_2020 = (
    "genital_injury",
    "under14_sexual_abuse_pregnancy_abortion",
    "over14_assault_pregnancy",
    "multiple_injury_malnutrition_abuse",
)


@dataclass(frozen=True)
class Rule:
    name: str
    label_zh: str
    legal_basis: str
    description: str
    compute: Callable[[Views], ir.Table]  # -> (child_key, as_of, fired)

    @property
    def column(self) -> str:
        return f"flag_{self.name}"


def _recent(v: Views, source: str, days: int) -> ir.Table:
    t = v.wh.table(source)
    return asof.visible_events(t, v.dates, asof.event_time(source), days)


def _fired(t: ir.Table, cond: ir.BooleanValue) -> ir.Table:
    return t.group_by(list(KEY)).aggregate(fired=cond.fill_null(False).cast("int64").max() == 1)


def living_alone(v: Views) -> ir.Table:
    """Registry says the child looks after themself (or siblings do) or nobody does; or the household
    records show no living member living with the child."""
    s = v.snapshot
    by_registry = _fired(s, s.guardianship_type.isin(ALONE_TYPES))
    hh = v.household
    by_household = hh.group_by(list(KEY)).aggregate(
        fired=(hh.alive & hh.lives_with_child).fill_null(False).cast("int64").max() == 0
    )
    return _union(by_registry, by_household)


def missing(v: Views) -> ir.Table:
    """A missing-child report (incident type, 2016 or 2020 trigger) with event time in the last 30 days."""
    inc = _recent(v, "incidents", RECENT_DAYS)
    cond = (inc.incident_type == "missing") | (inc.trigger_2020 == "trafficking_missing")
    return _fired(inc, cond)


def guardian_incapable(v: Views) -> ir.Table:
    """The primary caregiver is recorded 无监护能力; or no living primary caregiver is recorded while the
    household is known; or a visit in the last 90 days found neglect and rated the carer 差; or a recent
    report under the 2016 trigger 监护人丧失监护能力或不履行监护责任."""
    cg = v.caregiver
    incapable = _fired(cg, cg.guardian_capacity == "incapable")
    hh = v.household
    none_left = hh.group_by(list(KEY)).aggregate(
        fired=(hh.is_primary_caregiver & hh.alive).fill_null(False).cast("int64").max() == 0
    )
    visits = _recent(v, "visit_logs", NEGLECT_VISIT_DAYS)
    neglect = _fired(visits, visits.signs_of_neglect & (visits.carer_capacity_rating == "poor"))
    inc = _recent(v, "incidents", NEGLECT_VISIT_DAYS)
    reported = _fired(inc, inc.trigger_2016 == "guardian_incapable_or_not_performing")
    return _union(incapable, none_left, neglect, reported)


def violence_or_injury(v: Views) -> ir.Table:
    """In the last 30 days: a visit saw signs of injury, or a report of suspected violence, abuse or injury by
    another person (incident types, 2016 and 2020 triggers)."""
    visits = _recent(v, "visit_logs", RECENT_DAYS)
    seen = _fired(visits, visits.signs_of_injury)
    inc = _recent(v, "incidents", RECENT_DAYS)
    reported = _fired(
        inc,
        inc.incident_type.isin(VIOLENCE_INCIDENTS)
        | inc.trigger_2016.isin(VIOLENCE_2016)
        | inc.trigger_2020.isin(VIOLENCE_2020),
    )
    return _union(seen, reported)


def lost_contact_both(v: Views) -> ir.Table:
    """Two different parents each out of contact for at least 6 months (latest episode versions), not back."""
    ep = v.episodes
    lost = ep.filter(asof.lost_contact(ep, LOST_CONTACT_DAYS))
    counted = lost.group_by(list(KEY)).aggregate(n=lost.person_key.nunique())
    return counted.select(*KEY, fired=counted.n >= 2)


def _union(*parts: ir.Table) -> ir.Table:
    u = reduce(lambda a, b: a.union(b), [p.select(*KEY, fired=p.fired.cast("boolean")) for p in parts])
    return u.group_by(list(KEY)).aggregate(fired=u.fired.cast("int64").max() == 1)


RULES: tuple[Rule, ...] = (
    Rule(
        "living_alone_or_unsupervised",
        "未满16周岁脱离监护单独居住生活或无人监护",
        "国发〔2016〕13号 强制报告情形（一）; 未成年人保护法 第11条、第21条",
        living_alone.__doc__ or "",
        living_alone,
    ),
    Rule(
        "missing",
        "失踪",
        "国发〔2016〕13号 强制报告情形（一）; 高检发〔2020〕9号 第4条（七）",
        missing.__doc__ or "",
        missing,
    ),
    Rule(
        "guardian_incapable_or_not_performing",
        "监护人丧失监护能力或不履行监护责任",
        "国发〔2016〕13号 强制报告情形（二）; 未成年人保护法 第11条",
        guardian_incapable.__doc__ or "",
        guardian_incapable,
    ),
    Rule(
        "suspected_violence_or_injury",
        "疑似遭受家庭暴力、意外伤害或不法侵害",
        "国发〔2016〕13号 强制报告情形（三）（四）; 高检发〔2020〕9号 第4条; 未成年人保护法 第11条",
        violence_or_injury.__doc__ or "",
        violence_or_injury,
    ),
    Rule(
        "lost_contact_both_parents",
        "与父母双方失联满6个月",
        "国办发〔2019〕62号 事实无人抚养儿童认定（父母失联满6个月）; 未成年人保护法 第11条",
        lost_contact_both.__doc__ or "",
        lost_contact_both,
    ),
)


def rule(name: str) -> Rule:
    for r in RULES:
        if r.name == name:
            return r
    raise KeyError(name)


def flag_table(v: Views, base: ir.Table) -> ir.Table:
    """`base` (keyed child_key, as_of) with one bool `flag_<rule>` per rule and `rule_flags` (';'-joined)."""
    out = base
    for r in RULES:
        fired = v.wh.materialize(r.compute(v).rename(**{r.column: "fired"}), r.name)
        out = out.left_join(fired, list(KEY)).select(*out.columns, r.column)
        out = out.mutate(**{r.column: out[r.column].fill_null(False)})
    names = ibis.array([ibis.ifelse(out[r.column], r.name, ibis.null("string")) for r in RULES])
    return out.mutate(rule_flags=names.filter(lambda x: x.notnull()).join(";"))
