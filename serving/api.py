"""HTTP routes under /api/v1. Handlers are thin: they parse the request, call `serving.casework` (access
checks, names, audit log) and turn its domain errors into HTTP answers."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from sqlalchemy import text
from sqlalchemy.orm import Session

from serving import casework, localtime, schemas
from serving.access import AccessDenied, Principal
from serving.services import Services

router = APIRouter(prefix="/api/v1")
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")
ChildKey = Annotated[
    str, Path(pattern=schemas.CHILD_KEY_PATTERN, description="儿童假名编号 c_ + 16位十六进制")
]
AsOf = Annotated[dt.date | None, Query(description="截至日期（YYYY-MM-DD）；缺省为最新数据")]
AreaCode = Annotated[str | None, schemas.NoNul]
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def services(request: Request) -> Services:  # async: no thread hop for a plain attribute read
    return request.app.state.services


async def db(request: Request) -> AsyncIterator[Session]:
    # async: creating a Session does no I/O (it connects on first use, inside the sync handler's thread);
    # closing returns the connection to the pool. This saves two thread hops per request.
    with request.app.state.services.session() as session:
        yield session


Svc = Annotated[Services, Depends(services)]
Db = Annotated[Session, Depends(db)]


@contextmanager
def answers() -> Iterator[None]:
    """casework's domain errors as HTTP answers (the model/warehouse 503s have app-wide handlers)."""
    try:
        yield
    except casework.InvalidRequest as exc:
        raise HTTPException(422, str(exc)) from None
    except AccessDenied as exc:
        raise HTTPException(403, str(exc)) from None
    except casework.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except casework.SignInRefused as exc:
        raise HTTPException(401, str(exc), headers=UNAUTHORIZED) from None
    except casework.TooManyAttempts as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(int(exc.retry_after) + 1)}) from None


def local_times(svc: Services, decisions: list[schemas.DecisionOut]) -> list[schemas.DecisionOut]:
    """Each decision's time as people read it, in the service's zone (the UTC `decided_at` stays)."""
    for d in decisions:
        d.decided_at_local = localtime.datetime_zh(d.decided_at, svc.settings.timezone)
    return decisions


def principal(svc: Svc, session: Db, token: Annotated[str, Depends(oauth2)]) -> Principal:
    with answers():
        return casework.principal_from_token(svc, session, token)


Who = Annotated[Principal, Depends(principal)]


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
    with answers():
        return casework.sign_in(svc, session, client, form.username, form.password)


# --- visit list -----------------------------------------------------------------------------------
@router.get(
    "/visit-list",
    response_model=schemas.VisitList,
    tags=["visit list"],
    summary="走访名单",
    description=(
        "给出 village 或 township 取该村、该乡镇的名单；都不给时取调用者的整个辖区：儿童主任本村、"
        "督导员本乡镇、县民政本县（数据团队、管理员：本服务所含的县）。名单按强制报告情形优先、"
        "其后按风险排序，首次请求时生成并保存，limit 限制返回行数（total 为名单总人数）。"
    ),
    responses={
        403: {"model": schemas.Problem},
        422: {"model": schemas.Problem},
        503: {"model": schemas.Problem},
    },
)
def visit_list(
    svc: Svc,
    session: Db,
    who: Who,
    as_of: AsOf = None,
    village: Annotated[AreaCode, Query(description="村区划代码（12位）")] = None,
    township: Annotated[AreaCode, Query(description="乡镇区划代码（12位，末三位000）")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="返回行数（名单前若干名）")] = 50,
) -> schemas.VisitList:
    with answers():
        return casework.visit_list(
            svc, session, who, as_of=as_of, village=village, township=township, limit=limit
        )


# --- one child ------------------------------------------------------------------------------------
@router.get(
    "/children/{child_key}",
    response_model=schemas.ChildPanel,
    tags=["children"],
    summary="儿童说明面板",
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def child_panel(
    svc: Svc,
    session: Db,
    who: Who,
    child_key: ChildKey,
    as_of: AsOf = None,
    list_row_id: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="调用者所看的名单行编号（缺省：调用者自己辖区的名单）"),
    ] = None,
) -> schemas.ChildPanel:
    with answers():
        panel = casework.child_panel(svc, session, who, child_key, as_of=as_of, list_row_id=list_row_id)
    local_times(svc, panel.decisions)
    return panel


@router.get(
    "/children/{child_key}/decisions",
    response_model=list[schemas.DecisionOut],
    tags=["decisions"],
    summary="该儿童的处理决定",
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def child_decisions(svc: Svc, session: Db, who: Who, child_key: ChildKey) -> list[schemas.DecisionOut]:
    with answers():
        return local_times(svc, casework.child_decisions(svc, session, who, child_key))


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
    with answers():
        return local_times(svc, [casework.record_decision(svc, session, who, body)])[0]


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
    username: Annotated[str | None, Query(max_length=64), schemas.NoNul] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied|not_found)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="只看编号小于此值的记录（翻页）")
    ] = None,
) -> list[schemas.AuditRow]:
    with answers():
        return casework.read_audit_log(
            svc,
            session,
            who,
            child_key=child_key,
            username=username,
            outcome=outcome,
            limit=limit,
            before_id=before_id,
        )


@router.get("/model", response_model=schemas.ModelInfo, tags=["model"], summary="当前模型与模型卡")
def model_info(svc: Svc, who: Who) -> schemas.ModelInfo:
    current = svc.champion.current
    gates = current.gates if current else None
    return schemas.ModelInfo(
        name=svc.champion.name,
        version=current.version if current else None,
        champion_version=svc.champion.alias_version,
        degraded=svc.champion.degraded,
        gates=gates.status if gates else None,
        gates_note=gates.note if gates else None,
        spec_version=current.spec.version if current and current.spec else None,
        spec_hash=current.spec_hash if current else None,
        contract_version=current.contract_version if current else None,
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
    current = svc.champion.current
    checks["model"] = current.version if current else "not loaded"
    checks["champion"] = svc.champion.alias_version
    checks["degraded"] = svc.champion.degraded  # serving an older version: why (None when all is well)
    checks["spec_version"] = current.spec.version if current and current.spec else None
    checks["spec_hash"] = current.spec_hash if current else None  # the champion's own spec, used for features
    features = None
    if current is not None and checks["warehouse"] == "ok":
        features = svc.scorer.features_problem(current)  # built once per version and warehouse
    checks["features"] = "ok" if features is None else features
    ready = checks["database"] == "ok" and checks["warehouse"] == "ok" and current is not None
    ready = ready and features is None
    response.status_code = 200 if ready else 503
    return {"ready": ready, **checks}


def metrics_token(svc: Svc, request: Request) -> None:
    """/metrics answers only a scraper holding SHOUHU_METRICS_TOKEN (Bearer); without one set it is off."""
    expected = svc.settings.metrics_token
    if expected is None:
        raise HTTPException(404, "metrics are off: set SHOUHU_METRICS_TOKEN and scrape with it (Bearer)")
    given = request.headers.get("authorization", "")
    wanted = f"Bearer {expected.get_secret_value()}"
    if not hmac.compare_digest(given.encode(), wanted.encode()):
        raise HTTPException(401, "metrics need the metrics token (Bearer)", headers=UNAUTHORIZED)


@router.get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus 指标（需 SHOUHU_METRICS_TOKEN）",
    response_class=Response,
    responses={401: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
    dependencies=[Depends(metrics_token)],
)
def metrics(svc: Svc, session: Db) -> Response:
    current = svc.champion.current
    if current is not None and current.version.isdigit():
        svc.metrics.champion_version.set(int(current.version))
    svc.metrics.monitor.update(session)
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
