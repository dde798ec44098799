"""Rep notifications (webcall/notification_store.py): each rep's preferences and one delivery row per
(call, kind, channel), the truth the delivery tasks and the admins' delivery log go by.

Revision ID: 0006_notifications
Revises: 0005_webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notifications"
down_revision = "0005_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webcall_notify_prefs",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("webcall_users.id"), primary_key=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("email_on", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webcall_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(64), nullable=True, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False, index=True),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("call_id", "kind", "channel", name="uq_webcall_deliveries_call_kind_channel"),
    )


def downgrade() -> None:
    op.drop_table("webcall_deliveries")
    op.drop_table("webcall_notify_prefs")
