"""Persisted visit lists: ranking, creation, reuse.

The order is the one every gate and backtest measures (`shouhu_core.list_order`): rule-flagged children first,
whatever their score; then the model's margin, highest first; ties by child_key ascending (a pseudonym, so the
order favours no one). It is stored with every list as `tie_break`. A list is immutable: one per (scope, as-of
date, model version); asking again returns the same list."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from serving.access import Principal, Scope
from serving.champion import LoadedModel
from serving.scoring import Scorer
from serving.tables import VisitList, VisitListRow
from serving.warehouse import Warehouse
from shouhu_core.list_order import TIE_BREAK, order_lists


def rank(scored: pd.DataFrame, scope_kind: str = "county") -> pd.DataFrame:
    """`scored` (one scope, one as-of date) in list order with a 1-based `rank` column."""
    shipped = order_lists(scored, scope_kind, cycle=None)  # type: ignore[arg-type]
    shipped = shipped.drop(columns=["list_code", "selected"]).rename(columns={"list_rank": "rank"})
    return shipped[["rank", *[c for c in shipped.columns if c != "rank"]]]


def in_scope(scored: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    return scored[scored["village_code"].astype(str).str.startswith(scope.prefix)]


def find_list(session: Session, scope: Scope, as_of: dt.date, model: LoadedModel) -> VisitList | None:
    return session.scalar(
        select(VisitList).where(
            VisitList.scope_kind == scope.kind,
            VisitList.scope_code == scope.code,
            VisitList.as_of == as_of,
            VisitList.model_name == model.name,
            VisitList.model_version == model.version,
        )
    )


def list_rows(session: Session, visit_list: VisitList, limit: int | None = None) -> list[VisitListRow]:
    stmt = select(VisitListRow).where(VisitListRow.list_id == visit_list.id).order_by(VisitListRow.rank)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def get_or_create(
    session: Session,
    scorer: Scorer,
    warehouse: Warehouse,
    model: LoadedModel,
    scope: Scope,
    as_of: dt.date,
    principal: Principal,
) -> VisitList:
    """The scope's persisted list for the date, created if missing. A new list is flushed, not committed: the
    caller commits it with the audit row of the read, so a list never exists without its audited read."""
    existing = find_list(session, scope, as_of, model)
    if existing is not None:
        return existing
    ranked = rank(in_scope(scorer.scores(model, as_of), scope), scope.kind)
    extras = warehouse.list_extras(ranked["child_key"].tolist(), as_of)
    visit_list = VisitList(
        scope_kind=scope.kind,
        scope_code=scope.code,
        as_of=as_of,
        model_name=model.name,
        model_version=model.version,
        tie_break=TIE_BREAK,
        row_count=len(ranked),
        created_by=principal.username,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(visit_list)
    try:
        session.flush()
        session.add_all(
            VisitListRow(
                list_id=visit_list.id,
                rank=int(r.rank),
                child_key=r.child_key,
                village_code=r.village_code,
                probability=float(r.probability),
                percentile=float(r.percentile),
                band=r.band,
                rule_flags=r.rule_flags,
                reasons=r.reasons,
                protective_reasons=r.protective_reasons,
                age_years=extras[r.child_key]["age_years"],
                days_since_last_visit=extras[r.child_key]["days_since_last_visit"],
                data_freshness=extras[r.child_key]["freshness"],
            )
            for r in ranked.itertuples(index=False)
        )
        session.flush()  # committed by the caller, together with the audit row of the read
    except IntegrityError:  # another request created the same list a moment earlier: use theirs
        session.rollback()
        existing = find_list(session, scope, as_of, model)
        if existing is None:
            raise
        return existing
    return visit_list
