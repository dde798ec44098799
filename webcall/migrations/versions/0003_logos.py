"""Logos uploaded in the demo editor (webcall/logos.py), kept by content hash.

Revision ID: 0003_logos
Revises: 0002_demos
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_logos"
down_revision = "0002_demos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_logos",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webcall_logos")
