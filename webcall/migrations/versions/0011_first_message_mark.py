"""A call's first message as the call log knows it (webcall/prospect_lines.py `first_message_mark`): a
digest of the text its create sent for the visitor (the page's `initial_text`, else the demo's), "" for
none, never the words; NULL for calls logged before, which are judged by the demo's first message as it
is now. A host page's own first message was shown as the prospect's words and counted as "the prospect
spoke" (a studio audit).

Revision ID: 0011_first_message_mark
Revises: 0010_notify_link_opens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_first_message_mark"
down_revision = "0010_notify_link_opens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webcall_calls") as batch:
        batch.add_column(sa.Column("first_message", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webcall_calls") as batch:
        batch.drop_column("first_message")
