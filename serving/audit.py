"""The audit log: one append-only row per read of a child's record, list, denial or sign-in.
Rows carry pseudonymous keys and usernames only, never a child's name, ID number or phone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.access import Principal
from serving.tables import AuditEntry


def _clean(text: str) -> str:
    # Denials are logged with what the caller sent; PostgreSQL text cannot hold NUL, and a denial must
    # still be written.
    return text.replace("\x00", "\ufffd")


def record(
    session: Session,
    who: Principal | tuple[str, str],
    action: str,
    outcome: str,
    *,
    child_key: str | None = None,
    scope: str | None = None,
    detail: str | None = None,
    commit: bool = True,
) -> None:
    username, role = (who.username, who.role.value) if isinstance(who, Principal) else who
    session.add(
        AuditEntry(
            at=dt.datetime.now(dt.UTC),
            username=_clean(username)[:64],
            role=_clean(role)[:32],
            action=action,
            child_key=child_key and _clean(child_key),
            scope=scope and _clean(scope),
            outcome=outcome,
            detail=(detail or None) and _clean(detail)[:255],
        )
    )
    if commit:
        session.commit()


def query(
    session: Session,
    *,
    child_key: str | None = None,
    username: str | None = None,
    outcome: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if child_key:
        stmt = stmt.where(AuditEntry.child_key == child_key)
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if outcome:
        stmt = stmt.where(AuditEntry.outcome == outcome)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt))
