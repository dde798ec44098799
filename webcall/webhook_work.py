"""Applying one stored webhook event to the call log (run by the task queue, webcall/tasks.py).

One transaction claims the event (`processed_at` from NULL to now), applies it and commits: a worker
killed before the commit leaves the event unprocessed for the sweep; a second run of the same event
finds it claimed and does nothing. Events may arrive in any order: a `started` never overwrites the
final status an earlier-delivered `ended` wrote, and an analysis applied before its call's `ended`
marks only itself. The first `ended` and the first analysis of a call each set their own mark on the
call (`ended_event_at`, `analysis_at`) and, in the same transaction, run their notification hook
(webcall/notify.py): once each per call, in either order. The first `ended` also writes the call's
final status and duration, the ones its notification tells the rep; a later `ended` only fills in a
duration the first lacked (so does a later `GET call`, webcall/calllog.py `complete`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Column, Connection, Engine, or_, select, update

from . import notify
from .calllog import OPEN_STATUSES, calls
from .webhook_store import events, now

log = logging.getLogger("webcall.webhooks")

STARTED = "conversation.started"
ENDED = "conversation.ended"
ANALYSED = "conversation.analysis.completed"
KNOWN_EVENTS = frozenset({STARTED, ENDED, ANALYSED})
FINAL_STATUSES = frozenset({"completed", "failed", "transferred"})


def apply(engine: Engine, event_id: str) -> str:
    """Apply the stored event `event_id`; returns what happened (for logs and tests):
    applied | already | no_call | missing."""
    with engine.begin() as db:
        claimed = db.execute(
            update(events)
            .where(events.c.event_id == event_id, events.c.processed_at.is_(None))
            .values(processed_at=now())
        ).rowcount
        if claimed != 1:
            exists = db.execute(select(events.c.id).where(events.c.event_id == event_id)).first()
            return "already" if exists else "missing"
        row = db.execute(select(events).where(events.c.event_id == event_id)).one()._mapping
        call_id = _match(db, row["call_id"], row["room_sid"])
        if call_id is None:
            # Not a call of this app (another integration's, or one whose create failed): done.
            return "no_call"
        kind = row["event_type"]
        if kind == STARTED:
            _started(db, call_id)
        elif kind == ENDED:
            _ended(db, call_id, row["status"], row["duration_seconds"])
        elif kind == ANALYSED and _first(db, call_id, calls.c.analysis_at):
            notify.on_call_analysed(db, call_id)
    return "applied"


def _match(db: Connection, call_id: str | None, room_sid: str | None) -> str | None:
    """Our call for the event: by call id (`conversation_uuid` is the call's id), else by a room
    another event of the same call named."""
    if call_id and db.execute(select(calls.c.id).where(calls.c.call_id == call_id)).first():
        return call_id
    if room_sid:
        found = db.execute(
            select(events.c.call_id)
            .where(events.c.room_sid == room_sid, events.c.call_id.is_not(None))
            .join(calls, calls.c.call_id == events.c.call_id)
            .limit(1)
        ).scalar()
        return found
    return None


def _started(db: Connection, call_id: str) -> None:
    # Only while nothing final is known: an `ended` delivered first keeps its status.
    db.execute(
        update(calls)
        .where(calls.c.call_id == call_id)
        .where(or_(calls.c.status.is_(None), calls.c.status.in_(OPEN_STATUSES)))
        .values(status="in_progress", checked_at=now())
    )


def _ended(db: Connection, call_id: str, status: str | None, duration: int | None) -> None:
    this_call = calls.c.call_id == call_id
    if not _first(db, call_id, calls.c.ended_event_at):
        # The end the rep was told about stays the call's: a later `ended` (a replay, another with
        # other facts) only fills in a duration the first did not say.
        if duration is not None:
            db.execute(
                update(calls)
                .where(this_call, calls.c.duration_seconds.is_(None))
                .values(duration_seconds=duration, checked_at=now())
            )
        return
    final = status if status in FINAL_STATUSES else "completed"
    values: dict[str, object] = {"status": final, "checked_at": now()}
    if duration is not None:
        values["duration_seconds"] = duration
    db.execute(update(calls).where(this_call).values(**values))
    notify.on_call_ended(db, call_id)


def _first(db: Connection, call_id: str, mark: Column[Any]) -> bool:
    """Set the call's once-only `mark` (a time column) to now; True only for the one run that set it."""
    marked = db.execute(update(calls).where(calls.c.call_id == call_id, mark.is_(None)).values({mark: now()}))
    return marked.rowcount == 1
