"""Concern levels (担忧程度): the caseworker's own judgement of a child, given before the score is revealed.
Append-only; the latest level a person gave for a child in a cycle is theirs for that cycle."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.access import Principal
from serving.tables import ConcernLevel

ACTION = "record_concern"  # its audit-log action
LEVELS: dict[str, str] = {
    "high": "非常担心",
    "medium": "有些担心",
    "low": "不太担心",
    "unknown": "不了解情况",
}


def record(session: Session, who: Principal, child_key: str, cycle: dt.date, level: str) -> ConcernLevel:
    """Adds the level, uncommitted (flushed for its id): the caller commits it with its audit row."""
    if level not in LEVELS:
        raise ValueError(f"unknown concern level {level!r}; one of {', '.join(LEVELS)}")
    row = ConcernLevel(
        child_key=child_key,
        cycle=cycle,
        level=level,
        given_by=who.username,
        role=who.role.value,
        given_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    return row


def given(session: Session, who: Principal, child_key: str, cycle: dt.date) -> str | None:
    """The level `who` gave for this child in this cycle, if any (their latest)."""
    stmt = (
        select(ConcernLevel.level)
        .where(
            ConcernLevel.child_key == child_key,
            ConcernLevel.cycle == cycle,
            ConcernLevel.given_by == who.username,
        )
        .order_by(ConcernLevel.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)
