"""itellico's webhook events as they arrive: one row per `event_id` (the unique key is the dedupe),
written before the request is answered, so the row, not the task queue, is the source of truth.

Only what the call log needs is kept (event type, call id, room, status, duration, time): the
`messages` of a `conversation.ended` are never stored, as nothing of a conversation is
(webcall/calllog.py). `processed_at` is set in the same transaction that applies the event, so an
event is applied once, whoever runs it and however often it is queued (webcall/webhook_work.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import metadata, now

events = Table(
    "webcall_webhook_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("call_id", String(64), nullable=True, index=True),
    Column("room_sid", String(128), nullable=True),
    Column("status", String(32), nullable=True),
    Column("duration_seconds", Integer, nullable=True),
    Column("occurred_at", String(64), nullable=True),  # the envelope's `created`, as sent
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=True, index=True),
)


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    event_type: str
    call_id: str | None = None
    room_sid: str | None = None
    status: str | None = None
    duration_seconds: int | None = None
    occurred_at: str | None = None


def store(engine: Engine, event: WebhookEvent) -> bool:
    """Keep `event`; False when its `event_id` is already kept (a duplicate or a replay)."""
    try:
        with engine.begin() as db:
            db.execute(insert(events).values(**event.__dict__, received_at=now()))
    except IntegrityError:
        return False
    return True


# The sweep tries an unapplied event again for this long after it came, then leaves it: an event the
# worker cannot apply (a bug, data it chokes on) was queued every minute for ever. The refresh fallback
# (webcall/refresh.py) completes the call's row meanwhile.
GIVE_UP_AFTER = timedelta(hours=24)


def unprocessed(engine: Engine, older_than: timedelta = timedelta(0), limit: int = 5000) -> list[str]:
    """Event ids kept but not applied yet, oldest first (the sweep queues them again), received more
    than `older_than` and less than GIVE_UP_AFTER ago."""
    cutoff = now() - older_than
    with engine.connect() as db:
        rows = db.execute(
            select(events.c.event_id)
            .where(events.c.processed_at.is_(None), events.c.received_at <= cutoff)
            .where(events.c.received_at > now() - GIVE_UP_AFTER)
            .order_by(events.c.id)
            .limit(limit)
        ).all()
    return [row[0] for row in rows]


def give_up(engine: Engine) -> list[str]:
    """Mark the events never applied within GIVE_UP_AFTER as done with (the sweep stops queueing them;
    they are pruned like applied ones); returns their ids, for the log."""
    too_old = (events.c.processed_at.is_(None), events.c.received_at <= now() - GIVE_UP_AFTER)
    with engine.begin() as db:
        ids = list(db.execute(select(events.c.event_id).where(*too_old).limit(1000)).scalars())
        if ids:
            db.execute(update(events).where(*too_old, events.c.event_id.in_(ids)).values(processed_at=now()))
    return ids


# Applied events are kept this long, then dropped: far beyond the signature's timestamp tolerance, so a
# replay of a dropped event is refused as stale before the dedupe would have been needed.
KEEP_APPLIED = timedelta(days=30)


def prune(engine: Engine, keep: timedelta = KEEP_APPLIED) -> int:
    """Drop applied events older than `keep`; returns how many."""
    with engine.begin() as db:
        return db.execute(
            delete(events).where(events.c.processed_at.is_not(None), events.c.processed_at < now() - keep)
        ).rowcount
