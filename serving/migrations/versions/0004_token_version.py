"""Users get a token version: every access token carries the version it was issued under, and a request is
refused when the account's version has moved on since. Disabling an account, resetting its password or
`shouhu users sign-out` raise it, so a dismissed worker's token stops working at once (not at its expiry).

`users` is not append-only; existing accounts start at 0, so tokens issued before this revision (which carry no
version) are refused and their holders sign in again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("token_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN token_version")
