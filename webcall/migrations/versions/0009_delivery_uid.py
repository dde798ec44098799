"""Rep notifications (webcall/notification_store.py): each delivery's `uid`, a random UUID that
receivers de-duplicate on (`X-Webcall-Delivery`), unique across databases where the row's integer id
restarts at 1 (a restore, a fresh install). Every row already there gets one of its own. The column
may stay empty, so the previous release can still write rows (a rolling upgrade, a rollback): such a
row gets its uid when it is claimed.

Revision ID: 0009_delivery_uid
Revises: 0008_link_refusals
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009_delivery_uid"
down_revision = "0008_link_refusals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webcall_deliveries") as batch:
        batch.add_column(sa.Column("uid", sa.String(36), nullable=True))
    table = sa.table("webcall_deliveries", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    db = op.get_bind()
    for (row_id,) in db.execute(sa.select(table.c.id)).all():
        db.execute(sa.update(table).where(table.c.id == row_id).values(uid=str(uuid.uuid4())))
    op.create_index("ix_webcall_deliveries_uid", "webcall_deliveries", ["uid"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_webcall_deliveries_uid", table_name="webcall_deliveries")
    with op.batch_alter_table("webcall_deliveries") as batch:
        batch.drop_column("uid")
