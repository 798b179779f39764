"""Every number the simulator uses, with its DOMAIN.md row (`§3.1 P8` …) or marked [D] for a modelling
assumption. docs/simulator.md lists the same table for readers."""

from __future__ import annotations

# --- §3.1 population, structure, churn -------------------------------------------------------------------
P_MALE = 0.545  # DOMAIN §3.1 P5
AGE_BANDS = ((0, 5, 0.217), (6, 13, 0.674), (14, 15, 0.109))  # §3.1 P6 (narrow, <16), (lo, hi, share)
P_DISABILITY = 0.012 * 2.5  # §3.1 P9 (1.2%) ×2.5: registry also holds 困境 children with disability [D]
P_NO_HUKOU = 0.012  # §3.1 P10
P_DIBAO = 0.08  # §3.1 P11 (4.2% Qinghai; 5–15% in poor counties [D])
P_BOARDING_PRIMARY = 0.10  # §3.1 P12 [D] ~10% primary
P_BOARDING_JUNIOR = 0.60  # §3.1 P12 [D] 50–80% junior
CASELOAD_CAP = (25, 40)  # §3.1 P13 [D] visits per 儿童主任 per month (uniform range)
SUPERVISOR_CAP = 20  # [D] escalation/follow-up visits a township supervisor can make per month

# Registry composition [D] (§0, §1.2): narrow LBC dominate; some broad-only and 困境 (not left-behind)
P_NARROW = 0.86
P_BROAD_ONLY = 0.07  # one parent away, the other at home and capable
P_KUNJING_NOT_LBC = 0.07

# §3.1 P8 guardianship among narrow LBC (2016): grandparents 89.3, relatives 3.3, one parent incapable 3.4,
# unsupervised 4.0. Splits inside a P8 category are [D]. After the 2016–17 campaign 无人监护 is officially ≈ 0
# (P8b 2018: grandparents 96, relatives 4); the simulated years are later, so [D] we keep a residual 1.5%
# de facto unsupervised (between P8 and P8b) and give the remaining 2.5 points to grandparents.
GUARDIANSHIP_NARROW = {
    "grandparents": 0.918,
    "other_relatives": 0.030,  # P8 relatives 3.3 → 3.0 relatives + 0.3 non-relative [D]
    "non_relative_entrusted": 0.003,
    "one_parent_home_incapable": 0.034,
    "unsupervised": 0.010,  # residual 无人监护 1.5 → 1.0 unsupervised + 0.5 self/siblings [D]
    "self_or_siblings": 0.005,
}

# Exit/entry hazards per year [D] from §3.1 P2 (net −11.5%/yr including aging out at 16)
EXIT_PARENTS_RETURNED = 0.07
EXIT_MIGRATED_WITH_PARENTS = 0.03
EXIT_MOVED_AWAY = 0.01
ENTRY_RATE = 0.05  # new registrations per year, relative to the starting registry
AGE_OUT = 16  # §0 narrow definition: <16

# Ethnicity (GB 3304) [D]: a central/west county (§3.1 P3) with minority groups for fairness audits
ETHNICITY = {"01": 0.84, "06": 0.06, "15": 0.05, "09": 0.03, "07": 0.02}  # 汉, 苗, 土家, 布依, 彝

# 困境 types among non-LBC 困境 children [D]
KUNJING_NOT_LBC = {
    "poverty_dibao": 0.45,
    "severe_disability": 0.25,
    "orphan": 0.08,
    "de_facto_unattended": 0.12,
    "parent_incarcerated": 0.10,
}

# --- §3.2 guardians and parents --------------------------------------------------------------------------
GRANDPARENT_AGE = (59.0, 7.0, 40, 85)  # §3.2 G1 Normal(59, 7) truncated to [40, 85]
RELATIVE_AGE = (42.0, 8.0, 22, 75)  # [D]
CAREGIVER_EDUCATION = {
    "none": 0.20,
    "primary": 0.50,
    "junior": 0.22,
    "senior": 0.07,
    "college_plus": 0.01,
}  # G2
CAREGIVER_HEALTH = {"good": 0.58, "chronic_illness": 0.35, "severe_illness": 0.04, "disabled": 0.03}  # G3 [D]
# G3 [D]: monthly hazard of worsening health rises with age: base × exp(AGE_SLOPE × (age − 60))
HEALTH_WORSEN_MONTHLY = 0.006
HEALTH_AGE_SLOPE = 0.06
DEATH_MONTHLY_SEVERE = 0.015  # [D] monthly death hazard once severely ill
# [D] An incapable primary caregiver (无监护能力) is a rare, transient state: when a caregiver's health
# worsens into severe illness, with this chance they cannot look after the child for a while (bedridden,
# in hospital) until they recover, someone takes over or they die. Otherwise severe illness or disability
# is recorded as limited capacity (the child is still looked after).
P_ACUTE_INCAPACITY = 0.5
ACUTE_INCAPACITY_DAYS = (30, 120)
ACUTE_INCAPACITY_G = 0.6  # [D] extra caregiving deficit while it lasts
REPLACE_CAREGIVER_DAYS = (20, 120)  # [D] days until a relative or a returning parent takes over
P_SECOND_GRANDPARENT = 0.6  # [D]
P_CROSS_PROVINCE = 0.433  # G4 (LBC parents, 11-province survey): other province 43.3%
P_ABROAD = 0.028  # G4
PARENT_AGE = (36.0, 6.0, 20, 60)  # G5 (migrant mean 39.0; parents of <16 younger) [D]
YEARS_AWAY = ((0.0, 1.0, 0.247), (1.0, 2.0, 0.247), (2.0, 5.0, 0.175), (5.0, 12.0, 0.331))  # G6
P_DIVORCED = 0.08  # G8 [D]
SECTOR = {
    "manufacturing": 0.35,
    "construction": 0.30,
    "services": 0.25,
    "transport": 0.05,
    "other": 0.05,
}  # [D]
WORK_PROVINCES = ("44", "33", "32", "35", "31", "11")  # destinations of cross-province migrants [D]

# --- §3.3 contact and returns ----------------------------------------------------------------------------
# C1: calls per week mixture: weekly+ 40%, monthly 20%, quarterly 25%, ≤2/yr 10%, none 5% [D split]
CALL_RATE_MIX = ((1.5, 0.40), (0.25, 0.20), (0.08, 0.25), (0.03, 0.10), (0.0, 0.05))
CALL_DURATION_MEDIAN_MIN = 3.0  # C2 lognormal, median ~3 min
LAPSE_ONSET_YEARLY = 0.35  # [D] contact lapses (no calls), higher when divorced
LAPSE_MEAN_DAYS = 120  # [D]; a lapse ≥ 180 days is recorded as lost contact (§1.2 事实无人抚养 ≥6 months)
LOST_CONTACT_DAYS = 180
P_SF_NEVER = 0.151  # C3 0×/yr in person 15.1%
P_SF_RETURN = 0.80  # C3/C6 [D] among the others, chance of a Spring Festival return in a given year
SF_WINDOW = (-15, 25)  # C6 春运 return window around 春节
SF_STAY_DAYS = (14, 28)  # C6 [D] home stay 2–4 weeks
P_APP_LOG = 0.45  # [D] households whose calls are logged by an app; the rest are reported at visits

# --- §3.4 mental health ----------------------------------------------------------------------------------
SCREEN_INSTRUMENT = "PHQ9"  # §3.4: one scale per simulation (M2 PHQ-9 positive 32.9% among 13–18)
SCREEN_CUTOFF = 10.0  # PHQ-9 ≥ 10
BOTH_AWAY_DISTRESS = 0.35  # M5 both-away raises emotional symptoms; one-away ≈ not left behind [D size]
SEPARATION_SHOCK = 0.9  # §3.7 S3 post-春节 separation dip [D size]
P_BULLIED_WEEKLY = 0.012  # M7 recurrent victimisation 31.6% → weekly episode hazard [D]

# --- §3.5 outcome hazards per child-year (before the latent multipliers) [D calibrations] ---------------
# Injury: I1 ~0.25/yr for LBC, ×1.3 boys; drowning: I2 rural 9e-5 fatal/yr — we simulate drowning-type
# events (near-drownings and rescues as well) at a much higher rate so the label has them [D].
BASE_RATE = {
    "injury": 0.06,  # I1, with multipliers averaging ≈0.2/yr
    "drowning": 0.010,  # I2/I2c: drowning-type events, ×4 near open water, ×2.3 boys
    "unsupervised": 0.015,
    "neglect": 0.025,  # I3 latent neglect is common; *episodes* serious enough to matter
    "abuse": 0.003,  # I4/I5
    "dropout": 0.0015,  # E1 0.1–0.5% compulsory, rises with disengagement; E2 LBC HR 1.3–1.5
    "missing": 0.0008,
    "self_harm": 0.004,  # M3/M4 [D] events needing attention, age ≥ 10
}
BOY_MULT = {"injury": 1.3, "drowning": 2.3}  # I1, I2
# I2b monthly multipliers for drowning (mean 1.0)
DROWNING_MONTH = (0.50, 0.45, 0.60, 0.85, 1.10, 1.35, 1.80, 2.15, 1.20, 0.90, 0.60, 0.50)
OPEN_WATER_SHARE = 0.35  # I2c [D] households within ~100 m of a pond, canal or river
OPEN_WATER_MULT = 4.0  # I2c [D]
HOLIDAY_MULT = {"injury": 1.25, "drowning": 1.5, "unsupervised": 1.4}  # §3.7 S3 [D]

# Detection [D] (§6.2: detection ≠ occurrence): (probability by other channels, mean delay days)
DETECT_OTHER = {
    "unsupervised": (0.08, 10),
    "neglect": (0.08, 20),
    "abuse": (0.08, 7),
    "dropout": (0.90, 12),
    "missing": (0.95, 1),
    "self_harm": (0.40, 3),
}
# Injury and drowning detection depend on severity: severity → (share, probability detected)
INJURY_SEVERITY = {
    "minor": (0.60, 0.04),
    "medical_visit": (0.28, 0.30),
    "hospitalised": (0.10, 0.90),
    "disability": (0.015, 1.0),
    "fatal": (0.005, 1.0),
}
DROWNING_SEVERITY = {
    "minor": (0.50, 0.25),
    "medical_visit": (0.28, 0.70),
    "hospitalised": (0.17, 0.95),
    "fatal": (0.05, 1.0),
}
# A home visit within this many days of a pending outcome finds it with this probability [D]
DETECT_AT_VISIT = {
    "unsupervised": (60, 0.60),
    "neglect": (90, 0.5),
    "abuse": (60, 0.15),
    "self_harm": (30, 0.20),
    "injury": (14, 0.25),
}
P_UNSUBSTANTIATED_REPORT = 0.05  # [D] share of reports that turn out unfounded (no true outcome)

# --- §3.6 education ---------------------------------------------------------------------------------------
MOTHER_AWAY_DROPOUT = 1.65  # §3.2 G7 (5.12% vs 3.1%)
LBC_DROPOUT = 1.4  # §3.6 E2 HR 1.3–1.5
P_GRADE_REPEAT = 0.02  # §3.4 M8 (>18% ever, over 9 years) [D yearly]
# [D] Unexcused absence: daily logit = ATTEND_BASE_LOGIT + 1.1·E⁺ + 0.25·M⁺ + 0.3·G (age ≥ 10)
# + ATTEND_NEGLECT·N: educational neglect (§3.5 I3, OR 1.50) shows as a child not sent to school
ATTEND_BASE_LOGIT = -4.8  # -4.6 before the neglect term, lowered to keep the county mean [D]
ATTEND_NEGLECT = 0.35
# [D] Weekly chance a teacher raises a concern rises by TEACHER_NEGLECT per unit of household neglect N
# (unwashed, hungry, unsuitable clothes: what a class teacher sees of neglect at home)
TEACHER_NEGLECT = 0.015
P_RETURN_TO_SCHOOL = 0.5  # [D] after 控辍保学 follow-up
SCREEN_MONTH = 10  # [D] annual mental-health screening in October (§4 school: screening ≥ annually)

# --- §1.5 / §1.8 / §3.8 visits and tiers -----------------------------------------------------------------
TIER_INTERVAL_DAYS = {"red": 7, "orange": 30, "yellow": 60, "green": 90}  # §1.5 [D] recommended defaults
SWEEP_WEEKS = 2  # §1.5 holiday safety sweeps before summer and winter breaks [D length]
SWEEP_CAPACITY_MULT = 2.0  # [D]
ASSESSMENT_SHARES = {"good": 0.65, "fair": 0.29, "poor": 0.06}  # §3.8 T2 [D]
VISIT_MODE = {"home": 0.78, "phone": 0.14, "school": 0.08}  # [D]
VISIT_RECORD_LAG_MEAN = 4.0  # [D] days a visit is typed in late (geometric)
BACKFILLED_VISIT_DAYS = 20  # [D] a visit typed in this many days late or more is flagged 补录 (backfilled)
POLICE_DISPATCH_HOURS = (0.2, 3.0)  # [D] 出警 after a mandatory report, hours (uniform)
P_FIELD_MISSING = 0.05  # [D] observation fields left blank
SNAPSHOT_RECORD_LAG = (3, 21)  # §1.5 quarterly snapshot, recorded some days later [D]
