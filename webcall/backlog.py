"""How long the task worker's work has waited: the age of the oldest thing only the worker does.

`python -m webcall.worker` applies itellico's webhook events and delivers rep notifications; the web
process only stores them (webcall/tasks.py). With the worker stopped, nothing said so: webhooks were
answered 202, `/readyz` said ready, and call-log updates and notifications waited without end (an
operator audit). With a worker running, an event is applied within seconds and the minute's sweep
queues a lost one again, and a due delivery is tried at once; so work due minutes ago means no worker
is doing it (stopped, or stuck). `/readyz` reports it (webcall/health.py, `worker`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from .db import aware, now
from .notification_store import deliveries
from .webhook_store import GIVE_UP_AFTER, events

# Well past the sweep's minute (webcall/tasks.py SWEEP_AFTER) and a delivery's longest attempt, so a
# worker that is merely busy is not called behind.
LATE = timedelta(minutes=5)


def oldest_waiting(engine: Engine) -> datetime | None:
    """When the oldest waiting work became due: an event kept and not applied (nor given up on), or a
    pending delivery's next attempt. None when nothing waits."""
    with engine.connect() as db:
        event = db.execute(
            select(func.min(events.c.received_at)).where(
                events.c.processed_at.is_(None), events.c.received_at > now() - GIVE_UP_AFTER
            )
        ).scalar()
        delivery = db.execute(
            select(func.min(deliveries.c.next_attempt_at)).where(deliveries.c.status == "pending")
        ).scalar()
    moments = [aware(moment) for moment in (event, delivery) if moment is not None]
    return min(moments) if moments else None


def worker_word(engine: Engine, late: timedelta = LATE) -> tuple[str, str]:
    """`ok`, or `behind` with how long the oldest work has waited (for the log)."""
    oldest = oldest_waiting(engine)
    if oldest is None or now() - oldest < late:
        return "ok", ""
    return "behind", f"work due {int((now() - oldest).total_seconds())} s ago"
