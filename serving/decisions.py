"""Caseworker decisions: append-only, each naming the visit-list row the caseworker saw.

Reason rules (a reason is free text, stored, never shown to data_team):
- a decision that spends a visit (`schedule_visit`, `visited`) on a child while a higher-ranked child of the
  same list has no decision yet is *out of order* and needs a reason;
- `no_action` for a rule-flagged child needs a reason;
- a correction (`corrects_id`) needs a reason and must concern the same child.
Escalation and referral are never held up by the list order.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from serving.access import DECISION_ROLES, Principal
from serving.tables import Decision, VisitListRow


class Action(StrEnum):
    schedule_visit = "schedule_visit"  # 安排走访
    visited = "visited"  # 已走访
    no_action = "no_action"  # 暂不处理
    escalate_mandatory_report = "escalate_mandatory_report"  # 强制报告
    refer_assessment = "refer_assessment"  # 转评估帮扶


ACTION_ZH = {
    Action.schedule_visit: "安排走访",
    Action.visited: "已走访",
    Action.no_action: "暂不处理",
    Action.escalate_mandatory_report: "强制报告",
    Action.refer_assessment: "转评估帮扶",
}
SPENDS_A_VISIT = frozenset({Action.schedule_visit, Action.visited})


class NotFound(LookupError):
    pass


class ReasonRequired(ValueError):
    pass


def is_out_of_order(session: Session, row: VisitListRow) -> bool:
    """True when a higher-ranked row of the same list has no decision yet."""
    undecided_above = (
        select(VisitListRow.id)
        .where(VisitListRow.list_id == row.list_id, VisitListRow.rank < row.rank)
        .where(~exists().where(Decision.list_row_id == VisitListRow.id))
        .limit(1)
    )
    return session.scalar(undecided_above) is not None


def record_decision(  # adds the decision, uncommitted: the caller commits it with its audit row
    session: Session,
    principal: Principal,
    *,
    list_row_id: int,
    action: Action,
    reason: str | None,
    findings: dict[str, Any] | None = None,
    corrects_id: int | None = None,
) -> Decision:
    principal.require(DECISION_ROLES, "记录处理决定")
    row = session.get(VisitListRow, list_row_id)
    if row is None:
        raise NotFound(f"visit-list row {list_row_id} does not exist")
    principal.check_village(row.village_code)
    reason = (reason or "").strip() or None

    if corrects_id is not None:
        corrected = session.get(Decision, corrects_id)
        if corrected is None:
            raise NotFound(f"decision {corrects_id} (to correct) does not exist")
        if corrected.child_key != row.child_key:
            raise ValueError("a correction must concern the same child as the decision it corrects")
        if reason is None:
            raise ReasonRequired("a correction needs a reason (更正原因)")

    out_of_order = action in SPENDS_A_VISIT and is_out_of_order(session, row)
    if out_of_order and reason is None:
        raise ReasonRequired("not following the list order needs a reason (未按名单顺序，请说明原因)")
    if action is Action.no_action and row.rule_flags and reason is None:
        raise ReasonRequired(
            f"no_action for a rule-flagged child ({row.rule_flags}) needs a reason "
            "(强制报告情形，暂不处理须说明原因)"
        )

    decision = Decision(
        list_row_id=row.id,
        child_key=row.child_key,
        action=action.value,
        reason=reason,
        findings=findings,
        corrects_id=corrects_id,
        out_of_order=out_of_order,
        decided_by=principal.username,
        role=principal.role.value,
        decided_at=dt.datetime.now(dt.UTC),
    )
    session.add(decision)
    session.flush()  # its id, for the audit row the caller adds before committing both together
    return decision


def decisions_for(session: Session, child_key: str) -> list[Decision]:
    return list(
        session.scalars(select(Decision).where(Decision.child_key == child_key).order_by(Decision.id))
    )
