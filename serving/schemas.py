"""Pydantic models of the HTTP API (request bodies and responses), with Chinese field descriptions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from serving.decisions import Action


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL bytes; refuse them at the edge (422) rather than fail in the database.
    if "\x00" in text:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return text


FreeText = Annotated[str, AfterValidator(_no_nul)]

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
    contribution: float = Field(description="对风险分（对数几率）的贡献，正值提高风险")
    text_zh: str = Field(description="中文说明，例如“近30天无故缺勤 6 天（参考人群中位数 0 天）”")


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
    band: str = Field(description="风险等级：red/orange/yellow/green")
    band_zh: str = Field(description="风险等级（红/橙/黄/绿）")
    percentile: float = Field(description="本县百分位（0–100）")
    probability: float = Field(description="校准后的风险概率")
    rule_flags: list[RuleFlag] = Field(description="触发的强制报告情形（优先排在名单前列）")
    reasons: list[Reason] = Field(description="主要原因")
    days_since_last_visit: int | None = Field(None, description="距上次走访天数")
    data_freshness: dict[str, str | None] = Field(description="各数据源最新记录日期")


class VisitList(BaseModel):
    list_id: int = Field(description="名单编号")
    scope: str = Field(description="范围（village:代码 或 township:代码）")
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
    concerns: list[FreeText] = Field(default_factory=list, max_length=20, description="发现的问题（代码）")
    notes: FreeText | None = Field(None, max_length=2000, description="走访发现（文字）")


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
    id: int
    list_row_id: int
    child_key: str
    action: Action
    action_zh: str
    reason: str | None = Field(None, description="原因（数据团队不可见）")
    findings: dict[str, Any] | None = None
    corrects_id: int | None = None
    corrected_by: int | None = Field(None, description="被哪条决定更正")
    out_of_order: bool = Field(description="是否未按名单顺序")
    decided_by: str
    role: str
    decided_at: dt.datetime


class ScorePoint(BaseModel):
    as_of: dt.date
    model_version: str
    list_id: int
    list_row_id: int
    rank: int
    probability: float
    percentile: float
    band: str


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
    profile: dict[str, Any] | None = Field(description="基本情况（最新档案快照）")
    score: ScorePoint | None = Field(description="最近一次名单中的评分")
    score_history: list[ScorePoint] = Field(description="历次评分")
    reasons: list[Reason]
    rule_flags: list[RuleFlag]
    recent_visits: list[dict[str, Any]]
    attendance: dict[str, Any] = Field(description="出勤概况（近30/90天）")
    guardian: Guardian | None
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
    version: str | None = Field(description="当前在用（champion）版本")
    run_id: str | None = None
    loaded_at: dt.datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    model_card: str | None = Field(None, description="模型卡（Markdown）")
    last_check: dt.datetime | None = None
    last_error: str | None = None


class Problem(BaseModel):
    detail: str
