"""Server-side sign-in sessions of the sales studio.

The browser's (signed) cookie holds only a random session token; the database holds its SHA-256
with the account and the expiry. So a session ends for real: signing out deletes its row, and a
password change or a disabled account deletes every row of that account, whatever cookies are
still around. Storing the digest, not the token, means a read of the table signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from .accounts import Account, _account, users
from .db import aware as _aware
from .db import metadata

LIFETIME = timedelta(hours=12)  # the cookie's lifetime too (auth.py)

sessions = Table(
    "webcall_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex of the cookie's token
    Column(
        "account_id", Integer, ForeignKey("webcall_users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class SignedIn:
    """An open session: its token (the cookie's value) and its account."""

    token: str
    account: Account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, engine: Engine, lifetime: timedelta = LIFETIME) -> None:
        self.engine = engine
        self.lifetime = lifetime

    def start(self, account_id: int) -> str:
        """A new session for the account; returns its token (goes into the cookie)."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            # Expired rows are useless; dropping them here keeps the table small without a job.
            connection.execute(delete(sessions).where(sessions.c.expires_at < now))
            connection.execute(
                insert(sessions).values(
                    token_hash=_digest(token),
                    account_id=account_id,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return token

    def resolve(self, token: str) -> SignedIn | None:
        """The open session of `token`: not ended, not expired, its account not disabled."""
        if not token or len(token) > 100:
            return None
        query = (
            select(users, sessions.c.expires_at)
            .join(sessions, sessions.c.account_id == users.c.id)
            .where(sessions.c.token_hash == _digest(token))
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or row.disabled or _aware(row.expires_at) <= datetime.now(UTC):
            return None
        return SignedIn(token, _account(row))

    def end(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))

    def end_all(self, account_id: int) -> int:
        """End every session of the account; returns how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(delete(sessions).where(sessions.c.account_id == account_id)).rowcount

    def count(self, account_id: int) -> int:
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(sessions).where(sessions.c.account_id == account_id)
            return int(connection.execute(query).scalar_one())
