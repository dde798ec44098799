"""The task queue's messages are JSON, never pickle (webcall/task_serializer.py). Whoever can write to the
queue's storage (a shared Redis, the SQLite file) could otherwise run code in the worker, which holds the
API key, the secret key and the SMTP password: Huey's default serializer unpickles every message the
consumer dequeues (an audit ran `os.system` that way)."""

from __future__ import annotations

import json
import logging
import os
import pickle
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from huey import Huey
from huey.consumer import Worker
from huey.registry import Message

from webcall import create_app
from webcall.settings import Settings
from webcall.task_serializer import RefusedMessage
from webcall.tasks import make_huey, run_pending, task_queue

pytestmark = pytest.mark.unit


class Payload:
    """A message as an attacker writes it: unpickling it calls os.mkdir(marker)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Flask:
    changed = replace(
        settings,
        task_queue_url=f"sqlite:///{tmp_path}/tasks.sqlite3",
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
    )
    return create_app({"settings": changed, "TESTING": True})


def _raw_messages(huey: Huey) -> list[bytes]:
    return list(huey.storage.enqueued_items())


def test_a_pickled_message_does_not_run_when_the_worker_dequeues_it(tmp_path):
    huey = make_huey(f"sqlite:///{tmp_path}/tasks.sqlite3", tmp_path)
    marker = tmp_path / "ran"
    huey.storage.enqueue(pickle.dumps(Payload(marker)))
    with pytest.raises(Exception) as refused:  # which one: asserted below, after the marker
        huey.dequeue()  # what the consumer does; it logs "Error reading from queue" and drops it
    assert not marker.exists(), "the pickled payload ran in the worker"
    assert refused.type is RefusedMessage


def test_a_real_task_round_trips_and_runs(app):
    huey = task_queue(app).huey
    assert task_queue(app).enqueue_event("evt_round_trip")
    (raw,) = _raw_messages(huey)
    assert json.loads(raw)["args"] == ["evt_round_trip"]  # readable JSON in the storage
    task = huey.dequeue()
    assert (task.name, task.args, task.kwargs) == ("webhook_event", ("evt_round_trip",), {})
    assert huey.execute(task) == "missing"  # the app's own task ran: no such stored event


def test_a_scheduled_task_keeps_its_time(app):
    queue = task_queue(app)
    queue.deliver.schedule((7,), delay=600)
    task = queue.huey.dequeue()
    assert (task.name, task.args) == ("notification_delivery", (7,))
    now = datetime.now(UTC).replace(tzinfo=None)  # Huey's times are naive UTC
    assert isinstance(task.eta, datetime) and task.eta > now


def test_every_task_the_app_registers_is_accepted(settings, tmp_path):
    changed = replace(
        settings,
        refresh_minutes=5,
        task_queue_url="memory://",
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
    )
    huey = task_queue(create_app({"settings": changed, "TESTING": True})).huey
    registered = set(huey._registry._registry)
    assert len(registered) == 4 and registered == set(huey.serializer.names)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "webcall.tasks.not_ours"),
        ("name", "os.system"),
        ("args", [{"a": 1}]),
        ("args", [["nested"]]),
        ("args", [1.5]),
        ("kwargs", {"event_id": "x"}),
        ("on_complete", {"name": "webcall.tasks.webhook_event"}),
        ("eta", "not a time"),
    ],
)
def test_a_message_outside_the_apps_tasks_is_refused(app, field, value):
    huey = task_queue(app).huey
    task_queue(app).enqueue_event("evt_1")
    (raw,) = _raw_messages(huey)
    huey.flush()
    message = json.loads(raw)
    message[field] = value
    huey.storage.enqueue(json.dumps(message).encode())
    with pytest.raises(RefusedMessage):
        huey.dequeue()


@pytest.mark.parametrize("raw", [b"", b"[]", b'"x"', b"\x80\x04N.", b"{"])
def test_anything_but_a_json_message_is_refused(tmp_path, raw):
    huey = make_huey(f"sqlite:///{tmp_path}/tasks.sqlite3", tmp_path)
    huey.storage.enqueue(raw)
    with pytest.raises(RefusedMessage):
        huey.dequeue()


def _pickled_message(event_id: str) -> bytes:
    """A message as a version before the JSON serializer queued it (pickle of Huey's Message)."""
    message = Message(str(uuid.uuid4()), "webcall.tasks.webhook_event", args=(event_id,), kwargs={})
    return pickle.dumps(message)


def test_the_worker_drops_a_refused_message_and_runs_the_next(app, caplog):
    # After an upgrade the queue may still hold pickled messages: each is one logged error and gone (the
    # minute sweep queues its stored event again), and the worker goes on with the next message.
    huey = task_queue(app).huey
    huey.storage.enqueue(_pickled_message("evt_old"))
    task_queue(app).enqueue_event("evt_new")
    stopped = threading.Event()
    stopped.set()  # the worker's back-off after an error returns at once
    worker = Worker(huey, stopped, default_delay=0.1, max_delay=1, backoff=1.15)
    with caplog.at_level(logging.INFO):
        worker.loop()
        worker.loop()
    assert "Error reading from queue" in caplog.text and "RefusedMessage" in caplog.text
    assert "evt_old" not in caplog.text and len(huey) == 0
    assert worker.task_count == 1 and "webhook.applied event_id=evt_new outcome=missing" in caplog.text


def test_run_pending_drops_a_refused_message_as_the_worker_does(app, caplog):
    huey = task_queue(app).huey
    huey.storage.enqueue(_pickled_message("evt_old"))
    task_queue(app).enqueue_event("evt_new")
    with caplog.at_level(logging.INFO):
        assert run_pending(huey) == 1
    assert "tasks.refused a queued message that is not JSON" in caplog.text
