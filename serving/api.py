"""HTTP routes under /api/v1. Handlers are thin: they parse, check access, call a module, audit, answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from sqlalchemy import text
from sqlalchemy.orm import Session

from serving import audit, decisions, explain, schemas, visit_lists
from serving.access import AUDIT_ROLES, AccessDenied, Principal, resolve_scope
from serving.child_panel import build_panel, decision_views, locate_child
from serving.security import TokenError, issue_token, read_token
from serving.services import Services
from serving.users import authenticate, load_principal

router = APIRouter(prefix="/api/v1")
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")
EARLIEST = dt.date(2000, 1, 1)
ChildKey = Annotated[
    str, Path(pattern=schemas.CHILD_KEY_PATTERN, description="儿童假名编号 c_ + 16位十六进制")
]
AsOf = Annotated[dt.date | None, Query(description="截至日期（YYYY-MM-DD）；缺省为最新数据")]


async def services(request: Request) -> Services:  # async: no thread hop for a plain attribute read
    return request.app.state.services


async def db(request: Request) -> AsyncIterator[Session]:
    # async: creating a Session does no I/O (it connects on first use, inside the sync handler's thread);
    # closing returns the connection to the pool. This saves two thread hops per request.
    with request.app.state.services.session() as session:
        yield session


Svc = Annotated[Services, Depends(services)]
Db = Annotated[Session, Depends(db)]


def principal(request: Request, session: Db, token: Annotated[str, Depends(oauth2)]) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    try:
        username = read_token(token, request.app.state.services.settings.token_secret.get_secret_value())
    except TokenError as exc:
        raise HTTPException(401, str(exc), headers=unauthorized) from None
    who = request.app.state.services.principals.get(username, lambda: load_principal(session, username))
    if who is None:
        raise HTTPException(401, "account not found or disabled", headers=unauthorized)
    return who


Who = Annotated[Principal, Depends(principal)]


def check_as_of(as_of: dt.date | None) -> dt.date | None:
    today = dt.date.today()
    if as_of is not None and not (EARLIEST <= as_of <= today + dt.timedelta(days=1)):
        raise HTTPException(422, f"as_of must lie between {EARLIEST} and {today + dt.timedelta(days=1)}")
    return as_of


@contextmanager
def audited(
    svc: Services,
    session: Session,
    who: Principal,
    action: str,
    child_key: str | None = None,
    scope: str | None = None,
) -> Iterator[None]:
    """Denials (403) and misses (404) are written to the audit log before the error is answered."""
    try:
        yield
    except AccessDenied as exc:
        session.rollback()
        audit.record(session, who, action, "denied", child_key=child_key, scope=scope)
        svc.metrics.audit_rows.labels("denied").inc()
        raise HTTPException(403, str(exc)) from None
    except decisions.NotFound as exc:
        session.rollback()
        audit.record(session, who, action, "not_found", child_key=child_key, scope=scope)
        svc.metrics.audit_rows.labels("not_found").inc()
        raise HTTPException(404, str(exc)) from None


# --- auth -----------------------------------------------------------------------------------------
@router.post(
    "/auth/token",
    response_model=schemas.Token,
    tags=["auth"],
    summary="登录，获取访问令牌",
    responses={401: {"model": schemas.Problem}, 429: {"model": schemas.Problem}},
)
def token(
    request: Request,
    svc: Svc,
    session: Db,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> schemas.Token:
    client = request.client.host if request.client else "unknown"
    wait = svc.token_limiter.hit(f"ip:{client}", f"user:{form.username[:64]}")
    if wait:
        raise HTTPException(
            429, "too many sign-in attempts; try again later", headers={"Retry-After": str(int(wait) + 1)}
        )
    if "\x00" in form.username or "\x00" in form.password:
        # PostgreSQL text cannot hold NUL; such a name matches no account, so refuse before any query.
        raise HTTPException(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    who = authenticate(session, form.username, form.password)
    if who is None:
        audit.record(session, (form.username[:64], "unknown"), "sign_in", "denied")
        raise HTTPException(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    audit.record(session, who, "sign_in", "ok")
    minutes = svc.settings.token_minutes
    jwt = issue_token(who.username, svc.settings.token_secret.get_secret_value(), minutes)
    return schemas.Token(access_token=jwt, expires_in=minutes * 60, role=who.role.value)


# --- visit list -----------------------------------------------------------------------------------
@router.get(
    "/visit-list",
    response_model=schemas.VisitList,
    tags=["visit list"],
    summary="走访名单",
    responses={403: {"model": schemas.Problem}, 503: {"model": schemas.Problem}},
)
def visit_list(
    svc: Svc,
    session: Db,
    who: Who,
    as_of: AsOf = None,
    village: Annotated[str | None, Query(description="村区划代码（12位）")] = None,
    township: Annotated[str | None, Query(description="乡镇区划代码（12位，末三位000）")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="返回行数")] = 50,
) -> schemas.VisitList:
    as_of = check_as_of(as_of)
    scope_text = f"village:{village}" if village else f"township:{township}" if township else None
    with audited(svc, session, who, "read_visit_list", scope=scope_text):
        try:
            scope = resolve_scope(who, village, township)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    model = svc.champion.require()
    as_of = as_of or svc.warehouse.latest_date() or dt.date.today()
    hits = svc.scorer.hits
    the_list = visit_lists.get_or_create(session, svc.scorer, svc.warehouse, model, scope, as_of, who)
    svc.metrics.score_cache.labels("hit" if svc.scorer.hits > hits else "lookup").inc()
    rows = visit_lists.list_rows(session, the_list, limit)
    names = svc.warehouse.child_names([r.child_key for r in rows]) if who.sees_names else {}
    audit.record(
        session,
        who,
        "read_visit_list",
        "ok",
        scope=str(scope),
        detail=f"list {the_list.id} rows 1-{len(rows)}",
    )
    svc.metrics.audit_rows.labels("ok").inc()
    return schemas.VisitList(
        list_id=the_list.id,
        scope=str(scope),
        as_of=the_list.as_of,
        model_name=the_list.model_name,
        model_version=the_list.model_version,
        created_at=the_list.created_at,
        tie_break=the_list.tie_break,
        total=the_list.row_count,
        rows=[
            schemas.VisitListRow(
                list_row_id=r.id,
                rank=r.rank,
                child_key=r.child_key,
                name=names.get(r.child_key),
                village_code=r.village_code,
                age_years=r.age_years,
                band=r.band,
                band_zh=explain.band_zh(r.band),
                percentile=r.percentile,
                probability=r.probability,
                rule_flags=explain.rule_flags(r.rule_flags),
                reasons=explain.with_text(r.reasons),
                days_since_last_visit=r.days_since_last_visit,
                data_freshness=r.data_freshness,
            )
            for r in rows
        ],
    )


# --- one child ------------------------------------------------------------------------------------
def _open_child(svc: Services, session: Session, who: Principal, child_key: str, action: str) -> str:
    with audited(svc, session, who, action, child_key=child_key):
        village = locate_child(session, svc.warehouse, child_key, svc.panel_cache)
        if village is None:
            raise decisions.NotFound(f"no child with key {child_key}")
        who.check_village(village)
    return village


@router.get(
    "/children/{child_key}",
    response_model=schemas.ChildPanel,
    tags=["children"],
    summary="儿童说明面板",
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def child_panel(
    svc: Svc, session: Db, who: Who, child_key: ChildKey, as_of: AsOf = None
) -> schemas.ChildPanel:
    as_of = check_as_of(as_of)
    village = _open_child(svc, session, who, child_key, "read_child")
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
    )
    audit.record(session, who, "read_child", "ok", child_key=child_key)
    svc.metrics.audit_rows.labels("ok").inc()
    return schemas.ChildPanel.model_validate(panel)


@router.get(
    "/children/{child_key}/decisions",
    response_model=list[schemas.DecisionOut],
    tags=["decisions"],
    summary="该儿童的处理决定",
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def child_decisions(svc: Svc, session: Db, who: Who, child_key: ChildKey) -> list[schemas.DecisionOut]:
    _open_child(svc, session, who, child_key, "read_child_decisions")
    views = decision_views(decisions.decisions_for(session, child_key), who)
    audit.record(session, who, "read_child_decisions", "ok", child_key=child_key)
    svc.metrics.audit_rows.labels("ok").inc()
    return [schemas.DecisionOut.model_validate(v) for v in views]


@router.post(
    "/decisions",
    response_model=schemas.DecisionOut,
    status_code=201,
    tags=["decisions"],
    summary="记录处理决定（只增不改；更正请新建一条并引用原决定）",
    responses={
        403: {"model": schemas.Problem},
        404: {"model": schemas.Problem},
        422: {"model": schemas.Problem},
    },
)
def post_decision(svc: Svc, session: Db, who: Who, body: schemas.DecisionIn) -> schemas.DecisionOut:
    with audited(svc, session, who, "record_decision"):
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
            raise HTTPException(422, str(exc)) from None
    audit.record(
        session, who, "record_decision", "ok", child_key=decision.child_key, detail=f"decision {decision.id}"
    )
    svc.metrics.decisions.labels(decision.action).inc()
    return schemas.DecisionOut.model_validate(decision_views([decision], who)[0])


# --- audit, model, health -------------------------------------------------------------------------
@router.get(
    "/audit-log",
    response_model=list[schemas.AuditRow],
    tags=["audit"],
    summary="审计日志（县民政、管理员）",
    responses={403: {"model": schemas.Problem}},
)
def audit_log(
    svc: Svc,
    session: Db,
    who: Who,
    child_key: Annotated[str | None, Query(pattern=schemas.CHILD_KEY_PATTERN)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied|not_found)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[schemas.AuditRow]:
    with audited(svc, session, who, "read_audit_log"):
        who.require(AUDIT_ROLES, "查看审计日志")
    rows = audit.query(
        session, child_key=child_key, username=username, outcome=outcome, limit=limit, before_id=before_id
    )
    return [schemas.AuditRow.model_validate(r, from_attributes=True) for r in rows]


@router.get("/model", response_model=schemas.ModelInfo, tags=["model"], summary="当前模型与模型卡")
def model_info(svc: Svc, who: Who) -> schemas.ModelInfo:
    current = svc.champion.current
    return schemas.ModelInfo(
        name=svc.champion.name,
        version=current.version if current else None,
        run_id=current.run_id if current else None,
        loaded_at=current.loaded_at if current else None,
        tags=current.tags if current else {},
        model_card=current.card if current else None,
        last_check=svc.champion.last_check,
        last_error=svc.champion.last_error,
    )


@router.get("/healthz", tags=["ops"], summary="存活检查")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"], summary="就绪检查", responses={503: {"model": dict}})
def readyz(svc: Svc, response: Response) -> dict[str, object]:
    checks: dict[str, object] = {}
    try:
        with svc.session() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = type(exc).__name__
    checks["warehouse"] = "ok" if svc.warehouse.path.exists() else "missing"
    checks["model"] = svc.champion.current.version if svc.champion.current else "not loaded"
    ready = checks["database"] == "ok" and checks["warehouse"] == "ok" and svc.champion.current is not None
    response.status_code = 200 if ready else 503
    return {"ready": ready, **checks}


@router.get("/metrics", tags=["ops"], summary="Prometheus 指标", response_class=Response)
def metrics(svc: Svc) -> Response:
    current = svc.champion.current
    if current is not None and current.version.isdigit():
        svc.metrics.champion_version.set(int(current.version))
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
