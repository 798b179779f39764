"""Monitoring history: one row per `shouhu monitor` run and one per figure it computed (feed ages, quarantine
rates, drift, realised precision, caseworker behaviour, selection rates). Aggregates only, no child keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_name", sa.String(128)),
        sa.Column("model_version", sa.String(32)),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_index("ix_monitor_runs_as_of", "monitor_runs", ["as_of"])
    op.create_table(
        "monitor_values",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("monitor_runs.id"), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("area_code", sa.String(12)),
        sa.Column("value", sa.Float),
        sa.Column("alert", sa.Boolean, nullable=False),
        sa.Column("detail", sa.JSON),
    )
    op.create_index("ix_monitor_values_run_metric", "monitor_values", ["run_id", "metric"])


def downgrade() -> None:
    op.drop_table("monitor_values")
    op.drop_table("monitor_runs")
