"""The explanation panel of one child: who, why, what the records say, and what was decided.
Everything warehouse-derived is cached per (child, as-of date, warehouse generation, identity shown)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.enums import CAPACITY, RELATION
from serving import explain, schemas
from serving.access import Principal, Role, Scope, township_of
from serving.decisions import ACTION_ZH, Action, decisions_for
from serving.tables import Decision, VisitList, VisitListRow
from serving.warehouse import Warehouse


class LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def locate_child(
    session: Session, warehouse: Warehouse, child_key: str, cache: LRU | None = None
) -> str | None:
    """The child's village: the warehouse's latest snapshot, else the latest list row that named the child."""
    key = ("village", child_key, warehouse.generation)
    village = cache.get(key) if cache is not None else None
    if village is not None:
        return village
    village = warehouse.child_village(child_key)
    if village is not None and cache is not None:
        cache.put(key, village)
    if village is None:
        village = session.scalar(
            select(VisitListRow.village_code)
            .where(VisitListRow.child_key == child_key)
            .order_by(VisitListRow.id.desc())
            .limit(1)
        )
    return village


def _scope_of(vl: VisitList) -> Scope:
    return Scope(vl.scope_kind, vl.scope_code)


def _pick(
    group: list[tuple[VisitListRow, VisitList]], principal: Principal | None, prefer_row: int | None
) -> tuple[VisitListRow, VisitList]:
    """One list row of a (date, model version) group: the row the caller came from; else the row of the
    broadest list the caller may open (the list their own list page shows: a director's village, a
    supervisor's township, the county for county staff); else, for lists no one of this role may open, the
    earliest saved."""
    visible = [p for p in group if principal is None or principal.covers_scope(_scope_of(p[1]))]
    for row, vl in visible:
        if row.id == prefer_row:
            return row, vl
    candidates = visible or group
    return min(candidates, key=lambda p: (len(_scope_of(p[1]).prefix), p[1].id))


def score_history(
    session: Session,
    child_key: str,
    principal: Principal | None = None,
    prefer_row: int | None = None,
) -> list[tuple[VisitListRow, VisitList]]:
    """The child's scores, one per (as-of date, model version), oldest first. A child sits on its village's,
    its township's and its county's list of a date; the row shown is the one of the caller's own list
    (`_pick`), so its rank, and a decision's list-order check, are those of the list the caller works from."""
    rows = session.execute(
        select(VisitListRow, VisitList)
        .join(VisitList, VisitList.id == VisitListRow.list_id)
        .where(VisitListRow.child_key == child_key)
        .order_by(VisitList.as_of, VisitList.id)
    ).all()
    groups: dict[tuple[dt.date, str], list[tuple[VisitListRow, VisitList]]] = {}
    for row, vl in rows:
        groups.setdefault((vl.as_of, vl.model_version), []).append((row, vl))
    return [_pick(group, principal, prefer_row) for group in groups.values()]


def score_point(row: VisitListRow, vl: VisitList) -> schemas.ScorePoint:
    return schemas.ScorePoint(
        as_of=vl.as_of,
        model_version=vl.model_version,
        list_id=vl.id,
        list_row_id=row.id,
        scope=str(_scope_of(vl)),
        rank=row.rank,
        probability=row.probability,
        percentile=row.percentile,
        band=row.band,
    )


def _findings(stored: dict[str, Any] | None, free_text: bool) -> schemas.FindingsOut | None:
    if not stored:
        return None
    return schemas.FindingsOut(
        child_seen=stored.get("child_seen"),
        guardian_present=stored.get("guardian_present"),
        concerns=list(stored.get("concerns") or []) if free_text else None,
        notes=stored.get("notes") if free_text else None,
    )


def decision_views(decisions: list[Decision], principal: Principal) -> list[schemas.DecisionOut]:
    """Decisions as a caller may read them: the reason and every free-text part of the findings (notes,
    concerns) are left out for roles that may not read free text (data team, admin), since it may name
    people."""
    corrected_by = {d.corrects_id: d.id for d in decisions if d.corrects_id is not None}
    free_text = principal.sees_free_text
    return [
        schemas.DecisionOut(
            id=d.id,
            list_row_id=d.list_row_id,
            child_key=d.child_key,
            action=Action(d.action),
            action_zh=ACTION_ZH[Action(d.action)],
            reason=d.reason if free_text else None,
            findings=_findings(d.findings, free_text),
            free_text_hidden=not free_text,
            corrects_id=d.corrects_id,
            corrected_by=corrected_by.get(d.id),
            out_of_order=d.out_of_order,
            decided_by=d.decided_by,
            role=d.role,
            decided_at=d.decided_at,
        )
        for d in decisions
    ]


def _warehouse_facts(
    warehouse: Warehouse, cache: LRU, child_key: str, as_of: dt.date, identity: bool
) -> dict:
    key = (child_key, as_of, warehouse.generation, identity)
    facts = cache.get(key)
    if facts is None:
        guardian = warehouse.guardian(child_key, as_of, with_identity=identity)
        if guardian is not None:
            guardian["relation_zh"] = RELATION.get(guardian.get("relation") or "")
            guardian["guardian_capacity_zh"] = CAPACITY.get(guardian.get("guardian_capacity") or "")
        facts = {
            "name": warehouse.child_names([child_key]).get(child_key) if identity else None,
            "profile": warehouse.profile(child_key, as_of),
            "recent_visits": warehouse.recent_visits(child_key, as_of),
            "attendance": warehouse.attendance_summary(child_key, as_of),
            "guardian": guardian,
            "data_freshness": warehouse.freshness(child_key, as_of),
        }
        cache.put(key, facts)
    return facts


def build_panel(
    session: Session,
    warehouse: Warehouse,
    cache: LRU,
    principal: Principal,
    child_key: str,
    village_code: str,
    as_of: dt.date | None,
    model_version: str | None,
    prefer_row: int | None = None,
) -> schemas.ChildPanel:
    """The panel as `principal` may see it (no access check here: callers check the village first)."""
    history = score_history(session, child_key, principal, prefer_row)
    if as_of is not None:
        history = [(r, vl) for r, vl in history if vl.as_of <= as_of]
    latest = history[-1] if history else None
    if as_of is None:
        as_of = latest[1].as_of if latest else (warehouse.latest_date() or dt.date.today())
    identity = principal.sees_names and principal.role is not Role.data_team
    facts = _warehouse_facts(warehouse, cache, child_key, as_of, identity)
    raising, lowering = (
        explain.split_reasons(latest[0].reasons, latest[0].protective_reasons) if latest else ([], [])
    )
    return schemas.ChildPanel.model_validate(
        {
            "child_key": child_key,
            "as_of": as_of,
            "village_code": village_code,
            "township_code": township_of(village_code),
            **facts,
            "score": score_point(*latest) if latest else None,
            "score_history": [score_point(r, vl) for r, vl in history],
            "reasons": explain.with_text(raising),
            "protective_reasons": explain.with_text(lowering),
            "rule_flags": explain.rule_flags(latest[0].rule_flags) if latest else [],
            "decisions": decision_views(decisions_for(session, child_key), principal),
            "model_version": model_version,
        }
    )
