"""What the pages add to `serving.casework`: the session cookie, Chinese error pages for casework's domain
errors, the decision form's validation in Chinese, and the list page (filters, the whole-area limit).

Access rules, names and the audit log are casework's — the pages take the same path as the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from serving import casework, concerns, schemas
from serving.access import AccessDenied, Principal, Role, has_default_area, small_cell
from serving.champion import ModelUnavailable
from serving.services import Services
from serving.tables import VisitListRow
from serving.warehouse import WarehouseUnavailable
from serving.web import views

COOKIE = "shouhu_session"
FULL_LIST = 100_000  # a village's or township's whole list: filtered on the page, exported whole
WHOLE_AREA_ROWS = 500  # a county-wide list shows (and exports) its top rows; choose a township for all
CONCERN_ZH = concerns.LEVELS
BANDS = ("red", "orange", "yellow", "green")


class PageError(Exception):
    """An error the pages show as a page (status and a Chinese message safe to show)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotSignedIn(Exception):
    """No valid session cookie: the pages send the caller to the login page."""


@contextmanager
def page_errors() -> Iterator[None]:
    """casework's domain errors as Chinese pages."""
    try:
        yield
    except casework.InvalidRequest as exc:
        raise PageError(422, str(exc)) from None
    except AccessDenied as exc:  # its messages are Chinese and name no child
        raise PageError(403, str(exc)) from None
    except casework.NotFound:
        raise PageError(404, "没有找到这个儿童或名单记录，请从走访清单重新打开") from None
    except ModelUnavailable:
        raise PageError(503, "暂时没有可用的评分模型，请稍后再试或联系管理员") from None
    except WarehouseUnavailable:
        raise PageError(503, "数据仓库暂时不可用，请稍后再试或联系管理员") from None


# --- session
def sign_in(request: Request, svc: Services, session: Session, username: str, password: str) -> schemas.Token:
    """casework's sign-in (rate limit, password check, audit) for the login form."""
    client = request.client.host if request.client else "unknown"
    try:
        return casework.sign_in(svc, session, client, username, password)
    except casework.SignInRefused:
        raise PageError(401, "账号或密码错误") from None
    except casework.TooManyAttempts:
        raise PageError(429, "尝试次数过多，请稍后再试") from None


def sign_out(svc: Services, session: Session, who: Principal) -> None:
    casework.sign_out(svc, session, who)


def current_principal(request: Request, svc: Services, session: Session) -> Principal:
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotSignedIn
    try:
        return casework.principal_from_token(svc, session, token)
    except casework.SignInRefused:
        raise NotSignedIn from None


# --- one child
def child_panel(
    svc: Services, session: Session, who: Principal, child_key: str, row: int | None
) -> tuple[schemas.ChildPanel, int | None]:
    """The panel (access check, names, audit: casework) and the list row a decision would refer to."""
    with page_errors():
        panel = casework.child_panel(svc, session, who, child_key, list_row_id=row)
    return panel, casework.list_row_for(session, who, panel, row)


def record_concern(
    svc: Services, session: Session, who: Principal, child_key: str, cycle: dt.date, level: str
) -> None:
    if level not in CONCERN_ZH:
        raise PageError(422, "请选择担忧程度")
    with page_errors():
        casework.record_concern(svc, session, who, child_key, cycle, level)


@dataclass(frozen=True)
class DecisionForm:
    """The decision form as posted (text as typed; checked by `record_decision`)."""

    child_key: str
    list_row_id: str
    action: str
    reason: str
    child_seen: bool
    guardian_present: bool
    notes: str
    corrects_id: str

    def row_id(self) -> int | None:
        text = self.list_row_id.strip()
        return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def decision_body(form: DecisionForm) -> schemas.DecisionIn:
    """The form as the API's request body; InvalidRequest with a Chinese message when a field is invalid."""
    findings = None
    if form.child_seen or form.guardian_present or form.notes.strip():
        findings = {
            "child_seen": form.child_seen or None,
            "guardian_present": form.guardian_present or None,
            "notes": form.notes.strip() or None,
        }
    given = {
        "list_row_id": form.list_row_id.strip(),
        "action": form.action.strip(),
        "reason": form.reason,
        "findings": findings,
        "corrects_id": form.corrects_id.strip(),
    }
    try:  # an empty field is a field not given (a missing list row or action is then named as missing)
        return schemas.DecisionIn.model_validate({k: v for k, v in given.items() if v})
    except ValidationError as exc:
        raise casework.InvalidRequest(views.validation_zh(exc.errors())) from None


def record_decision(
    svc: Services, session: Session, who: Principal, form: DecisionForm
) -> schemas.DecisionOut:
    """The decision form through casework (rules, access, audit), every refusal as a PageError."""
    with page_errors():
        body = decision_body(form)
        row = session.get(VisitListRow, body.list_row_id)
        if row is not None and row.child_key != form.child_key:
            raise casework.InvalidRequest("名单行与儿童不符，请从走访清单重新打开")
        return casework.record_decision(svc, session, who, body)


# --- the list as the pages show it
@dataclass
class ListPage:
    data: schemas.VisitList
    rows: list[schemas.VisitListRow]  # after the page's village / band filters
    areas: dict[str, str]  # area code → name
    villages: list[str]  # villages on the list (for the filter; empty for a county-wide list)
    townships: list[str]  # townships the caller may switch between (empty: the list's scope is fixed)
    township: str | None  # None: the caller's whole area
    village: str | None
    band: str | None
    status: dict[int, str]  # list row id → latest decision (Chinese)
    band_counts: dict[str, str]  # band → count as shown ("<5" for 1–4 children to the data team and admins)
    whole_area: bool  # a county-wide list, shown up to WHOLE_AREA_ROWS rows

    @property
    def truncated(self) -> bool:
        return self.whole_area and self.data.total > len(self.data.rows)


def list_page(
    svc: Services,
    session: Session,
    who: Principal,
    township: str | None,
    village: str | None,
    band: str | None,
) -> ListPage:
    """The caller's list with the page's filters. Directors and supervisors get their own village / township;
    county staff, the data team and admins get the whole county (its top WHOLE_AREA_ROWS rows) or the
    township they choose."""
    townships: list[str] = []
    if who.role in (Role.children_director, Role.supervisor):
        township = None
    else:
        with page_errors():
            townships = svc.warehouse.townships(who.prefix)
            several = not has_default_area(who) and svc.warehouse.sole_county() is None
        township = township if township in townships else None
        if township is None and townships and several:
            township = townships[0]  # the service holds several counties: there is no one county-wide list
    whole_area = township is None and bool(townships)
    with page_errors():
        data = casework.visit_list(
            svc, session, who, township=township, limit=WHOLE_AREA_ROWS if whole_area else FULL_LIST
        )
    villages = [] if whole_area else sorted({r.village_code for r in data.rows})
    village = village if village in villages else None
    band = band if band in BANDS else None
    rows = [
        r
        for r in data.rows
        if (village is None or r.village_code == village) and (band is None or shown_band(r) == band)
    ]
    counts = {b: sum(1 for r in data.rows if shown_band(r) == b) for b in BANDS}
    shown = {b: "<5" if small_cell(n) and not who.sees_child_records else str(n) for b, n in counts.items()}
    with page_errors():
        areas = svc.warehouse.area_names()
    return ListPage(
        data,
        rows,
        areas,
        villages,
        townships,
        township,
        village,
        band,
        # a list's 状态 column is casework: for the data team and admins it stays empty
        casework.latest_decisions(session, [r.list_row_id for r in rows]) if who.sees_child_records else {},
        shown,
        whole_area,
    )


def shown_band(row: schemas.VisitListRow) -> str:
    """The band the pages file a row under: a rule-flagged child is red (views.shown_band)."""
    return views.shown_band(row.band, bool(row.rule_flags))


def print_groups(page: ListPage) -> list[tuple[str, list[schemas.VisitListRow]]]:
    """The printed list, grouped by village for a township's or the county's list (a cadre takes their own
    village's sheet), the villages in the order of their first child, each keeping the list order."""
    groups: dict[str, list[schemas.VisitListRow]] = {}
    for r in page.rows:
        groups.setdefault(r.village_code, []).append(r)
    return [(page.areas.get(code, code), rows) for code, rows in groups.items()]


def record_export(svc: Services, session: Session, who: Principal, page: ListPage, kind: str) -> None:
    casework.record_export(svc, session, who, page.data, len(page.rows), kind)


def area_names(svc: Services) -> dict[str, str]:
    with page_errors():
        return svc.warehouse.area_names()
