"""The caseworker pages (中文): login, visit list (+ Excel, print), child panel, concern level, decision.

Handlers are thin: they read the form or query, call `serving.web.pages` (which calls `serving.casework`, the
API's own service layer, so access rules, names and the audit log follow one path) and render a template.
Invalid input of any page answers a 4xx page (or the form again) with a Chinese message, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.types import Scope

from serving import api, casework, localtime, schemas
from serving.access import ROLE_ZH, Principal
from serving.services import Services
from serving.web import csrf, pages, views
from serving.web.pages import COOKIE, NotSignedIn, PageError

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
CHILD_KEY = re.compile(schemas.CHILD_KEY_PATTERN)
CODE12 = re.compile(r"^\d{12}$")
FIRST_ROWS = 60  # rows a list page shows before "显示全部"


@lru_cache
def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=HERE / "templates")
    t.env.globals.update(
        NOTE=views.NOTE,
        ROLE_ZH=ROLE_ZH,
        band_zh=views.band_zh,
        short_date=views.short_date,
        percentile_text=views.percentile_text,
        width_class=width_class,
        shown_band=views.shown_band,
        band_label=views.band_label,
        FLAGGED=views.FLAGGED,
        FLAGGED_MEANING=views.FLAGGED_MEANING,
    )
    return t


def width_class(percent: float) -> str:
    """A bar's width as a CSS class (w-0 … w-100): the Content-Security-Policy allows no inline style."""
    return f"w-{max(0, min(100, round(percent)))}"


def timezone_of(request: Request) -> str:
    return request.app.state.services.settings.timezone


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    # every form of a signed-in page carries the session's CSRF token (serving.web.csrf); times show in the
    # service's zone (SHOUHU_TIMEZONE, Beijing time by default)
    tz = timezone_of(request)
    context = {
        "csrf": csrf.token_for(request),
        "when": lambda moment: localtime.datetime_zh(moment, tz),
        **context,
    }
    response = templates().TemplateResponse(request, name, context, status_code=status)
    # pages carry children's names: a shared phone's browser must not keep them
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def refusal_page(scope: Scope) -> HTMLResponse:
    """The Chinese 403 page of a refused cross-site or token-less form (nothing was done)."""
    request = Request(scope)
    context = {"title": csrf.TITLE, "message": csrf.MESSAGE, "status": 403, "csrf": None, "when": str}
    return templates().TemplateResponse(request, "error.html", context, status_code=403)


def who(
    request: Request,
    svc: Annotated[Services, Depends(api.services)],
    session: Annotated[Session, Depends(api.db)],
) -> Principal:
    return pages.current_principal(request, svc, session)


Svc = Annotated[Services, Depends(api.services)]
Db = Annotated[Session, Depends(api.db)]
Who = Annotated[Principal, Depends(who)]
# after Who in a signature, so a signed-out caller is sent to the login page first
CsrfChecked = Annotated[None, Depends(csrf.require_token)]
Code = Annotated[str | None, Query(max_length=12)]


def _code(value: str | None) -> str | None:
    return value if value and CODE12.match(value) else None


def _child(child_key: str) -> str:
    if not CHILD_KEY.match(child_key):
        raise PageError(404, "没有这个儿童编号")
    return child_key


def _safe_next(target: str | None) -> str:
    # only local paths: a login link must not send the caseworker to another site
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/list"


# --- login
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/list", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    svc: Svc,
    session: Db,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=512)] = "/list",
) -> Response:
    try:
        token = pages.sign_in(request, svc, session, username, password)
    except PageError as exc:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message, "username": username.replace("\x00", "")},
            status=exc.status,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token.access_token,
        max_age=token.expires_in,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    svc: Svc,
    session: Db,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> RedirectResponse:
    """Sign out (audited). Without a session there is nothing to do; with one, the form's CSRF token must
    match it, so another page cannot sign a caseworker out."""
    response = RedirectResponse("/login", status_code=303)
    if request.cookies.get(COOKIE):
        csrf.require_token(request, csrf_token)
        try:
            user = pages.current_principal(request, svc, session)
        except NotSignedIn:
            user = None
        if user is not None:
            pages.sign_out(svc, session, user)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- visit list
def _list_context(page: pages.ListPage, who: Principal) -> dict:
    return {
        "who": who,
        "page": page,
        "list": page.data,
        "rows": page.rows,
        "areas": page.areas,
        "freshness": views.list_freshness,
        "legend": views.band_legend({}),
    }


@router.get("/list", response_class=HTMLResponse)
def visit_list(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    township: Code = None,
    village: Code = None,
    band: Annotated[str | None, Query(max_length=8)] = None,
    show_all: Annotated[bool, Query(alias="all")] = False,
) -> HTMLResponse:
    page = pages.list_page(svc, session, user, _code(township), _code(village), band)
    # weak signal: the first rows come fast; the rest are one tap away (exports always hold every row)
    shown = page.rows if show_all else page.rows[:FIRST_ROWS]
    return render(request, "list.html", {**_list_context(page, user), "rows": shown})


@router.get("/list/print", response_class=HTMLResponse)
def visit_list_print(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    township: Code = None,
    village: Code = None,
    band: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    page = pages.list_page(svc, session, user, _code(township), _code(village), band)
    pages.record_export(svc, session, user, page, "print")
    printed_at = dt.datetime.now(dt.UTC)  # shown in the service's zone, like every time on the pages
    context = {**_list_context(page, user), "printed_at": printed_at, "groups": pages.print_groups(page)}
    return render(request, "print.html", context)


@router.get("/list.xlsx")
def visit_list_xlsx(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    township: Code = None,
    village: Code = None,
    band: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    from serving.web.export import filename, workbook

    page = pages.list_page(svc, session, user, _code(township), _code(village), band)
    pages.record_export(svc, session, user, page, "xlsx")
    return Response(
        workbook(page, user.sees_names, request.app.state.services.settings.timezone),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename(page))}",
            "Cache-Control": "no-store",
        },
    )


# --- one child
def _concern_first(
    request: Request,
    svc: Services,
    session: Session,
    user: Principal,
    panel: schemas.ChildPanel,
    row_id: int | None,
) -> tuple[str | None, HTMLResponse | None]:
    """The caller's concern level this cycle, or the page asking for it when it is still to be given: the
    caseworker's own judgement comes first, so the score cannot anchor it."""
    cycle = casework.cycle_of(panel)
    concern = casework.prior_concern(session, user, panel.child_key, cycle)
    if concern is None and casework.may_decide(user) and panel.score is not None:
        context = {
            "who": user,
            "panel": panel,
            "row_id": row_id,
            "cycle": cycle,
            "concern_zh": pages.CONCERN_ZH,
            "areas": pages.area_names(svc),
        }
        return None, render(request, "concern.html", context)
    return concern, None


RowParam = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("/children/{child_key}", response_class=HTMLResponse)
def child_page(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    child_key: str,
    row: RowParam = None,
    saved: RowParam = None,
) -> HTMLResponse:
    panel, row_id = pages.child_panel(svc, session, user, _child(child_key), row)
    concern, ask = _concern_first(request, svc, session, user, panel, row_id)
    if ask is not None:
        return ask
    context = {
        "who": user,
        "panel": panel,
        "row_id": row_id,
        "concern": concern,
        "concern_zh": pages.CONCERN_ZH,
        "areas": pages.area_names(svc),
        "saved": saved,
        "bars": views.reason_bars(panel.reasons, panel.protective_reasons),
        "legend": views.band_legend(casework.band_cutoffs(svc)),
        "freshness": views.freshness_rows(panel.data_freshness, panel.as_of),
        "timeline": views.visit_timeline(panel.recent_visits, panel.as_of),
        "visits": views.visit_rows(panel.recent_visits),
        "attendance": views.attendance_bars(panel.attendance),
        "spark": views.score_sparkline(panel.score_history),
        "profile": views.profile_rows(panel.profile),
        "can_decide": casework.may_decide(user),
    }
    return render(request, "child.html", context)


@router.post("/children/{child_key}/concern")
def concern(
    svc: Svc,
    session: Db,
    user: Who,
    _csrf: CsrfChecked,
    child_key: str,
    level: Annotated[str, Form(max_length=16)],
    cycle: Annotated[dt.date, Form()],
    row: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> RedirectResponse:
    pages.record_concern(svc, session, user, _child(child_key), cycle, level)
    return RedirectResponse(f"/children/{child_key}" + (f"?row={row}" if row else ""), status_code=303)


def _decision_context(
    svc: Services, session: Session, user: Principal, child_key: str, row: int | None, corrects: int | None
) -> dict:
    panel, row_id = pages.child_panel(svc, session, user, _child(child_key), row)
    return {
        "who": user,
        "panel": panel,
        "row_id": row_id,
        "corrects": corrects,
        "actions": views.ACTIONS,
        "action_help": views.ACTION_HELP,
        "areas": pages.area_names(svc),
        "can_decide": casework.may_decide(user),
        "error": None,
        "form": {},
    }


@router.get("/children/{child_key}/decide", response_class=HTMLResponse)
def decision_page(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    child_key: str,
    row: RowParam = None,
    corrects: RowParam = None,
) -> HTMLResponse:
    context = _decision_context(svc, session, user, child_key, row, corrects)
    _, ask = _concern_first(request, svc, session, user, context["panel"], context["row_id"])
    return ask or render(request, "decide.html", context)


@router.post("/children/{child_key}/decide", response_class=HTMLResponse)
def decide(
    request: Request,
    svc: Svc,
    session: Db,
    user: Who,
    _csrf: CsrfChecked,
    child_key: str,
    list_row_id: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=100_000)] = "",
    notes: Annotated[str, Form(max_length=100_000)] = "",
    child_seen: Annotated[bool, Form()] = False,
    guardian_present: Annotated[bool, Form()] = False,
    corrects_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Fields arrive as typed and are checked by the API's own request model (pages.decision_body), so a bad
    field shows the form again with a Chinese message rather than a bare error."""
    form = pages.DecisionForm(
        _child(child_key), list_row_id, action, reason, child_seen, guardian_present, notes, corrects_id
    )
    try:
        decision = pages.record_decision(svc, session, user, form)
    except PageError as exc:
        if exc.status != 422:
            raise
        corrects = int(corrects_id) if corrects_id.strip().isdigit() and int(corrects_id) < 2**31 else None
        context = _decision_context(svc, session, user, child_key, form.row_id(), corrects)
        shown = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in form.__dict__.items()}
        context.update(error=exc.message, form=shown)
        return render(request, "decide.html", context, status=422)
    return RedirectResponse(
        f"/children/{decision.child_key}?row={decision.list_row_id}&saved={decision.id}#decisions",
        status_code=303,
    )


# --- errors
def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        # The API answers its usual JSON 422; a page answers a Chinese page naming the field.
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return render(
            request,
            "error.html",
            {"title": "无法处理", "message": views.validation_zh(list(exc.errors())), "status": 422},
            status=422,
        )

    @app.exception_handler(csrf.CsrfRefused)
    async def csrf_refused(request: Request, _exc: csrf.CsrfRefused) -> HTMLResponse:
        return refusal_page(request.scope)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> HTMLResponse:
        title = {403: "无权查看", 404: "未找到", 422: "无法处理", 503: "暂时不可用"}.get(exc.status, "出错了")
        return render(
            request,
            "error.html",
            {"title": title, "message": exc.message, "status": exc.status},
            status=exc.status,
        )
