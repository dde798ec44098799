"""The call log and the share links, as the app created them before it had migrations.

Revision ID: 0001_call_log
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_call_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(64), unique=True, nullable=True),
        sa.Column("demo", sa.String(64), nullable=False, index=True),
        sa.Column("link_id", sa.String(32), nullable=True, index=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(48), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("duration_seconds", sa.Integer, nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "webcall_links",
        sa.Column("link_id", sa.String(32), primary_key=True),
        sa.Column("demo", sa.String(64), nullable=False, index=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("variables", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webcall_links")
    op.drop_table("webcall_calls")
