"""The task queue (Huey): the one place its instance is made, from WEBCALL_TASK_QUEUE_URL.

- `sqlite:///instance/tasks.sqlite3` (the default of `make run` and `make serve`): an embedded queue in a
  file next to the database, for one host;
- `redis://…`: one queue shared by several app instances and workers;
- `memory://`: one process only (tests build their Settings directly and get this).

The web process only enqueues; `python -m webcall.worker` (webcall/worker.py) runs the tasks. A queued
task is a hint, never the truth: a webhook event is stored before its task is queued
(webcall/webhook_store.py), and the sweep queues every stored-but-unapplied event again, so a lost
task (a worker killed mid-way, a queue that was down) costs a delay, never an event. Rep
notifications work the same way: a delivery row (webcall/notification_store.py) is written with the
event that causes it, its task is queued after that commit, and the sweep queues a due row again.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from . import notification_store, notify, webhook_work
from .db_wait import UNAVAILABLE, described
from .services import EXTENSION
from .settings import SettingsError
from .task_serializer import JsonSerializer, RefusedMessage
from .webhook_store import give_up, prune, unprocessed

log = logging.getLogger("webcall.tasks")

KEY = "webcall.tasks"
# An event stored this long ago and still unapplied has lost its task (or it waits in a long queue:
# queueing it again is harmless, applying is once only).
SWEEP_AFTER = timedelta(seconds=60)

# The tasks init_app registers, by Huey's registry name (module.name): the only messages the queue's
# serializer accepts (webcall/task_serializer.py).
TASK_NAMES = tuple(
    f"{__name__}.{name}"
    for name in ("webhook_event", "notification_delivery", "webhook_sweep", "calllog_refresh")
)

T = TypeVar("T")


@dataclass(frozen=True)
class TaskQueue:
    huey: Huey
    process_event: Any  # huey TaskWrapper: process_event(event_id) queues it
    sweep: Any
    refresh: Any | None
    deliver: Any  # deliver(delivery_id) queues one try at a rep notification (webcall/notify.py)

    def enqueue_delivery(self, delivery_id: int) -> bool:
        """Queue a notification's delivery; False when the queue is unreachable (the sweep will)."""
        return _enqueue(self.deliver, "delivery", delivery_id)

    def enqueue_event(self, event_id: str) -> bool:
        """Queue the work for a stored event; False when the queue is unreachable (the sweep will)."""
        return _enqueue(self.process_event, "event_id", event_id)


def _enqueue(task: Any, name: str, key: object) -> bool:
    # What the task is for is stored before it is queued (the event, the delivery row): a queue that
    # is down costs a delay until the sweep, and nothing a request does may fail on it.
    try:
        task(key)
    except Exception as error:
        log.warning("tasks.enqueue failed %s=%s error=%s", name, key, type(error).__name__)
        return False
    return True


def unless_database_down(what: str, work: Callable[[], T], skipped: T) -> T:
    """Run `work`, every task's body. The database down (`UNAVAILABLE`: PostgreSQL stopped or restarting,
    out of connection slots, an SQLite file locked) is one warning line naming `what`, and `skipped` is
    returned: not huey's "Unhandled exception in task" with a traceback, once per event and retry, nor
    huey's retry. Nothing is lost: what a task is for is a row (an event, a delivery), and the minute
    sweep queues it again once the database answers (the sweep, down too, says so once a minute). Any
    other error is a bug: huey logs its traceback (and retries an event's task)."""
    try:
        return work()
    except UNAVAILABLE as error:
        log.warning("%s skipped: the database is unavailable (%s)", what, described(error))
        return skipped


def make_huey(url: str, root: Path) -> Huey:
    """The queue of `url` (checked by webcall/webhook_setting_checks.py task_queue_url). An SQLite file
    that cannot be used (a directory, a path under a file, a file that is no database) is a SettingsError
    naming WEBCALL_TASK_QUEUE_URL, one line like a bad WEBCALL_DATABASE_URL file; Redis is not reached here.

    Messages are JSON of the app's own tasks, never pickle (webcall/task_serializer.py). No results are
    stored: nothing reads them, and each would be a row or hash entry kept in the queue's storage."""
    options: dict[str, Any] = {"results": False, "serializer": JsonSerializer(TASK_NAMES)}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path = path if path.is_absolute() else root / path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return SqliteHuey("webcall", filename=str(path), **options)
        except (OSError, sqlite3.Error) as error:
            raise SettingsError(
                "WEBCALL_TASK_QUEUE_URL", f"cannot use {path} as the queue's SQLite file: {error}"
            ) from None
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey("webcall", url=url, **options)
    return MemoryHuey("webcall", **options)


def init_app(app: Flask, root: Path) -> TaskQueue:
    svc = app.extensions[EXTENSION]
    settings = svc.settings
    engine = svc.calllog.engine
    huey = make_huey(settings.task_queue_url, root)

    @huey.task(retries=5, retry_delay=10, name="webhook_event")
    def process_event(event_id: str) -> str:
        return unless_database_down(
            f"webhook_event event_id={event_id}", lambda: _process_event(event_id), "skipped"
        )

    def _process_event(event_id: str) -> str:
        with app.app_context(), notify.collecting() as deliveries:
            outcome = webhook_work.apply(engine, event_id)
        # Committed: the notification rows the event made exist now, so their tasks can find them.
        for delivery_id in deliveries:
            queue.enqueue_delivery(delivery_id)
        log.info("webhook.applied event_id=%s outcome=%s", event_id, outcome)
        return outcome

    @huey.task(name="notification_delivery")
    def deliver(delivery_id: int) -> str:
        # Retries are the row's (its next_attempt_at), not Huey's: a try that failed schedules the
        # next one with backoff, and the claim makes a second run of the same task a no-op.
        with app.app_context():
            status, delay = unless_database_down(
                f"notification_delivery delivery={delivery_id}",
                lambda: notify.attempt(engine, settings, delivery_id),
                ("skipped", None),
            )
        if delay is not None:
            deliver.schedule((delivery_id,), delay=delay.total_seconds())
        return status

    @huey.periodic_task(crontab(minute="*"), name="webhook_sweep")
    def sweep() -> int:
        return sweep_now(older_than=SWEEP_AFTER, prune_applied=True)

    def sweep_now(older_than: timedelta = timedelta(0), prune_applied: bool = False) -> int:
        # The database down: one line a minute; the next sweep after it is back does the work.
        return unless_database_down("sweep", lambda: _sweep(older_than, prune_applied), 0)

    def _sweep(older_than: timedelta, prune_applied: bool) -> int:
        if prune_applied:
            prune(engine)
        ids = unprocessed(engine, older_than)
        for event_id in ids:
            process_event(event_id)
        if ids:
            log.info("webhook.sweep queued=%d", len(ids))
        for event_id in give_up(engine):
            log.warning(
                "webhook.given_up event_id=%s: not applied within a day (the worker's errors say why)",
                event_id,
            )
        # Notifications due this long ago and not being tried have lost their task (or their retry).
        due = notification_store.due(engine, older_than)
        for delivery_id in due:
            deliver(delivery_id)
        if due:
            log.info("notification.sweep queued=%d", len(due))
        return len(ids) + len(due)

    refresh = None
    if settings.refresh_minutes:
        from .refresh import refresh_open_calls

        @huey.periodic_task(crontab(minute=f"*/{settings.refresh_minutes}"), name="calllog_refresh")
        def refresh() -> int:
            return refresh_open_calls(app)

    queue = TaskQueue(
        huey=huey, process_event=process_event, sweep=sweep_now, refresh=refresh, deliver=deliver
    )
    app.extensions[KEY] = queue
    return queue


def task_queue(app: Flask) -> TaskQueue:
    return app.extensions[KEY]


def run_pending(huey: Huey) -> int:
    """Run every queued task in this process (tests with memory://); returns how many ran. A message that
    is not one of the app's tasks (a pickled one queued by a version before webcall/task_serializer.py)
    is dropped with a warning, as the worker's consumer drops it ("Error reading from queue")."""
    count = 0
    while True:
        try:
            task = huey.dequeue()
        except RefusedMessage as error:
            log.warning("tasks.refused %s", error)
            continue
        if task is None:
            return count
        huey.execute(task)
        count += 1
