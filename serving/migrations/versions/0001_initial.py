"""Service tables: users, visit lists and rows, decisions, audit log; append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("visit_lists", "visit_list_rows", "decisions", "audit_log")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area_code", sa.String(12), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "visit_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_code", sa.String(12), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("tie_break", sa.String(255), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("scope_kind", "scope_code", "as_of", "model_name", "model_version", name="uq_visit_list"),
    )
    op.create_table(
        "visit_list_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("visit_lists.id"), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("child_key", sa.String(32), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("percentile", sa.Float, nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("rule_flags", sa.String(512), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("age_years", sa.Integer, nullable=True),
        sa.Column("days_since_last_visit", sa.Integer, nullable=True),
        sa.Column("data_freshness", sa.JSON, nullable=False),
        sa.UniqueConstraint("list_id", "rank", name="uq_row_rank"),
        sa.UniqueConstraint("list_id", "child_key", name="uq_row_child"),
    )
    op.create_index("ix_visit_list_rows_child_key", "visit_list_rows", ["child_key"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_row_id", sa.Integer, sa.ForeignKey("visit_list_rows.id"), nullable=False),
        sa.Column("child_key", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("findings", sa.JSON, nullable=True),
        sa.Column("corrects_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("out_of_order", sa.Boolean, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_index("ix_decisions_child_key", "decisions", ["child_key"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("child_key", sa.String(32), nullable=True),
        sa.Column("scope", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(255), nullable=True),
    )
    op.create_index("ix_audit_log_child_key", "audit_log", ["child_key"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    # Defence in depth beside the ORM guard: the database itself refuses UPDATE and DELETE.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION shouhu_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION shouhu_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    for table in ("audit_log", "decisions", "visit_list_rows", "visit_lists", "users"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS shouhu_append_only()")
