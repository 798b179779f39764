"""The service database's tables (SQLAlchemy 2 declarative). The schema itself is created by Alembic
(`serving/migrations`); these classes must match the latest revision (a test compares them).

Visit lists, their rows, decisions, concern levels and the audit log are append-only: `db.guard_append_only`
refuses any ORM update or delete of them, and the migrations add database triggers refusing raw SQL ones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    # 12-digit 统计用区划代码 of the village / township / county the user answers for (None: whole service)
    area_code: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # raised to revoke every token issued before (disable, password reset, sign-out); migration 0004
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class VisitList(Base):
    __tablename__ = "visit_lists"
    __table_args__ = (
        UniqueConstraint(
            "scope_kind", "scope_code", "as_of", "model_name", "model_version", name="uq_visit_list"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope_kind: Mapped[str] = mapped_column(String(16))  # village | township | county
    scope_code: Mapped[str] = mapped_column(String(12))
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_name: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(32))
    tie_break: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class VisitListRow(Base):
    __tablename__ = "visit_list_rows"
    __table_args__ = (
        UniqueConstraint("list_id", "rank", name="uq_row_rank"),
        UniqueConstraint("list_id", "child_key", name="uq_row_child"),
        Index("ix_visit_list_rows_child_key", "child_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("visit_lists.id"))
    rank: Mapped[int] = mapped_column(Integer)
    child_key: Mapped[str] = mapped_column(String(32))
    village_code: Mapped[str] = mapped_column(String(12))
    probability: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    rule_flags: Mapped[str] = mapped_column(String(512))  # rule names joined by ';' ('' when none)
    reasons: Mapped[list] = mapped_column(JSON)  # risk-raising (contribution > 0; mixed in rows before 0003)
    # contribution < 0 (migration 0003); None in rows saved before it, whose `reasons` hold both signs
    protective_reasons: Mapped[list | None] = mapped_column(JSON, nullable=True)
    age_years: Mapped[int | None] = mapped_column(Integer)
    days_since_last_visit: Mapped[int | None] = mapped_column(Integer)
    data_freshness: Mapped[dict] = mapped_column(
        JSON
    )  # feed -> latest recorded date (ISO) seen for the child


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_child_key", "child_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_row_id: Mapped[int] = mapped_column(ForeignKey("visit_list_rows.id"))
    child_key: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[dict | None] = mapped_column(JSON)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    out_of_order: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_child_key", "child_key"), Index("ix_audit_log_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    child_key: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied | not_found
    detail: Mapped[str | None] = mapped_column(String(255))


class ConcernLevel(Base):
    """The caseworker's own concern level for a child in a cycle, asked before the score is shown, so their
    judgement is recorded unanchored by the model's. A change of mind is a new row; the latest counts."""

    __tablename__ = "concern_levels"
    __table_args__ = (Index("ix_concern_levels_child_cycle", "child_key", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_key: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[dt.date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(16))
    given_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MonitorRun(Base):
    """One `shouhu monitor` run at an as-of date (migration 0005). Runs are history: a later run at the same
    date is a new row, and readers take the latest."""

    __tablename__ = "monitor_runs"
    __table_args__ = (Index("ix_monitor_runs_as_of", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    model_name: Mapped[str | None] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(32))
    alerts: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON)  # champion, gates, notes: what the dashboard shows as text


class MonitorValue(Base):
    """One figure of a monitor run: `metric` (e.g. feed_age_days, psi_input, precision_at_k), `subject` (the
    feed, indicator, list or group it is about), the area it covers, the value and whether it raised an
    alert. Aggregates only: never a child key."""

    __tablename__ = "monitor_values"
    __table_args__ = (Index("ix_monitor_values_run_metric", "run_id", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("monitor_runs.id"))
    metric: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(128))
    area_code: Mapped[str | None] = mapped_column(String(12))
    value: Mapped[float | None] = mapped_column(Float)
    alert: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict | None] = mapped_column(JSON)


APPEND_ONLY: tuple[type[Base], ...] = (VisitList, VisitListRow, Decision, AuditEntry, ConcernLevel)
