"""Rep notifications when itellico's analysis of a call is ready (webcall/notify.py): each rep's choice
"also when the call is analysed", on for every rep who had preferences before (as for new ones).

Revision ID: 0007_notify_analysis
Revises: 0006_notifications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_notify_analysis"
down_revision = "0006_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webcall_notify_prefs") as batch:
        batch.add_column(sa.Column("analysis_on", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("webcall_notify_prefs") as batch:
        batch.drop_column("analysis_on")
