"""Each rep's notification preferences in the database (webcall_notify_prefs): where their
notifications go (a webhook URL, email to their account's address) and which they want besides a
call's end (its analysis, a link opened after it ended). Chosen on webcall/notification_prefs.py's
page and read when notifications are written (webcall/notify.py); the deliveries themselves are
webcall/notification_store.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from .db import metadata, now

MAX_URL = 2000  # a Slack incoming-webhook URL is ~80 characters; a bound keeps the column honest

prefs = Table(
    "webcall_notify_prefs",
    metadata,
    Column("account_id", Integer, ForeignKey("webcall_users.id"), primary_key=True),
    Column("webhook_url", String(MAX_URL), nullable=True),
    Column("email_on", Boolean, nullable=False, default=False),
    # Also tell them when itellico's analysis of the call is ready (a second message): on unless unticked.
    Column("analysis_on", Boolean, nullable=False, default=True, server_default=true()),
    # Also tell them when a prospect opens one of their links after it ended: on unless unticked.
    Column("link_opens_on", Boolean, nullable=False, default=True, server_default=true()),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Prefs:
    webhook_url: str | None = None
    email_on: bool = False
    analysis_on: bool = True
    link_opens_on: bool = True

    def targets(self, email: str | None) -> dict[str, str | None]:
        """Where the rep's notifications go, per channel (None: that channel is off); `email` is the
        rep's address, or None where no email can be sent."""
        return {"webhook": self.webhook_url, "email": email if self.email_on else None}


def get_prefs(db: Connection, account_id: int) -> Prefs:
    row = db.execute(select(prefs).where(prefs.c.account_id == account_id)).first()
    if row is None:
        return Prefs()
    return Prefs(
        webhook_url=row.webhook_url,
        email_on=row.email_on,
        analysis_on=row.analysis_on,
        link_opens_on=row.link_opens_on,
    )


def save_prefs(engine: Engine, account_id: int, chosen: Prefs) -> None:
    values = {
        "webhook_url": chosen.webhook_url,
        "email_on": chosen.email_on,
        "analysis_on": chosen.analysis_on,
        "link_opens_on": chosen.link_opens_on,
        "updated_at": now(),
    }
    saved = update(prefs).where(prefs.c.account_id == account_id).values(**values)
    try:
        with engine.begin() as db:
            if not db.execute(saved).rowcount:
                db.execute(insert(prefs).values(account_id=account_id, **values))
    except IntegrityError:
        # Made meanwhile by the same rep's other save (a double click, two tabs): this one replaces it.
        with engine.begin() as db:
            db.execute(saved)
