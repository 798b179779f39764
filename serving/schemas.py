"""Pydantic models of the HTTP API (request bodies and responses), with Chinese field descriptions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from serving.decisions import Action
from shouhu_core.model_contract import PROBABILITY_MEANING


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL bytes; refuse them at the edge (422) rather than fail in the database.
    if "\x00" in text:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return text


FreeText = Annotated[str, AfterValidator(_no_nul)]


def _no_nul_or_none(text: str | None) -> str | None:
    return None if text is None else _no_nul(text)


# Query and path strings get the same check (the database must never see a NUL in a filter either):
# `Annotated[str | None, Query(...), NoNul]`.
NoNul = AfterValidator(_no_nul_or_none)

CHILD_KEY_PATTERN = r"^c_[0-9a-f]{16}$"
CODE12_PATTERN = r"^\d{12}$"


class Token(BaseModel):
    access_token: str = Field(description="访问令牌（JWT）")
    token_type: str = Field("bearer", description="令牌类型")
    expires_in: int = Field(description="有效期（秒）")
    role: str = Field(description="角色")


class Reason(BaseModel):
    indicator: str = Field(description="指标代码")
    label_zh: str = Field(description="指标名称")
    family: str | None = Field(None, description="指标类别代码")
    family_zh: str | None = Field(None, description="指标类别")
    value: float | None = Field(None, description="该儿童的数值（缺失为空）")
    reference: float | None = Field(None, description="参考值：参考人群中位数")
    unit: str | None = Field(None, description="单位")
    display: str | None = Field(
        None, description="数值的读法：count/share/days/years/flag/code/ordinal（旧名单为空）"
    )
    contribution: float = Field(description="对风险分（对数几率）的贡献：正值提高风险，负值降低风险")
    text_zh: str = Field(
        description="中文说明，例如“近30天无故缺勤天数：6天（一般儿童：0天）”“近一年6次走访中有4次发现疏忽照料”"
        "（缺失的数值不作为原因）"
    )


class RuleFlag(BaseModel):
    rule: str = Field(description="强制报告规则代码")
    label_zh: str = Field(description="规则名称")


class VisitListRow(BaseModel):
    list_row_id: int = Field(description="名单行编号（记录处理决定时引用）")
    rank: int = Field(description="排序（1 为最优先）")
    child_key: str = Field(description="儿童假名编号")
    name: str | None = Field(None, description="姓名（仅对有权查看的角色显示）")
    village_code: str = Field(description="所在村区划代码")
    age_years: int | None = Field(None, description="年龄（周岁）")
    band: str = Field(description="显示的风险等级：red/orange/yellow/green（有强制报告情形的儿童一律为 red）")
    band_zh: str = Field(description="显示的风险等级（红/橙/黄/绿；有强制报告情形时为“强制报告”）")
    model_band: str = Field(description="评分本身对应的等级（不考虑强制报告情形）")
    percentile: float = Field(description="本县百分位（0–100）")
    probability: float = Field(description=PROBABILITY_MEANING)
    rule_flags: list[RuleFlag] = Field(description="触发的强制报告情形（优先排在名单前列）")
    reasons: list[Reason] = Field(description="提高风险的主要原因（贡献为正，按影响从大到小）")
    days_since_last_visit: int | None = Field(None, description="距上次走访天数")
    data_freshness: dict[str, str | None] = Field(description="各数据源最新记录日期")


class VisitList(BaseModel):
    list_id: int = Field(description="名单编号")
    scope: str = Field(description="范围（village:代码、township:代码 或 county:代码）")
    as_of: dt.date = Field(description="截至日期")
    model_name: str
    model_version: str = Field(description="模型版本")
    created_at: dt.datetime
    tie_break: str = Field(description="排序规则")
    total: int = Field(description="名单总人数")
    rows: list[VisitListRow]


class VisitFindings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_seen: bool | None = Field(None, description="是否见到儿童")
    guardian_present: bool | None = Field(None, description="监护人是否在场")
    concerns: list[Annotated[FreeText, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20, description="发现的问题（简短文字或代码）"
    )
    notes: FreeText | None = Field(None, max_length=2000, description="走访发现（文字）")


class FindingsOut(BaseModel):
    """Visit findings as stored; the free-text parts are empty for roles that may not read them."""

    child_seen: bool | None = Field(None, description="是否见到儿童")
    guardian_present: bool | None = Field(None, description="监护人是否在场")
    concerns: list[str] | None = Field(None, description="发现的问题（数据团队、管理员不可见，为空）")
    notes: str | None = Field(None, description="走访发现（数据团队、管理员不可见，为空）")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    list_row_id: int = Field(ge=1, le=2**31 - 1, description="看到的名单行编号")
    action: Action = Field(description="处理决定")
    reason: FreeText | None = Field(
        None, max_length=2000, description="原因（未按顺序或对强制报告情形暂不处理时必填）"
    )
    findings: VisitFindings | None = Field(None, description="走访发现（可选）")
    corrects_id: int | None = Field(None, ge=1, le=2**31 - 1, description="更正的决定编号")


class DecisionOut(BaseModel):
    id: int = Field(description="决定编号")
    list_row_id: int = Field(description="所依据的名单行编号")
    child_key: str = Field(description="儿童假名编号")
    action: Action = Field(description="处理决定")
    action_zh: str = Field(description="处理决定（中文）")
    reason: str | None = Field(None, description="原因（数据团队、管理员不可见）")
    findings: FindingsOut | None = Field(None, description="走访发现")
    free_text_hidden: bool = Field(False, description="是否隐去了自由文本（原因、发现）")
    corrects_id: int | None = Field(None, description="更正的决定编号")
    corrected_by: int | None = Field(None, description="被哪条决定更正")
    out_of_order: bool = Field(description="是否未按名单顺序")
    decided_by: str = Field(description="记录人账号")
    role: str = Field(description="记录人角色")
    decided_at: dt.datetime = Field(description="记录时间（UTC）")
    decided_at_local: str | None = Field(
        None, description="记录时间，按服务时区（SHOUHU_TIMEZONE，默认北京时间），如 2026年12月1日 13:40"
    )


class ScorePoint(BaseModel):
    as_of: dt.date = Field(description="截至日期")
    model_version: str = Field(description="模型版本")
    list_id: int = Field(description="名单编号")
    list_row_id: int = Field(description="名单行编号（记录处理决定时引用）")
    scope: str = Field(description="该名单的范围")
    rank: int = Field(description="在该名单中的排序")
    probability: float = Field(description=PROBABILITY_MEANING)
    percentile: float = Field(description="本县百分位")
    band: str = Field(description="风险等级")


class Profile(BaseModel):
    """The child's latest registry snapshot before the as-of date (codes as in docs/contracts.md)."""

    residence_village_code: str | None = Field(None, description="现居住地（村）区划代码")
    status: str | None = Field(None, description="在册状态（代码）")
    sex: str | None = Field(None, description="性别（代码）")
    age_years: int | None = Field(None, description="截至日期的年龄（周岁）")
    lbc_type: str | None = Field(None, description="留守类型（代码）")
    kunjing_types: str | None = Field(None, description="困境儿童类别（代码，以 ; 分隔）")
    health_status: str | None = Field(None, description="身体情况（代码）")
    schooling_status: str | None = Field(None, description="就学情况（代码）")
    grade_level: int | None = Field(None, description="年级（0=学前）")
    boarding: bool | None = Field(None, description="是否寄宿")
    guardianship_type: str | None = Field(None, description="实际监护类型（代码）")
    guardianship_assessment: str | None = Field(None, description="监护情况评估（较好/一般/差 的代码）")
    parents_marital_status: str | None = Field(None, description="父母婚姻状况（代码）")
    father_away: bool | None = Field(None, description="父亲外出务工")
    mother_away: bool | None = Field(None, description="母亲外出务工")
    snapshot_date: dt.date | None = Field(None, description="档案快照日期")


class VisitRecord(BaseModel):
    """One visit-log record of the child (the latest first)."""

    visit_date: dt.date | None = Field(None, description="走访日期")
    worker_role: str | None = Field(None, description="走访人角色（代码）")
    visit_type: str | None = Field(None, description="走访类型（代码）")
    mode: str | None = Field(None, description="方式（代码）")
    child_seen: bool | None = Field(None, description="见到儿童")
    carer_present: bool | None = Field(None, description="监护人在场")
    hazards: str | None = Field(None, description="安全隐患（代码，以 ; 分隔；空为无）")
    signs_of_injury: bool | None = Field(None, description="伤痕迹象")
    signs_of_neglect: bool | None = Field(None, description="疏忽照料迹象")
    child_mood: str | None = Field(None, description="情绪观察（代码）")
    carer_capacity_rating: str | None = Field(None, description="监护情况评估（代码）")
    next_visit_due: dt.date | None = Field(None, description="下次走访日期")
    recorded_at: dt.date | None = Field(None, description="录入日期")


class AttendanceSummary(BaseModel):
    days_30: dict[str, int] = Field(
        default_factory=dict, description="近30天各出勤状态的天数（状态代码 → 天数）"
    )
    days_90: dict[str, int] = Field(
        default_factory=dict, description="近90天各出勤状态的天数（状态代码 → 天数）"
    )
    latest_day: dt.date | None = Field(None, description="最近一条出勤记录的日期")


class Guardian(BaseModel):
    person_key: str
    name: str | None = Field(None, description="姓名（仅对有权查看的角色显示）")
    phone: str | None = Field(None, description="联系电话（仅对有权查看的角色显示）")
    relation: str | None = None
    relation_zh: str | None = None
    birth_year: int | None = None
    alive: bool | None = None
    lives_with_child: bool | None = None
    health_status: str | None = None
    guardian_capacity: str | None = None
    guardian_capacity_zh: str | None = None
    contactable: bool | None = None
    valid_from: str | None = None


class ChildPanel(BaseModel):
    child_key: str
    name: str | None = Field(None, description="姓名（仅对有权查看的角色显示）")
    as_of: dt.date = Field(description="说明所依据的截至日期")
    village_code: str
    township_code: str
    profile: Profile | None = Field(description="基本情况（最新档案快照）")
    score: ScorePoint | None = Field(
        description="最近一次名单中的评分（来自调用者自己的名单：其来源名单行，或其辖区最大的名单）"
    )
    score_history: list[ScorePoint] = Field(description="历次评分（每个截至日期和模型版本一次）")
    reasons: list[Reason] = Field(description="提高风险的原因（贡献为正）")
    protective_reasons: list[Reason] = Field(
        default_factory=list, description="降低风险的因素（贡献为负；旧模型或旧名单可能没有）"
    )
    rule_flags: list[RuleFlag] = Field(description="强制报告情形（与评分无关，由规则判定）")
    recent_visits: list[VisitRecord] = Field(description="最近的走访记录（最新在前）")
    attendance: AttendanceSummary = Field(description="出勤概况（近30/90天）")
    guardian: Guardian | None = Field(description="主要照料人")
    data_freshness: dict[str, dict[str, str | None]] = Field(
        description="各数据源：该儿童最新记录、全库最新记录"
    )
    decisions: list[DecisionOut]
    model_version: str | None = Field(description="当前在用模型版本")
    note_zh: str = Field("评分仅供参考，由工作人员决定。", description="提示")


class AuditRow(BaseModel):
    id: int
    at: dt.datetime
    username: str
    role: str
    action: str
    child_key: str | None
    scope: str | None
    outcome: str
    detail: str | None


class ModelInfo(BaseModel):
    name: str
    version: str | None = Field(description="当前在用的版本（通常即 champion）")
    champion_version: str | None = Field(None, description="注册表中 champion 别名所指的版本")
    degraded: str | None = Field(
        None, description="降级运行的原因：champion 版本无法使用时，仍在用的是哪一版、为什么（正常为空）"
    )
    gates: str | None = Field(
        None,
        description="在用版本如何成为 champion：passed（通过上线关卡）、first_model（首个模型，无可比较）、"
        "ungated（未通过关卡：别名不是经 shouhu promote 移动的）",
    )
    gates_note: str | None = Field(None, description="关卡说明")
    spec_version: str | None = Field(None, description="在用版本自带的指标规范版本（用它计算特征）")
    spec_hash: str | None = Field(None, description="该指标规范的 sha256")
    contract_version: str | None = Field(None, description="模型输出约定版本")
    run_id: str | None = None
    loaded_at: dt.datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    model_card: str | None = Field(None, description="模型卡（Markdown）")
    last_check: dt.datetime | None = None
    last_error: str | None = None


class Problem(BaseModel):
    code: str = Field(description="错误代码（稳定，供程序判断），如 not_signed_in、child_not_found")
    detail: str = Field(description="中文说明")
    detail_en: str | None = Field(None, description="原始英文说明（供数据团队排查）")
