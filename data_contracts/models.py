"""One pandera model per feed (DOMAIN.md §2, F1–F10). Each carries its contract version in `Config.metadata`.

Conventions, enforced here and relied on downstream:
- identifiers of children and family members are source-system ids; ingest turns the ones marked
  `pseudonymize` into keyed HMAC pseudonyms (`child_id` -> `child_key`, `person_id` -> `person_key`, ...);
- fields marked `pii` (names, ID numbers, phone numbers) go only to the restricted identity table;
- every event record has an event time (`event_time` metadata) and `recorded_at`, and cannot have been
  entered before its event (`recorded_not_before_event`, added to every event feed by `Contract`);
  features see a record once `recorded_at < as_of`;
- set-valued fields hold codes joined by ';';
- columns marked optional (added after 1.0.0) may be absent from a file and then load as missing.

Versions: 2.0.0 added optional columns from DOMAIN.md §2 (`data_quality_flag` on every event feed,
`hukou_area_code`, `unsuitable_carer_flag`, `academic_percentile`, `police_dispatch_time`) and tightened
validation (the shared `recorded_not_before_event` check, more cross-feed references), so rows that 1.0.0
accepted can now be quarantined: hence a major bump. Reference feeds are unchanged at 1.0.0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_contracts import enums as E
from data_contracts.fields import CODE12, code_set, enum, field, key, pii, recorded_at, source_system

DateTime = pa.DateTime
Bool = pd.BooleanDtype
Int = pd.Int64Dtype

RECORDED_NOT_BEFORE_EVENT = "recorded_not_before_event"


def _recorded_not_before_event() -> Any:
    """The row check every event feed shares: a record cannot have been entered before the event it describes.
    A fresh function per model: pandera keeps per-function state, so one function shared by several models
    loses its name."""

    @pa.dataframe_check(name=RECORDED_NOT_BEFORE_EVENT)
    def check(cls: type[pa.DataFrameModel], df: pd.DataFrame) -> Series[bool]:
        event = df[cls.get_metadata()[cls.__name__]["dataframe"]["event_time"]]
        recorded = df["recorded_at"]
        return event.isna() | recorded.isna() | (recorded >= event)  # a missing time has its own rule

    return check


def data_quality_flag() -> Any:
    return code_set(E.DATA_QUALITY, "数据质量标记", optional=True)


class Contract(pa.DataFrameModel):
    class Config:
        coerce = True
        strict = False  # extra columns are reported by ingest and not loaded

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Driven by the metadata, so a new event feed cannot forget the check.
        if (getattr(cls.Config, "metadata", None) or {}).get("event_time"):
            cls._recorded_not_before_event = _recorded_not_before_event()  # type: ignore[attr-defined]


class ChildrenRegistry(Contract):
    """F1 儿童基础档案（一人一档）: quarterly snapshots of the registry, one row per child and snapshot."""

    child_id: Series[str] = key("儿童编号（源系统）", pseudonymize=True)
    name: Series[str] = pii("姓名", "name", nullable=False)
    id_number: Series[str] = pii("公民身份证号码", "id_number", str_matches=r"^\d{17}[\dX]$")
    snapshot_date: Series[DateTime] = field("快照日期")
    status: Series[str] = enum(E.REGISTRY_STATUS, "在册状态")
    exit_reason: Series[str] = enum(E.EXIT_REASON, "退出原因", nullable=True)
    sex: Series[str] = enum(E.SEX, "性别")
    birth_date: Series[DateTime] = field("出生日期")
    ethnicity_code: Series[str] = enum(E.ETHNICITY, "民族代码（GB 3304）")
    hukou_registered: Series[Bool] = field("是否登记户口")
    hukou_area_code: Series[str] = field("户籍所在地区划代码", optional=True, str_matches=CODE12)
    residence_village_code: Series[str] = field("现居住地（村/居）区划代码", str_matches=CODE12)
    father_away: Series[Bool] = field("父亲外出务工")
    mother_away: Series[Bool] = field("母亲外出务工")
    lbc_type: Series[str] = enum(E.LBC_TYPE, "留守类型")
    lbc_since: Series[DateTime] = field("留守起始日期", nullable=True)
    kunjing_types: Series[str] = code_set(E.KUNJING_TYPE, "困境儿童类别")
    health_status: Series[str] = enum(E.CHILD_HEALTH, "身体情况")
    disability_category: Series[str] = enum(E.DISABILITY_CATEGORY, "残疾类别", nullable=True)
    disability_grade: Series[Int] = field(
        "残疾等级（1最重）", nullable=True, in_range={"min_value": 1, "max_value": 4}
    )
    illness_type: Series[str] = enum(E.ILLNESS_TYPE, "患病类型")
    schooling_status: Series[str] = enum(E.SCHOOLING_STATUS, "就学情况")
    school_id: Series[str] = field("就读学校", nullable=True)
    grade_level: Series[Int] = field(
        "年级（0=学前）", nullable=True, in_range={"min_value": 0, "max_value": 12}
    )
    boarding: Series[Bool] = field("是否寄宿")
    guardianship_type: Series[str] = enum(E.GUARDIANSHIP_TYPE, "实际监护类型")
    guardianship_assessment: Series[str] = enum(E.ASSESSMENT, "监护情况评估")
    entrusted_guardian_id: Series[str] = key("受委托监护人", pseudonymize=True, nullable=True)
    entrustment_notified_school: Series[Bool] = field("委托照护已书面告知学校", nullable=True)
    entrustment_notified_village: Series[Bool] = field("委托照护已告知村(居)委会", nullable=True)
    parents_marital_status: Series[str] = enum(E.MARITAL_STATUS, "父母婚姻状况")
    family_income_sources: Series[str] = code_set(E.INCOME_SOURCE, "家庭经济来源")
    assistance_flags: Series[str] = code_set(E.ASSISTANCE_FLAG, "救助帮扶情况")
    children_director_id: Series[str] = field("责任儿童主任", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "children_registry",
            "version": "2.0.0",
            "title": "儿童基础档案（一人一档）",
            "event_time": "snapshot_date",
            "key": ["child_id", "snapshot_date"],
        }

    @pa.dataframe_check(name="birth_before_snapshot")
    def _birth_before_snapshot(cls, df: pd.DataFrame) -> Series[bool]:
        return df["birth_date"] <= df["snapshot_date"]

    @pa.dataframe_check(name="exit_reason_iff_exited")
    def _exit_reason(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "exited") == df["exit_reason"].notna()


class HouseholdMembers(Contract):
    """F2 家庭成员与监护人: one row per (person, child) relation and version; a change is a new row."""

    person_id: Series[str] = key("人员编号", pseudonymize=True)
    child_id: Series[str] = key("关联儿童", pseudonymize=True)
    name: Series[str] = pii("姓名", "name")
    id_number: Series[str] = pii("身份证号", "id_number", str_matches=r"^\d{17}[\dX]$")
    phone: Series[str] = pii("联系电话", "phone", str_matches=r"^1[3-9]\d{9}$")
    relation: Series[str] = enum(E.RELATION, "与儿童关系")
    birth_year: Series[Int] = field(
        "出生年份", nullable=True, in_range={"min_value": 1900, "max_value": 2100}
    )
    alive: Series[Bool] = field("是否健在")
    lives_with_child: Series[Bool] = field("是否与儿童同住")
    is_primary_caregiver: Series[Bool] = field("是否主要照料人")
    is_entrusted_guardian: Series[Bool] = field("是否受委托监护人")
    education_level: Series[str] = enum(E.EDUCATION, "文化程度", nullable=True)
    health_status: Series[str] = enum(E.PERSON_HEALTH, "健康状况")
    disability_grade: Series[Int] = field(
        "残疾等级", nullable=True, in_range={"min_value": 1, "max_value": 4}
    )
    guardian_capacity: Series[str] = enum(E.CAPACITY, "监护能力")
    incapacity_reason: Series[str] = enum(E.INCAPACITY_REASON, "无监护能力原因", nullable=True)
    contactable: Series[Bool] = field("可联系", nullable=True)
    unsuitable_carer_flag: Series[Bool] = field(
        "不宜担任被委托人",
        optional=True,
        description="未成年人保护法 Art. 22 exclusions (history of abuse, drugs, gambling…).",
        metadata={"restricted": True},
    )
    valid_from: Series[DateTime] = field("生效日期")
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "household_members",
            "version": "2.0.0",
            "title": "家庭成员与监护人",
            "event_time": "valid_from",
            "key": ["person_id", "child_id", "valid_from"],
        }


class ParentMigrationEpisodes(Contract):
    """F3 父母外出务工: one row per episode version; a return or lost contact is a new version."""

    episode_id: Series[str] = key("外出记录编号")
    person_id: Series[str] = key("父/母", pseudonymize=True)
    child_id: Series[str] = key("关联儿童", pseudonymize=True)
    depart_date: Series[DateTime] = field("外出日期")
    return_date: Series[DateTime] = field("返乡日期", nullable=True)
    work_province_code: Series[str] = field("务工省份代码", nullable=True, str_matches=r"^\d{2}$")
    work_city_code: Series[str] = field("务工城市代码", nullable=True, str_matches=r"^\d{4}$")
    cross_province: Series[Bool] = field("是否跨省", nullable=True)
    abroad: Series[Bool] = field("是否出国务工", nullable=True)
    sector: Series[str] = enum(E.SECTOR, "行业", nullable=True)
    expected_return: Series[str] = enum(E.EXPECTED_RETURN, "预计返乡", nullable=True)
    lost_contact_since: Series[DateTime] = field("失联起始", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "parent_migration_episodes",
            "version": "2.0.0",
            "title": "父母外出务工",
            "event_time": "depart_date",
            "key": ["episode_id", "recorded_at"],
        }

    @pa.dataframe_check(name="return_after_departure")
    def _return_after_departure(cls, df: pd.DataFrame) -> Series[bool]:
        return df["return_date"].isna() | (df["return_date"] >= df["depart_date"])


class ParentContactLog(Contract):
    """F4 亲子联系记录: one row per contact between a child and a parent."""

    contact_id: Series[str] = key("记录编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    parent_id: Series[str] = key("父/母", pseudonymize=True)
    contact_time: Series[DateTime] = field("联系时间")
    channel: Series[str] = enum(E.CONTACT_CHANNEL, "联系方式")
    duration_min: Series[float] = field(
        "时长（分钟）", nullable=True, in_range={"min_value": 0, "max_value": 24 * 60}
    )
    initiated_by: Series[str] = enum(E.INITIATED_BY, "发起方", nullable=True)
    source: Series[str] = enum(E.CONTACT_SOURCE, "数据来源")
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "parent_contact_log",
            "version": "2.0.0",
            "title": "亲子联系记录",
            "event_time": "contact_time",
            "key": ["contact_id"],
        }


class VisitLogs(Contract):
    """F5 走访记录 (儿童主任, 督导员, 社工, 教师家访, 民警). Free-text 督导日志 is not part of this feed."""

    visit_id: Series[str] = key("走访编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    worker_id: Series[str] = key("走访人")
    worker_role: Series[str] = enum(E.WORKER_ROLE, "走访人角色")
    visit_date: Series[DateTime] = field("走访日期")
    visit_type: Series[str] = enum(E.VISIT_TYPE, "走访类型")
    mode: Series[str] = enum(E.VISIT_MODE, "方式")
    child_seen: Series[Bool] = field("见到儿童")
    carer_present: Series[Bool] = field("监护人在场", nullable=True)
    living_conditions: Series[Int] = field(
        "居住条件（1差–5好）", nullable=True, in_range={"min_value": 1, "max_value": 5}
    )
    food_insecurity: Series[Bool] = field("饮食问题", nullable=True)
    hygiene_issue: Series[Bool] = field("卫生问题", nullable=True)
    hazards: Series[str] = code_set(E.HAZARD, "安全隐患")
    signs_of_injury: Series[Bool] = field("伤痕迹象", nullable=True)
    signs_of_neglect: Series[Bool] = field("疏忽照料迹象", nullable=True)
    child_mood: Series[str] = enum(E.MOOD, "情绪观察", nullable=True)
    carer_capacity_rating: Series[str] = enum(E.ASSESSMENT, "监护情况评估", nullable=True)
    needs_identified: Series[str] = code_set(E.NEED, "需求")
    referrals: Series[str] = code_set(E.REFERRAL, "转介")
    next_visit_due: Series[DateTime] = field("下次走访日期", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "visit_logs",
            "version": "2.0.0",
            "title": "走访记录",
            "event_time": "visit_date",
            "key": ["visit_id"],
        }


class SchoolAttendance(Contract):
    """F6 学校出勤 (daily), one row per enrolled child and school day; arrives in weekly batches."""

    child_id: Series[str] = key("儿童", pseudonymize=True)
    school_id: Series[str] = key("学校")
    date: Series[DateTime] = field("日期")
    status: Series[str] = enum(E.ATTENDANCE_STATUS, "出勤状态")
    term_id: Series[str] = field("学期", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "school_attendance",
            "version": "2.0.0",
            "title": "学校出勤",
            "event_time": "date",
            "key": ["child_id", "date"],
        }


class SchoolEvents(Contract):
    """F6 学籍事件与心理筛查: enrolment changes, dropout flags, screenings, teacher concerns."""

    event_id: Series[str] = key("事件编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    school_id: Series[str] = key("学校")
    event_date: Series[DateTime] = field("事件日期")
    event_type: Series[str] = enum(E.SCHOOL_EVENT, "事件类型")
    screening_instrument: Series[str] = enum(E.SCREENING_INSTRUMENT, "心理筛查量表", nullable=True)
    screening_score: Series[float] = field("筛查得分", nullable=True, ge=0)
    screening_positive: Series[Bool] = field("筛查阳性", nullable=True)
    teacher_concern: Series[str] = code_set(E.TEACHER_CONCERN, "教师关注")
    academic_percentile: Series[float] = field(
        "成绩百分位", optional=True, in_range={"min_value": 0, "max_value": 100}
    )
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "school_events",
            "version": "2.0.0",
            "title": "学籍事件与心理筛查",
            "event_time": "event_date",
            "key": ["event_id"],
        }

    @pa.dataframe_check(name="screening_fields_only_on_screenings")
    def _screening(cls, df: pd.DataFrame) -> Series[bool]:
        is_screening = df["event_type"] == "mental_health_screening"
        return is_screening | (df["screening_instrument"].isna() & df["screening_positive"].isna())


class Incidents(Contract):
    """F7 强制报告 / 安全事件 / 伤害事件, as reported (detected outcomes only)."""

    incident_id: Series[str] = key("事件编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    incident_type: Series[str] = enum(E.INCIDENT_TYPE, "事件类型")
    event_time: Series[DateTime] = field("发生时间")
    report_time: Series[DateTime] = field("报告时间")
    police_dispatch_time: Series[DateTime] = field("出警时间", optional=True)
    reporter_type: Series[str] = enum(E.REPORTER_TYPE, "报告主体")
    mandatory_report: Series[Bool] = field("是否强制报告")
    trigger_2016: Series[str] = enum(E.TRIGGER_2016, "2016触发情形", nullable=True)
    trigger_2020: Series[str] = enum(E.TRIGGER_2020, "2020九类情形", nullable=True)
    injury_mechanism: Series[str] = enum(E.INJURY_MECHANISM, "伤害类型", nullable=True)
    severity: Series[str] = enum(E.SEVERITY, "严重程度", nullable=True)
    location: Series[str] = enum(E.LOCATION, "地点", nullable=True)
    emergency_disposition: Series[str] = enum(E.DISPOSITION, "应急处置", nullable=True)
    verified: Series[str] = enum(E.VERIFIED, "核实结论")
    case_id: Series[str] = field("评估帮扶个案", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "incidents",
            "version": "2.0.0",
            "title": "强制报告与安全事件",
            "event_time": "event_time",
            "key": ["incident_id"],
        }

    @pa.dataframe_check(name="reported_not_before_event")
    def _report_after_event(cls, df: pd.DataFrame) -> Series[bool]:
        return df["report_time"] >= df["event_time"]

    @pa.dataframe_check(name="dispatched_not_before_report")
    def _dispatch_after_report(cls, df: pd.DataFrame) -> Series[bool]:
        if "police_dispatch_time" not in df:  # an optional column, absent from this file
            return pd.Series(True, index=df.index)
        dispatched = df["police_dispatch_time"]
        return dispatched.isna() | df["report_time"].isna() | (dispatched >= df["report_time"])

    @pa.dataframe_check(name="mandatory_report_names_a_trigger")
    def _mandatory_has_trigger(cls, df: pd.DataFrame) -> Series[bool]:
        named = df["trigger_2016"].notna() | df["trigger_2020"].notna()
        return (
            ~df["mandatory_report"].fillna(False).astype(bool) | named
        )  # missing is reported by its own rule


class AssistanceBenefits(Contract):
    """F8 救助/福利状态, one row per benefit version."""

    benefit_id: Series[str] = key("救助编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    program: Series[str] = enum(E.PROGRAM, "项目")
    status: Series[str] = enum(E.BENEFIT_STATUS, "状态")
    start_date: Series[DateTime] = field("开始日期")
    end_date: Series[DateTime] = field("结束日期", nullable=True)
    monthly_amount_cny: Series[float] = field(
        "月标准（元）", nullable=True, in_range={"min_value": 0, "max_value": 20000}
    )
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "assistance_benefits",
            "version": "2.0.0",
            "title": "救助福利",
            "event_time": "start_date",
            "key": ["benefit_id", "recorded_at"],
        }

    @pa.dataframe_check(name="end_not_before_start")
    def _end_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        return df["end_date"].isna() | (df["end_date"] >= df["start_date"])


class Cases(Contract):
    """F9 评估帮扶个案: assessment dimensions 0 (none) – 3 (severe)."""

    case_id: Series[str] = key("个案编号")
    child_id: Series[str] = key("儿童", pseudonymize=True)
    opened_at: Series[DateTime] = field("立案时间")
    closed_at: Series[DateTime] = field("结案时间", nullable=True)
    trigger_source: Series[str] = enum(E.CASE_TRIGGER, "来源")
    dim_safety: Series[Int] = field("安全处境", nullable=True, in_range={"min_value": 0, "max_value": 3})
    dim_guardianship: Series[Int] = field(
        "监护情况", nullable=True, in_range={"min_value": 0, "max_value": 3}
    )
    dim_physical_health: Series[Int] = field(
        "身体健康", nullable=True, in_range={"min_value": 0, "max_value": 3}
    )
    dim_mental_health: Series[Int] = field(
        "心理健康", nullable=True, in_range={"min_value": 0, "max_value": 3}
    )
    dim_education: Series[Int] = field("教育", nullable=True, in_range={"min_value": 0, "max_value": 3})
    dim_economic: Series[Int] = field("经济", nullable=True, in_range={"min_value": 0, "max_value": 3})
    risk_level: Series[str] = enum(E.RISK_LEVEL, "风险等级")
    services_planned: Series[str] = code_set(E.SERVICE, "帮扶措施")
    guardianship_intervention: Series[str] = enum(E.INTERVENTION, "监护干预")
    review_due: Series[DateTime] = field("复评日期", nullable=True)
    outcome: Series[str] = enum(E.CASE_OUTCOME, "结果", nullable=True)
    recorded_at: Series[DateTime] = recorded_at()
    source_system: Series[str] = source_system(E.SOURCE_SYSTEM)
    data_quality_flag: Series[str] = data_quality_flag()

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "cases",
            "version": "2.0.0",
            "title": "评估帮扶个案",
            "event_time": "opened_at",
            "key": ["case_id", "recorded_at"],
        }

    @pa.dataframe_check(name="closed_not_before_opened")
    def _closed_after_opened(cls, df: pd.DataFrame) -> Series[bool]:
        return df["closed_at"].isna() | (df["closed_at"] >= df["opened_at"])


class AdminUnits(Contract):
    """F10 行政区划: 统计用区划代码 hierarchy."""

    code: Series[str] = field("区划代码", str_matches=CODE12)
    level: Series[str] = enum(E.ADMIN_LEVEL, "层级")
    name_zh: Series[str] = field("名称")
    parent_code: Series[str] = field("上级区划代码", nullable=True, str_matches=CODE12)
    urban_rural: Series[str] = enum(E.URBAN_RURAL, "城乡分类", nullable=True)
    region: Series[str] = enum(E.REGION, "东中西部", nullable=True)

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "admin_units",
            "version": "1.0.0",
            "title": "行政区划",
            "event_time": None,
            "key": ["code"],
            "reference": True,
        }


class Schools(Contract):
    """F10 学校."""

    school_id: Series[str] = key("学校编号")
    name_zh: Series[str] = field("学校名称")
    level: Series[str] = enum(E.SCHOOL_LEVEL, "学段")
    township_code: Series[str] = field("所在乡镇", str_matches=CODE12)
    village_code: Series[str] = field("所在村", nullable=True, str_matches=CODE12)
    boarding_capacity: Series[Int] = field("寄宿床位", nullable=True, ge=0)

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "schools",
            "version": "1.0.0",
            "title": "学校",
            "event_time": None,
            "key": ["school_id"],
            "reference": True,
        }


class Workers(Contract):
    """F10 工作人员 (儿童主任/督导员/社工). Staff names are not part of this feed."""

    worker_id: Series[str] = key("工作人员编号")
    role: Series[str] = enum(E.WORKER_ROLE, "角色")
    village_code: Series[str] = field("负责村", nullable=True, str_matches=CODE12)
    township_code: Series[str] = field("所在乡镇", str_matches=CODE12)
    start_date: Series[DateTime] = field("到岗日期")
    end_date: Series[DateTime] = field("离岗日期", nullable=True)
    female: Series[Bool] = field("女性", nullable=True)
    caseload_cap: Series[Int] = field("每月走访能力（人次）", nullable=True, ge=0)

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "workers",
            "version": "1.0.0",
            "title": "工作人员",
            "event_time": None,
            "key": ["worker_id"],
            "reference": True,
        }


class Calendar(Contract):
    """F10 校历: one row per date."""

    date: Series[DateTime] = field("日期")
    is_school_day: Series[Bool] = field("是否上课日")
    term_id: Series[str] = field("学期", nullable=True)
    holiday_type: Series[str] = enum(E.HOLIDAY_TYPE, "假期类型", nullable=True)
    spring_festival_window: Series[Bool] = field("春节前后窗口（春运）")

    class Config:
        metadata = {  # noqa: RUF012 (pandera reads it as a class attribute)
            "feed": "calendar",
            "version": "1.0.0",
            "title": "校历",
            "event_time": None,
            "key": ["date"],
            "reference": True,
        }


# The field a dataframe check's failure is reported under in the quarantine (it compares several fields;
# this is the one a data owner most likely has to correct).
CHECK_FIELD: dict[str, str] = {
    "birth_before_snapshot": "birth_date",
    "exit_reason_iff_exited": "exit_reason",
    "return_after_departure": "return_date",
    RECORDED_NOT_BEFORE_EVENT: "recorded_at",
    "screening_fields_only_on_screenings": "screening_instrument",
    "reported_not_before_event": "report_time",
    "dispatched_not_before_report": "police_dispatch_time",
    "mandatory_report_names_a_trigger": "trigger_2016",
    "end_not_before_start": "end_date",
    "closed_not_before_opened": "closed_at",
}
