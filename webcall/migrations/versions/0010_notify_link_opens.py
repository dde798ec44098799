"""Rep notifications when a prospect opens a share link after it ended (webcall/link_opens.py →
webcall/notify.py): each rep's choice "also when a prospect opens an ended link", on for every rep who
had preferences before (as for new ones), and the delivery's link (`link_id`: such a delivery has no
call).

Revision ID: 0010_notify_link_opens
Revises: 0009_delivery_uid
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_notify_link_opens"
down_revision = "0009_delivery_uid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webcall_notify_prefs") as batch:
        batch.add_column(sa.Column("link_opens_on", sa.Boolean, nullable=False, server_default=sa.true()))
    with op.batch_alter_table("webcall_deliveries") as batch:
        batch.add_column(sa.Column("link_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webcall_deliveries") as batch:
        batch.drop_column("link_id")
    with op.batch_alter_table("webcall_notify_prefs") as batch:
        batch.drop_column("link_opens_on")
