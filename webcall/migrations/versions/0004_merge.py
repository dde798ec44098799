"""One history again: the accounts, the links' owner/revocation and the demos (with their logos)
were written side by side off 0001; from here on revisions follow this one.

Revision ID: 0004_merge
Revises: 0002_accounts, 0002_links, 0003_logos
"""

from __future__ import annotations

revision = "0004_merge"
down_revision = ("0002_accounts", "0002_links", "0003_logos")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
