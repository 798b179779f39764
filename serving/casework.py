"""Casework: the one path by which people read visit lists and children's records and record decisions and
concern levels — with the access checks, names only for roles allowed them, and the audit log.

Both edges call these functions: the API routes (`serving.api`, JSON) and the caseworker pages
(`serving.web`, Chinese HTML). They raise domain errors, which each edge turns into its own answer:

| error | meaning | API |
|---|---|---|
| `InvalidRequest` | malformed or out-of-range input; the message is safe to show | 422 |
| `access.AccessDenied` | outside the caller's role or jurisdiction (audited as `denied`) | 403 |
| `decisions.NotFound` | no such child, list row or decision (audited as `not_found`) | 404 |
| `SignInRefused` / `TooManyAttempts` | wrong password / too many tries | 401 / 429 |
| `champion.ModelUnavailable`, `warehouse.WarehouseUnavailable` | the service is not ready | 503 |

Every read of a child's record by a person writes one audit row (`ok`, `denied` or `not_found`); a decision or
a concern level commits in one transaction with its audit row, so a crash leaves both or neither.

Least privilege: only caseworkers (`access.CHILD_RECORD_ROLES`) open one child's record; the data team and
admins get lists of pseudonymous keys with the model's output, areas no finer than the township, and no age,
visit dates or findings (`reduce_row`; docs/security.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving import audit, concerns, decisions, explain, schemas, visit_lists
from serving.access import (
    AUDIT_ROLES,
    CHILD_RECORD_ROLES,
    DECISION_ROLES,
    AccessDenied,
    Principal,
    Scope,
    has_default_area,
    resolve_scope,
    township_of,
)
from serving.child_panel import build_panel, decision_views, locate_child
from serving.decisions import ACTION_ZH, Action, NotFound
from serving.security import TokenError, issue_token, read_token
from serving.services import Services
from serving.tables import Decision, VisitList, VisitListRow
from serving.users import authenticate, load_account

EARLIEST = dt.date(2000, 1, 1)
__all__ = ["AccessDenied", "InvalidRequest", "NotFound", "SignInRefused", "TooManyAttempts"]


class InvalidRequest(ValueError):
    """Malformed or out-of-range input (the message is safe to show)."""


class SignInRefused(Exception):
    """Wrong username or password, a disabled account, or an invalid / expired token."""


class TooManyAttempts(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too many sign-in attempts; try again later")
        self.retry_after = retry_after


# --- audit ----------------------------------------------------------------------------------------
@contextmanager
def audited(
    svc: Services,
    session: Session,
    who: Principal,
    action: str,
    child_key: str | None = None,
    scope: str | None = None,
) -> Iterator[None]:
    """Denials and misses inside the block are written to the audit log, then raised on."""
    try:
        yield
    except AccessDenied:
        session.rollback()
        _audit(svc, session, who, action, "denied", child_key=child_key, scope=scope)
        raise
    except NotFound:
        session.rollback()
        _audit(svc, session, who, action, "not_found", child_key=child_key, scope=scope)
        raise


def _audit(
    svc: Services,
    session: Session,
    who: Principal,
    action: str,
    outcome: str,
    *,
    child_key: str | None = None,
    scope: str | None = None,
    detail: str | None = None,
) -> None:
    audit.record(session, who, action, outcome, child_key=child_key, scope=scope, detail=detail)
    svc.metrics.audit_rows.labels(outcome).inc()


def check_as_of(as_of: dt.date | None) -> dt.date | None:
    latest = dt.date.today() + dt.timedelta(days=1)
    if as_of is not None and not (EARLIEST <= as_of <= latest):
        raise InvalidRequest(
            f"as_of must lie between {EARLIEST} and {latest} (日期须在 {EARLIEST} 至 {latest} 之间)"
        )
    return as_of


# --- sign-in --------------------------------------------------------------------------------------
def sign_in(svc: Services, session: Session, client: str, username: str, password: str) -> schemas.Token:
    """The failed-attempt limit (serving.ratelimit), password check, audit row, signed token carrying the
    account's token version. `client` is the peer address (or the one a trusted proxy names)."""
    name = username[:64]
    wait = svc.token_limiter.wait(name, client)
    if wait:
        audit.record(session, (name, "unknown"), "sign_in", "denied", detail=f"rate limited; from {client}")
        raise TooManyAttempts(wait)
    if "\x00" in username or "\x00" in password:
        # PostgreSQL text cannot hold NUL; such a name matches no account, so refuse before any query.
        svc.token_limiter.failed(name, client)
        raise SignInRefused("wrong username or password")
    signed = authenticate(session, username, password)
    if signed is None:
        svc.token_limiter.failed(name, client)
        audit.record(session, (name, "unknown"), "sign_in", "denied", detail=f"from {client}")
        raise SignInRefused("wrong username or password")
    who = signed.principal
    audit.record(session, who, "sign_in", "ok", detail=f"from {client}")
    minutes = svc.settings.token_minutes
    secret = svc.settings.token_secret.get_secret_value()
    token = issue_token(who.username, secret, minutes, version=signed.token_version)
    return schemas.Token(access_token=token, expires_in=minutes * 60, role=who.role.value)


def sign_out(svc: Services, session: Session, who: Principal) -> None:
    """Signing out of the pages is written to the audit log (the cookie is dropped by the page)."""
    audit.record(session, who, "sign_out", "ok")


def principal_from_token(svc: Services, session: Session, token: str) -> Principal:
    """The principal of a valid token whose account is active and still at the token's version (disabling,
    a password reset or `shouhu users sign-out` raise the version; the check's answer is cached ≤ 5 s)."""
    try:
        claims = read_token(token, svc.settings.token_secret.get_secret_value())
    except TokenError as exc:
        raise SignInRefused(str(exc)) from None
    account = svc.principals.get(claims.username, lambda: load_account(session, claims.username))
    if account is None:
        raise SignInRefused("account not found or disabled")
    if account.token_version != claims.version:
        raise SignInRefused("token revoked; sign in again")
    return account.principal


# --- visit lists ----------------------------------------------------------------------------------
def visit_list(
    svc: Services,
    session: Session,
    who: Principal,
    *,
    as_of: dt.date | None = None,
    village: str | None = None,
    township: str | None = None,
    limit: int = 50,
) -> schemas.VisitList:
    """The persisted list of a scope and date (created on first request), its first `limit` rows. With
    neither village nor township: the caller's whole area (`access.resolve_scope`)."""
    as_of = check_as_of(as_of)
    asked = f"village:{village}" if village else f"township:{township}" if township else None
    whole_area = None
    if not village and not township and not has_default_area(who):
        whole_area = svc.warehouse.sole_county()
    with audited(svc, session, who, "read_visit_list", scope=asked):
        try:
            scope = resolve_scope(who, village, township, whole_area)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if scope.kind == "village" and who.role not in CHILD_RECORD_ROLES:
            raise AccessDenied(
                f"角色 {who.role} 只能查看乡镇或全县的名单（单个村的名单人数太少，可识别到个人）"
            )
    model = svc.champion.require()
    as_of = as_of or svc.warehouse.latest_date() or dt.date.today()
    hits = svc.scorer.hits
    the_list = visit_lists.get_or_create(session, svc.scorer, svc.warehouse, model, scope, as_of, who)
    svc.metrics.score_cache.labels("hit" if svc.scorer.hits > hits else "lookup").inc()
    rows = visit_lists.list_rows(session, the_list, limit)
    names = svc.warehouse.child_names([r.child_key for r in rows]) if who.sees_names else {}
    _audit(
        svc,
        session,
        who,
        "read_visit_list",
        "ok",
        scope=str(scope),
        detail=f"list {the_list.id} rows 1-{len(rows)}",
    )
    out_rows = [
        schemas.VisitListRow(
            list_row_id=r.id,
            rank=r.rank,
            child_key=r.child_key,
            name=names.get(r.child_key),
            village_code=r.village_code,
            age_years=r.age_years,
            band=explain.shown_band(r.band, bool(r.rule_flags)),
            band_zh=explain.band_label(r.band, bool(r.rule_flags)),
            model_band=r.band,
            percentile=r.percentile,
            probability=r.probability,
            rule_flags=explain.rule_flags(r.rule_flags),
            reasons=explain.with_text(explain.split_reasons(r.reasons, r.protective_reasons)[0]),
            days_since_last_visit=r.days_since_last_visit,
            data_freshness=r.data_freshness,
        )
        for r in rows
    ]
    if who.role not in CHILD_RECORD_ROLES:
        out_rows = [reduce_row(r) for r in out_rows]
    return schemas.VisitList(
        list_id=the_list.id,
        scope=str(scope),
        as_of=the_list.as_of,
        model_name=the_list.model_name,
        model_version=the_list.model_version,
        created_at=the_list.created_at,
        tie_break=the_list.tie_break,
        total=the_list.row_count,
        rows=out_rows,
    )


def reduce_row(row: schemas.VisitListRow) -> schemas.VisitListRow:
    """A list row as the data team and admins see it: the pseudonymous key and the model's output (rank,
    score, band, rule flags, reasons); the area only as the township; no age, no days since the last visit,
    no per-feed record dates — with them a child of a small village could be picked out."""
    return row.model_copy(
        update={
            "name": None,
            "village_code": township_of(row.village_code),
            "age_years": None,
            "days_since_last_visit": None,
            "data_freshness": {},
        }
    )


def latest_decisions(session: Session, list_row_ids: list[int]) -> dict[int, str]:
    """list row id → the Chinese action of its latest decision (a list's 状态 column)."""
    if not list_row_ids:
        return {}
    rows = session.execute(
        select(Decision.list_row_id, Decision.action)
        .where(Decision.list_row_id.in_(list_row_ids))
        .order_by(Decision.id)
    ).all()
    return {row_id: ACTION_ZH[Action(action)] for row_id, action in rows}


def record_export(
    svc: Services, session: Session, who: Principal, data: schemas.VisitList, rows: int, kind: str
) -> None:
    """A list leaving the system (spreadsheet, print) is its own audit row, besides the read of the list."""
    _audit(
        svc,
        session,
        who,
        f"export_visit_list_{kind}",
        "ok",
        scope=data.scope,
        detail=f"list {data.list_id} rows {rows}",
    )


# --- one child ------------------------------------------------------------------------------------
def open_child(svc: Services, session: Session, who: Principal, child_key: str, action: str) -> str:
    """The child's village, once the caller may open it (a denial or a miss is audited under `action`)."""
    with audited(svc, session, who, action, child_key=child_key):
        who.require(CHILD_RECORD_ROLES, "查看单个儿童的记录（只看汇总与假名编号）")
        village = locate_child(session, svc.warehouse, child_key, svc.panel_cache)
        if village is None:
            raise NotFound(f"no child with key {child_key}")
        who.check_village(village)
    return village


def child_panel(
    svc: Services,
    session: Session,
    who: Principal,
    child_key: str,
    *,
    as_of: dt.date | None = None,
    list_row_id: int | None = None,
) -> schemas.ChildPanel:
    """The explanation panel; its score is the one of `list_row_id` (the row the caller came from) when that
    is this child's row on a list the caller may open, else of the caller's own list."""
    as_of = check_as_of(as_of)
    village = open_child(svc, session, who, child_key, "read_child")
    current = svc.champion.current
    panel = build_panel(
        session,
        svc.warehouse,
        svc.panel_cache,
        who,
        child_key,
        village,
        as_of,
        current.version if current else None,
        prefer_row=list_row_id,
    )
    _audit(svc, session, who, "read_child", "ok", child_key=child_key)
    return panel


def child_decisions(
    svc: Services, session: Session, who: Principal, child_key: str
) -> list[schemas.DecisionOut]:
    open_child(svc, session, who, child_key, "read_child_decisions")
    views = decision_views(decisions.decisions_for(session, child_key), who)
    _audit(svc, session, who, "read_child_decisions", "ok", child_key=child_key)
    return views


def may_decide(who: Principal) -> bool:
    """Caseworkers record decisions and concern levels; the data team and admins only read."""
    return who.role in DECISION_ROLES


def record_decision(
    svc: Services, session: Session, who: Principal, body: schemas.DecisionIn
) -> schemas.DecisionOut:
    """Append a decision (serving.decisions has the rules). A refusal is audited with the child of the
    list row the caller tried, so the log shows whose record someone tried to act on."""
    tried = session.get(VisitListRow, body.list_row_id)
    with audited(svc, session, who, "record_decision", child_key=tried.child_key if tried else None):
        try:
            decision = decisions.record_decision(
                session,
                who,
                list_row_id=body.list_row_id,
                action=body.action,
                reason=body.reason,
                findings=body.findings.model_dump() if body.findings else None,
                corrects_id=body.corrects_id,
            )
        except ValueError as exc:  # ReasonRequired, or a correction of another child's decision
            session.rollback()
            raise InvalidRequest(str(exc)) from None
    # the decision and its audit row in one transaction: after a crash there are both or neither
    audit.record(
        session,
        who,
        "record_decision",
        "ok",
        child_key=decision.child_key,
        detail=f"decision {decision.id}",
        commit=False,
    )
    session.commit()
    svc.metrics.audit_rows.labels("ok").inc()
    svc.metrics.decisions.labels(decision.action).inc()
    return decision_views([decision], who)[0]


def list_row_for(
    session: Session, who: Principal, panel: schemas.ChildPanel, row_id: int | None
) -> int | None:
    """The list row a decision on this child refers to: `row_id` (the row the caseworker came from) when it
    is this child's row on a list the caller may open, else the row of the panel's score."""
    if row_id is not None:
        row = session.get(VisitListRow, row_id)
        if row is not None and row.child_key == panel.child_key:
            owner = session.get(VisitList, row.list_id)
            if owner is not None and who.covers_scope(Scope(owner.scope_kind, owner.scope_code)):
                return row.id
    return panel.score.list_row_id if panel.score else None


def cycle_of(panel: schemas.ChildPanel) -> dt.date:
    """The cycle a concern level belongs to: the as-of date of the list the child was last scored on."""
    return panel.score.as_of if panel.score else panel.as_of


def prior_concern(session: Session, who: Principal, child_key: str, cycle: dt.date) -> str | None:
    """The caller's own concern level for this child in this cycle, if they gave one."""
    return concerns.given(session, who, child_key, cycle)


def record_concern(
    svc: Services, session: Session, who: Principal, child_key: str, cycle: dt.date, level: str
) -> None:
    """The caseworker's concern level, given before they see the score (append-only concern_levels) and the
    act of giving it (audit log)."""
    if level not in concerns.LEVELS:
        raise InvalidRequest("请选择担忧程度 (level: " + " | ".join(concerns.LEVELS) + ")")
    check_as_of(cycle)
    open_child(svc, session, who, child_key, concerns.ACTION)
    with audited(svc, session, who, concerns.ACTION, child_key=child_key):
        if not may_decide(who):
            raise AccessDenied("该角色不记录担忧程度")
    row = concerns.record(session, who, child_key, cycle, level)
    # one transaction with its audit row, as for decisions
    detail = f"concern {row.id} cycle {cycle.isoformat()}"
    audit.record(session, who, concerns.ACTION, "ok", child_key=child_key, detail=detail, commit=False)
    session.commit()
    svc.metrics.audit_rows.labels("ok").inc()


# --- audit log ------------------------------------------------------------------------------------
def read_audit_log(
    svc: Services,
    session: Session,
    who: Principal,
    *,
    child_key: str | None = None,
    username: str | None = None,
    outcome: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[schemas.AuditRow]:
    with audited(svc, session, who, "read_audit_log"):
        who.require(AUDIT_ROLES, "查看审计日志")
    rows = audit.query(
        session, child_key=child_key, username=username, outcome=outcome, limit=limit, before_id=before_id
    )
    return [schemas.AuditRow.model_validate(r, from_attributes=True) for r in rows]


def band_cutoffs(svc: Services) -> dict[str, float]:
    """band → lowest percentile of the band, from the loaded champion (empty if it does not say)."""
    current = svc.champion.current
    try:
        parts = current.model.unwrap_python_model().parts  # type: ignore[union-attr]
        return {str(name): float(cut) for name, cut in parts.bands}
    except (AttributeError, TypeError, ValueError):
        return {}
