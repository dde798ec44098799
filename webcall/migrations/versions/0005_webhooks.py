"""itellico's webhook events (webcall/webhook_store.py) and what they add to a call: when its
`conversation.ended` first came (the notification hook's once-only mark) and when its analysis was ready.

Revision ID: 0005_webhooks
Revises: 0004_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_webhooks"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_webhook_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=True, index=True),
        sa.Column("room_sid", sa.String(128), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("duration_seconds", sa.Integer, nullable=True),
        sa.Column("occurred_at", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True, index=True),
    )
    with op.batch_alter_table("webcall_calls") as batch:
        batch.add_column(sa.Column("ended_event_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("analysis_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webcall_calls") as batch:
        batch.drop_column("analysis_at")
        batch.drop_column("ended_event_at")
    op.drop_table("webcall_webhook_events")
