"""Persisted visit lists: ranking, creation, reuse.

Order (documented, deterministic, stored with every list as `tie_break`):
1. children with any mandatory-report rule flag first, whatever their score;
2. then by calibrated probability, highest first;
3. ties (isotonic calibration has plateaus) broken by percentile, the rank of the model's raw margin;
4. remaining ties by child_key ascending (a pseudonym, so the order favours no one).
A list is immutable: one per (scope, as-of date, model version); asking again returns the same list."""

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

TIE_BREAK = (
    "rule-flagged first; then probability descending; ties by percentile descending, then child_key ascending"
)


def rank(scored: pd.DataFrame) -> pd.DataFrame:
    """`scored` in list order with a 1-based `rank` column."""
    ordered = scored.assign(_flagged=scored["rule_flags"].astype(str) != "").sort_values(
        ["_flagged", "probability", "percentile", "child_key"],
        ascending=[False, False, False, True],
        kind="mergesort",
    )
    ordered = ordered.drop(columns="_flagged").reset_index(drop=True)
    ordered.insert(0, "rank", range(1, len(ordered) + 1))
    return ordered


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
    existing = find_list(session, scope, as_of, model)
    if existing is not None:
        return existing
    ranked = rank(in_scope(scorer.scores(model, as_of), scope))
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
        session.commit()
    except IntegrityError:  # another request created the same list a moment earlier: use theirs
        session.rollback()
        existing = find_list(session, scope, as_of, model)
        if existing is None:
            raise
        return existing
    return visit_list
