"""What the pages need from the serving layer, in one place.

The pages must share the API's one path for access checks, names and audit, so they call the API's own
functions (`serving.api`) with the caller read from the session cookie instead of the Authorization header.
An `HTTPException` from those functions becomes a `PageError`, which the pages render as a Chinese page.

A few things the API has no function for yet live here, on top of the serving modules (candidates to move into
the service layer): the latest decision per list row, area names for filters, and the band cut-offs of the
loaded model. Concern levels have their own service module (`serving.concerns`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from serving import api, audit, concerns, schemas
from serving.access import DECISION_ROLES, Principal
from serving.champion import ModelUnavailable
from serving.decisions import ACTION_ZH, Action
from serving.services import Services
from serving.tables import Decision, VisitListRow
from serving.warehouse import WarehouseUnavailable

COOKIE = "shouhu_session"
FULL_LIST = 100_000  # pages show (and export) the whole list of the caller's scope, filtered on the page
CONCERN_ACTION = "record_concern"
CONCERN_ZH = concerns.LEVELS
T = TypeVar("T")


class PageError(Exception):
    """An error the pages show as a page (status, short title, message safe to show)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotSignedIn(Exception):
    """No valid session cookie: the pages send the caller to the login page."""


def call(fn: Callable[..., T], *args: Any) -> T:
    """Run an API function for a page: its HTTP errors become page errors with the same status and text."""
    try:
        return fn(*args)
    except HTTPException as exc:
        raise PageError(exc.status_code, str(exc.detail)) from None
    except (ModelUnavailable, WarehouseUnavailable) as exc:
        raise PageError(503, str(exc)) from None


# --- session
def sign_in(request: Request, svc: Services, session: Session, username: str, password: str) -> schemas.Token:
    """The API's token endpoint (rate limit, password check, audit), for the login form."""
    form = OAuth2PasswordRequestForm(username=username, password=password)
    return call(api.token, request, svc, session, form)


def current_principal(request: Request, session: Session) -> Principal:
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotSignedIn
    try:
        return api.principal(request, session, token)
    except HTTPException:
        raise NotSignedIn from None


# --- lists
def visit_list(svc: Services, session: Session, who: Principal, township: str | None) -> schemas.VisitList:
    """The caller's whole list (audited by the API function as one read of the list)."""
    return call(api.visit_list, svc, session, who, None, None, township, FULL_LIST)


def latest_decisions(session: Session, list_row_ids: list[int]) -> dict[int, str]:
    """list row id → the Chinese action of its latest decision (the list's 状态 column)."""
    if not list_row_ids:
        return {}
    rows = session.execute(
        select(Decision.list_row_id, Decision.action)
        .where(Decision.list_row_id.in_(list_row_ids))
        .order_by(Decision.id)
    ).all()
    return {row_id: ACTION_ZH[Action(action)] for row_id, action in rows}


def area_names(svc: Services) -> dict[str, str]:
    """Area code → Chinese name from the warehouse's admin_units (not personal data)."""
    if not svc.warehouse.has("admin_units"):
        return {}
    rows = svc.warehouse.cursor().execute("SELECT code, max(name_zh) FROM admin_units GROUP BY code")
    return {str(code): str(name) for code, name in rows.fetchall() if name}


def townships_for(svc: Services, who: Principal) -> list[str]:
    """Townships the caller may choose between (county staff, data team, admin have no default list)."""
    if not svc.warehouse.has("children_registry"):
        return []
    rows = svc.warehouse.cursor().execute(
        "SELECT DISTINCT substr(residence_village_code, 1, 9) || '000' FROM children_registry ORDER BY 1"
    )
    return [t for (t,) in rows.fetchall() if t.startswith(who.prefix[:9])]


# --- one child
def child_panel(svc: Services, session: Session, who: Principal, child_key: str) -> schemas.ChildPanel:
    """The API's explanation panel: the access check, names for allowed roles and the audit row included."""
    return call(api.child_panel, svc, session, who, child_key, None)


def list_row_for(
    session: Session, child_key: str, row_id: int | None, panel: schemas.ChildPanel
) -> int | None:
    """The list row a decision refers to: the one the caseworker came from, else the panel's latest."""
    if row_id is not None:
        row = session.get(VisitListRow, row_id)
        if row is not None and row.child_key == child_key:
            return row.id
    return panel.score.list_row_id if panel.score else None


def cycle_of(panel: schemas.ChildPanel) -> dt.date:
    """The cycle a concern level belongs to: the as-of date of the list the child was last scored on."""
    return panel.score.as_of if panel.score else panel.as_of


def asks_concern(who: Principal) -> bool:
    return who.role in DECISION_ROLES


def prior_concern(session: Session, who: Principal, child_key: str, cycle: dt.date) -> str | None:
    """The caller's own concern level for this child in this cycle, if they gave one."""
    return concerns.given(session, who, child_key, cycle)


def record_concern(
    svc: Services, session: Session, who: Principal, child_key: str, cycle: dt.date, level: str
) -> None:
    """Record the caseworker's concern level, given before they see the score. Access is checked (and a
    denial audited) by the API's own child check; the level goes to the append-only concern_levels table and
    the act of giving it to the audit log."""
    if level not in CONCERN_ZH:
        raise PageError(422, "请选择担忧程度")
    call(api._open_child, svc, session, who, child_key, CONCERN_ACTION)
    if not asks_concern(who):
        raise PageError(403, "该角色不记录担忧程度")
    concerns.record(session, who, child_key, cycle, level)
    audit.record(session, who, CONCERN_ACTION, "ok", child_key=child_key, detail=f"cycle {cycle.isoformat()}")


@dataclass(frozen=True)
class DecisionForm:
    child_key: str
    list_row_id: int
    action: str
    reason: str
    child_seen: bool
    guardian_present: bool
    notes: str
    corrects_id: int | None


def record_decision(
    svc: Services, session: Session, who: Principal, form: DecisionForm
) -> schemas.DecisionOut:
    """The API's decision endpoint (rules, access, audit) with the form's fields as its request body."""
    from pydantic import ValidationError

    row = session.get(VisitListRow, form.list_row_id)
    if row is not None and row.child_key != form.child_key:
        raise PageError(422, "名单行与儿童不符，请从走访清单重新打开")
    findings = None
    if form.child_seen or form.guardian_present or form.notes.strip():
        findings = schemas.VisitFindings(
            child_seen=form.child_seen or None,
            guardian_present=form.guardian_present or None,
            notes=form.notes.strip() or None,
        )
    try:
        body = schemas.DecisionIn(
            list_row_id=form.list_row_id,
            action=form.action,
            reason=form.reason or None,
            findings=findings,
            corrects_id=form.corrects_id,
        )
    except ValidationError as exc:
        raise PageError(422, "; ".join(e["msg"] for e in exc.errors())) from None
    return call(api.post_decision, svc, session, who, body)


def band_cutoffs(svc: Services) -> dict[str, float]:
    """band → lowest percentile of the band, from the loaded champion (empty if it does not say)."""
    current = svc.champion.current
    try:
        parts = current.model.unwrap_python_model().parts  # type: ignore[union-attr]
        return {str(name): float(cut) for name, cut in parts.bands}
    except (AttributeError, TypeError, ValueError):
        return {}


# --- the list as the pages show it
@dataclass
class ListPage:
    data: schemas.VisitList
    rows: list[schemas.VisitListRow]  # after the page's village / band filters
    areas: dict[str, str]  # area code → name
    villages: list[str]  # villages on the list (for the filter)
    townships: list[str]  # townships the caller may switch between (empty: the list's scope is fixed)
    township: str | None
    village: str | None
    band: str | None
    status: dict[int, str]  # list row id → latest decision (Chinese)
    band_counts: dict[str, int]


def list_page(
    svc: Services,
    session: Session,
    who: Principal,
    township: str | None,
    village: str | None,
    band: str | None,
) -> ListPage:
    """The caller's list with the page's filters. Directors and supervisors get their own village / township;
    the other roles choose a township (the API has no county-wide list)."""
    from serving.access import Role

    townships: list[str] = []
    if who.role in (Role.children_director, Role.supervisor):
        township = None
    else:
        townships = townships_for(svc, who)
        if township is None:
            if not townships:
                raise PageError(404, "没有可查看的乡镇")
            township = townships[0]
    data = visit_list(svc, session, who, township)
    villages = sorted({r.village_code for r in data.rows})
    village = village if village in villages else None
    band = band if band in ("red", "orange", "yellow", "green") else None
    rows = [
        r
        for r in data.rows
        if (village is None or r.village_code == village) and (band is None or r.band == band)
    ]
    counts = {b: sum(1 for r in data.rows if r.band == b) for b in ("red", "orange", "yellow", "green")}
    return ListPage(
        data,
        rows,
        area_names(svc),
        villages,
        townships,
        township,
        village,
        band,
        latest_decisions(session, [r.list_row_id for r in rows]),
        counts,
    )


def record_export(session: Session, who: Principal, page: ListPage, kind: str) -> None:
    """A list leaving the system (spreadsheet, print) is its own audit row, besides the read of the list."""
    audit.record(
        session,
        who,
        f"export_visit_list_{kind}",
        "ok",
        scope=page.data.scope,
        detail=f"list {page.data.list_id} rows {len(page.rows)}",
    )
