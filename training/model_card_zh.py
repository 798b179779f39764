"""The model card in Chinese, for a 县民政 official who decides whether to use the list: what the model is for
and not for, how often its list is right compared with the official checklist, what the bands mean, and its
limits. The English card (training.report) follows it for the data team. Also the registered model's and each
version's description in the MLflow registry."""

from __future__ import annotations

import math
from typing import Any

from training.pipeline import TrainResult

BAND_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}
REGISTERED_DESCRIPTION = (
    "守护：农村留守儿童预警排查走访名单的风险排序模型。按未来一段时间内发生（被发现的）不良事件的可能性给"
    "本县登记的留守儿童排序，帮助儿童主任、儿童督导员决定先走访谁。评分仅供参考，由工作人员决定；强制报告"
    "情形由规则判定，总排在最前。每个版本的中文模型说明在该版本的 model_card.md 开头。"
)


def _pct(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return "—" if math.isnan(number) else f"{number * 100:.0f}%"


def _metric(result: TrainResult, model: str, key: str) -> Any:
    return (result.metrics.get(model) or {}).get(key)


def _bands(result: TrainResult) -> list[str]:
    lines, upper = [], 100.0
    for name, cut in result.parts.bands:
        lines.append(
            f"- {BAND_ZH.get(name, name)}：本县百分位 {cut:g}–{upper:g}（约占 {upper - cut:g}% 的儿童）"
        )
        upper = cut
    return lines


def version_description(result: TrainResult, *, k: int, horizon_days: int) -> str:
    """One paragraph for the registry's version description."""
    model = _pct(_metric(result, "model", "precision_at_k"))
    checklist = _pct(_metric(result, "checklist", "precision_at_k"))
    return (
        f"检验期 {result.split.window('test')}：每个乡镇每 30 天走访名单前 {k} 名儿童时，其中 {model} "
        f"在之后 {horizon_days} 天内发生了被发现的不良事件（官方排查表排序为 {checklist}）。"
        "评分仅供参考，由工作人员决定。"
    )


def model_card_zh(
    result: TrainResult, *, k: int, horizon_days: int, model_name: str, spec_version: str
) -> str:
    precision = _pct(_metric(result, "model", "precision_at_k"))
    recall = _pct(_metric(result, "model", "recall_at_k"))
    checklist_precision = _pct(_metric(result, "checklist", "precision_at_k"))
    checklist_recall = _pct(_metric(result, "checklist", "recall_at_k"))
    fairness = result.fairness
    flagged = 0 if fairness.empty else int((fairness["flagged"] != "").sum())
    lines = [
        f"# 模型说明 — {model_name}",
        "",
        "**评分仅供参考，由工作人员决定。**",
        "",
        "## 用途",
        f"按未来 {horizon_days} 天内发生被发现的不良事件（意外伤害、辍学、报案等）的可能性，"
        "给本县登记的农村留守儿童排序，帮助儿童主任和儿童督导员决定先走访谁。它只是排查的辅助，不决定救助、监护或任何待遇。"
        "强制报告情形由规则直接判定，不论评分高低，总是排在名单最前。",
        "",
        "不用于：评判家庭或工作人员、资格审核，或民政儿童工作以外的任何用途。性别、民族、残疾、所在乡镇"
        "不是模型的输入，只用来检查模型对各类儿童是否公平。",
        "",
        "## 效果（最近一段检验期，模型没见过的数据）",
        f"检验期：{result.split.window('test')}。每个乡镇每 30 天走访 {k} 名儿童时：",
        "",
        "| | 本模型 | 官方排查表 |",
        "|---|---|---|",
        f"| 名单前 {k} 名中，之后确实发生事件的比例 | {precision} | {checklist_precision} |",
        f"| 发生事件的儿童中，排在名单前 {k} 名的比例 | {recall} | {checklist_recall} |",
        "",
        "“发生事件”只算被发现、被记录的事件；没有被发现的风险，这些数字看不到。",
        "",
        "## 风险等级（在本县儿童中的相对位置）",
        *_bands(result),
        "- 强制报告：由规则判定，按红色处理，排在最前。",
        "",
        "## 公平性",
        f"按性别、民族、残疾和乡镇分组比较名单的命中和漏报；有 {flagged} 个分组的比率超出允许范围"
        "（详见下方英文部分的表格）。",
        "",
        "## 局限",
        "- 只能看到记录在案的情况；走访、出勤等数据缺失或过旧时，评分可能不准，页面会标出数据截至日期。",
        "- 评分是和本县其他儿童比较的相对位置，不是确定的结论；请以实地了解为准。",
        f"- 指标定义版本 {spec_version}，共 {len(result.parts.inputs)} 项指标；每项原因都写明该儿童的情况。",
        "",
        "---",
        "",
        "*以下为英文版，供数据团队查阅。* English version for the data team:",
        "",
    ]
    return "\n".join(lines)
