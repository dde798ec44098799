"""Rep notifications in the database: one delivery row per (call, kind, channel), the kind being what
happened to the call (`ended`, `analysed`) or a rep's `test`; or one per (kind, channel) and ending of
a share link that a prospect opened after it ended (`opened_after_end`: `link_id` set, no call; once
per ending by webcall/link_opens.py, whose refusal row is made once). Each rep's preferences are
webcall/notification_prefs_store.py's.

The delivery row, not the task queue, is the truth (like the webhook events, webcall/webhook_store.py):
it is written in the transaction that applies the call's `conversation.ended` or
`conversation.analysis.completed` (webcall/notify.py), and a task only says "try it now". An attempt
first *claims* the row: one UPDATE that moves it only while it is `pending`, due and not claimed by a
live attempt (`claimed_until`, a lease longer than any attempt may take), so two workers, or one task
run twice, never send it twice. The outcome is then written: `sent`, `failed` after MAX_ATTEMPTS, or
`pending` again with the next attempt's time (exponential backoff). A worker killed mid-attempt leaves
a claim that lapses; the sweep queues the row again.

A row's `id` is a number for people (the admins' log); it restarts at 1 on a new database (a restore,
a fresh install), so receivers are given its `uid` instead (a random UUID, the same on every attempt):
one that de-duplicates on the number dropped a new install's notifications as repeats. A row written
without one (by the previous release during a rolling upgrade: the column may be empty for that) gets
one when it is claimed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Update

from .accounts import users
from .db import metadata, now
from .db_wait import UNAVAILABLE
from .notification_prefs_store import MAX_URL

# The channels a delivery goes by, in the order a rep's notifications page lists them (`latest`).
CHANNELS = ("webhook", "email")
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)  # then 1, 2, 4, 8 minutes: the last try ~15 minutes after the first
MAX_RETRY = timedelta(minutes=30)

deliveries = Table(
    "webcall_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # What receivers de-duplicate on (X-Webcall-Delivery): unique across databases, unlike `id`.
    Column("uid", String(36), nullable=True, unique=True, index=True),
    Column("call_id", String(64), nullable=True, index=True),  # None for a rep's test and a link's
    Column("kind", String(16), nullable=False),  # ended | analysed | test | opened_after_end
    # The share link of an `opened_after_end` (revision 0010); None for the other kinds.
    Column("link_id", String(32), nullable=True),
    Column("channel", String(16), nullable=False),  # webhook | email
    Column("account_id", Integer, nullable=False, index=True),
    # Where it goes, as the rep set it when the row was written (the full URL: it is needed to send;
    # pages and logs show its host only).
    Column("target", String(MAX_URL), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_error", String(64), nullable=True),  # a code (http_503, timeout, refused_private, …)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("call_id", "kind", "channel", name="uq_webcall_deliveries_call_kind_channel"),
)


@dataclass(frozen=True)
class Delivery:
    id: int
    uid: str | None  # set once the row is claimed (a row from the previous release may lack it before)
    call_id: str | None
    kind: str
    channel: str
    account_id: int
    target: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    link_id: str | None = None  # an `opened_after_end`'s link


def _delivery(row: object) -> Delivery:
    m = row._mapping  # type: ignore[attr-defined]
    return Delivery(**{name: m[name] for name in Delivery.__dataclass_fields__})


def add(
    db: Connection,
    *,
    call_id: str | None,
    kind: str,
    channel: str,
    account_id: int,
    target: str,
    link_id: str | None = None,
) -> int | None:
    """One delivery row, due now; None when (call, kind, channel) already has one (nothing doubled)."""
    moment = now()
    try:
        with db.begin_nested():  # a duplicate must not undo the caller's transaction
            result = db.execute(
                insert(deliveries).values(
                    uid=str(uuid.uuid4()),
                    call_id=call_id,
                    link_id=link_id,
                    kind=kind,
                    channel=channel,
                    account_id=account_id,
                    target=target,
                    status="pending",
                    attempts=0,
                    next_attempt_at=moment,
                    created_at=moment,
                )
            )
    except IntegrityError:
        return None
    return int(result.inserted_primary_key[0])


def claim(engine: Engine, delivery_id: int, lease: timedelta) -> Delivery | None:
    """Take the row for one attempt (attempts + 1); None when it is not pending, not due or claimed."""
    moment = now()
    with engine.begin() as db:
        taken = db.execute(
            _up_for_an_attempt(delivery_id, moment).values(
                attempts=deliveries.c.attempts + 1,
                claimed_until=moment + lease,
                uid=func.coalesce(deliveries.c.uid, str(uuid.uuid4())),
            )
        ).rowcount
        if taken != 1:
            return None
        return _delivery(db.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one())


def unclaim(engine: Engine, delivery: Delivery) -> None:
    """Undo `claim` for an attempt that sent nothing because the database failed under it: the attempt
    uncounted (an outage must not use up MAX_ATTEMPTS and fail the rep's notification), the row
    unclaimed and due; only while the claim is still this attempt's (`attempts` unchanged). The database
    still down: the claim lapses after its lease and that attempt stays counted."""
    try:
        with engine.begin() as db:
            db.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery.id,
                    deliveries.c.status == "pending",
                    deliveries.c.attempts == delivery.attempts,
                )
                .values(attempts=delivery.attempts - 1, claimed_until=None)
            )
    except UNAVAILABLE:
        pass


def postpone(engine: Engine, delivery_id: int, delay: timedelta) -> bool:
    """Move a row that is due and not claimed to `delay` from now, no attempt counted (its lane is
    busy, webcall/notify.py); False when it was not ours to move (sent, failed, not due, claimed)."""
    moment = now()
    with engine.begin() as db:
        moved = db.execute(_up_for_an_attempt(delivery_id, moment).values(next_attempt_at=moment + delay))
        return moved.rowcount == 1


def _up_for_an_attempt(delivery_id: int, moment: datetime) -> Update:
    """An update of the row if it is pending, due and not claimed at `moment` (claim and postpone)."""
    return update(deliveries).where(
        deliveries.c.id == delivery_id,
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= moment,
        or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < moment),
    )


def backoff(attempts: int) -> timedelta:
    """How long after a failed attempt number `attempts` (1, 2, …) the next one is due."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


def finish(
    engine: Engine, delivery: Delivery, error: str | None, retry: bool = True
) -> tuple[str, timedelta | None]:
    """Write an attempt's outcome (`retry` False: trying again cannot help); returns the new status
    and, when it stays pending, the delay to the next try."""
    moment = now()
    if error is None:
        status, delay, values = "sent", None, {"finished_at": moment, "last_error": None}
    elif not retry or delivery.attempts >= MAX_ATTEMPTS:
        status, delay, values = "failed", None, {"finished_at": moment, "last_error": error}
    else:
        delay = backoff(delivery.attempts)
        status, values = "pending", {"next_attempt_at": moment + delay, "last_error": error}
    with engine.begin() as db:
        db.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery.id, deliveries.c.attempts == delivery.attempts)
            .values(status=status, claimed_until=None, **values)
        )
    return status, delay


def due(engine: Engine, late: timedelta, limit: int = 1000) -> list[int]:
    """Pending rows due `late` ago and not claimed by a live attempt: their task was lost."""
    moment = now()
    with engine.connect() as db:
        rows = db.execute(
            select(deliveries.c.id)
            .where(
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= moment - late,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < moment),
            )
            .order_by(deliveries.c.id)
            .limit(limit)
        ).all()
    return [row[0] for row in rows]


def recent(engine: Engine, limit: int = 200) -> list[tuple[Delivery, str | None]]:
    """The newest deliveries with their rep's email (None once the account is gone)."""
    with engine.connect() as db:
        rows = db.execute(
            select(deliveries, users.c.email.label("rep"))
            .select_from(deliveries.outerjoin(users, users.c.id == deliveries.c.account_id))
            .order_by(deliveries.c.id.desc())
            .limit(limit)
        ).all()
    return [(_delivery(row), row.rep) for row in rows]


def latest(engine: Engine, account_id: int) -> list[Delivery]:
    """A rep's newest delivery per channel (webhook first), for their notifications page."""
    with engine.connect() as db:
        rows = db.execute(
            select(deliveries)
            .where(deliveries.c.account_id == account_id)
            .order_by(deliveries.c.id.desc())
            .limit(50)
        ).all()
    newest: dict[str, Delivery] = {}
    for row in rows:
        newest.setdefault(row.channel, _delivery(row))
    return [newest[channel] for channel in CHANNELS if channel in newest]


def get(engine: Engine, delivery_id: int) -> Delivery | None:
    with engine.connect() as db:
        row = db.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return None if row is None else _delivery(row)
