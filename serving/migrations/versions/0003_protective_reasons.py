"""Visit-list rows keep the model's protective reasons (contribution < 0) apart from the risk-raising ones.

Rows saved before this revision have NULL here and one `reasons` list of both signs; readers split it by
sign (serving.explain.split_reasons). Adding a nullable column changes no existing row, so the append-only
triggers are not involved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("visit_list_rows", sa.Column("protective_reasons", sa.JSON, nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it), so the table and its triggers stay in place
    op.execute("ALTER TABLE visit_list_rows DROP COLUMN protective_reasons")
