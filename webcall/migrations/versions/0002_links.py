"""Share links get an owner and can be revoked; their stored expiry becomes the one that counts.

Existing links keep every column; their owner becomes what `created_by` said (cli or web), so the
studio's owner filter finds them.

Revision ID: 0002_links
Revises: 0001_call_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_links"
down_revision = "0001_call_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add an index or drop columns in place.
    with op.batch_alter_table("webcall_links") as batch:
        batch.add_column(sa.Column("owner", sa.String(254), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(254), nullable=True))
        batch.create_index("ix_webcall_links_owner", ["owner"])
    links = sa.table("webcall_links", sa.column("owner", sa.String), sa.column("created_by", sa.String))
    op.execute(links.update().where(links.c.owner.is_(None)).values(owner=links.c.created_by))


def downgrade() -> None:
    with op.batch_alter_table("webcall_links") as batch:
        batch.drop_index("ix_webcall_links_owner")
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
        batch.drop_column("owner")
