"""Demo profiles in the database (webcall/demo_store.py), with the revision counter every process
watches to reload them.

Revision ID: 0002_demos
Revises: 0001_call_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_demos"
down_revision = "0001_call_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_demos",
        sa.Column("slug", sa.String(63), primary_key=True),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
    )
    revision_table = op.create_table(
        "webcall_demo_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    # 0: not seeded yet. The first start imports WEBCALL_DEMOS_FILE and moves it to 1.
    op.bulk_insert(revision_table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("webcall_demo_revision")
    op.drop_table("webcall_demos")
