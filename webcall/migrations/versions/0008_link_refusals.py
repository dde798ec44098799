"""Refused opens of share links (webcall/link_opens.py): per link, how many times a prospect opened it
after it had expired or was revoked, the first and the last time. Nothing about the visitor.

Revision ID: 0008_link_refusals
Revises: 0007_notify_analysis
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_link_refusals"
down_revision = "0007_notify_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_link_refusals",
        sa.Column(
            "link_id",
            sa.String(32),
            sa.ForeignKey("webcall_links.link_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("opens", sa.Integer, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webcall_link_refusals")
