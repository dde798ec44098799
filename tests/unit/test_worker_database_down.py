"""The task worker while the database is down (webcall/tasks.py): each task says so in one warning line,
never huey's "Unhandled exception in task" with a traceback (docs/operations.md, "The database down"),
and nothing is lost: the event or delivery is a row, which the minute sweep queues again once the
database answers. A database error in the middle of a notification attempt is not a bug in sending
(`notification.error`, `internal_error`) and, when the database answers again at once, costs none of
the delivery's attempts: nothing was sent.

An audit found each of these with PostgreSQL stopped (a traceback per event and per retry); here the
app's engine refuses every new connection, as a stopped server does."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import ExitStack
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from tests.receivers import webhook_receiver
from webcall import notify
from webcall.tasks import task_queue

from .conftest import sign_in
from .test_notifications import call_on_rep_link, end, notify_app, rows, set_prefs, work
from .test_studio_database_down import database_down

pytestmark = pytest.mark.unit

WHY = "OperationalError: unable to open database file"


@pytest.fixture
def app(make_sales_app) -> Flask:
    return notify_app(make_sales_app)


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.exc_info], "a traceback was logged"


def test_an_event_task_with_the_database_down_is_one_line_and_the_sweep_applies_it_later(app, client, caplog):
    sign_in(client)
    call_id = call_on_rep_link(app)
    end(client, call_id)  # stored and queued while the database was up
    (queued,) = task_queue(app).huey.pending()
    (event_id,) = queued.args
    with database_down(app), caplog.at_level(logging.INFO):
        work(app)
    assert warnings(caplog) == [
        f"webhook_event event_id={event_id} skipped: the database is unavailable ({WHY})"
    ]
    no_traceback(caplog)
    assert task_queue(app).huey.scheduled() == []  # not huey's retry: the sweep queues the stored event
    assert task_queue(app).sweep() == 1
    work(app)
    assert app.extensions["webcall"].calllog.call(call_id).status == "completed"


def test_a_delivery_task_with_the_database_down_is_one_line(app, client, caplog):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/services/x")
    end(client, call_on_rep_link(app))
    huey = task_queue(app).huey
    huey.execute(huey.dequeue())  # the event, applied: its delivery task is queued
    (delivery,) = rows(app)
    with database_down(app), caplog.at_level(logging.INFO):
        work(app)
    assert warnings(caplog) == [
        f"notification_delivery delivery={delivery['id']} skipped: the database is unavailable ({WHY})"
    ]
    no_traceback(caplog)
    (row,) = rows(app)
    assert (row["status"], row["attempts"]) == ("pending", 0)


def test_the_database_failing_mid_attempt_is_no_bug_and_costs_no_attempt(app, client, monkeypatch, caplog):
    # The audit's F11: an OperationalError while reading the rep's target or the call, after the claim,
    # was logged as a bug in sending (`notification.error`, ERROR) and spent one of the six attempts as
    # `internal_error`; six blips failed the rep's notification for good.
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        real = notify._current_target

        def blip(*_args: Any) -> str:
            raise OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

        monkeypatch.setattr(notify, "_current_target", blip)
        with caplog.at_level(logging.INFO):
            work(app)
        (delivery,) = rows(app)
        assert warnings(caplog) == [
            f"notification_delivery delivery={delivery['id']} skipped: the database is unavailable "
            "(OperationalError: database is locked)"
        ]
        no_traceback(caplog)
        assert "notification.error" not in caplog.text and "notification.retry" not in caplog.text
        # Nothing was sent and the attempt was given back: due again, unclaimed, for the sweep to queue.
        assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("pending", 0, None)
        assert delivery["claimed_until"] is None and receiver.requests == []
        monkeypatch.setattr(notify, "_current_target", real)
        assert task_queue(app).sweep() == 1
        work(app)
        receiver.wait_for(1)
    (delivery,) = rows(app)
    assert (delivery["status"], delivery["attempts"]) == ("sent", 1)


def test_a_database_gone_mid_attempt_leaves_the_claim_to_lapse_in_one_line(app, client, monkeypatch, caplog):
    """Down for good (the attempt cannot be given back either): one line all the same; the claim lapses
    (webcall/notify.py `lease`) and the sweep queues the delivery again then."""
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/services/x")
    end(client, call_on_rep_link(app))
    huey = task_queue(app).huey
    huey.execute(huey.dequeue())
    with ExitStack() as outage:

        def stop_then_read(*_args: Any) -> str:
            outage.enter_context(database_down(app))  # stopped after the claim, for the rest of the attempt
            with app.extensions["webcall"].calllog.engine.connect():
                raise AssertionError("the database answered")

        monkeypatch.setattr(notify, "_current_target", stop_then_read)
        with caplog.at_level(logging.INFO):
            work(app)
    (delivery,) = rows(app)
    assert warnings(caplog) == [
        f"notification_delivery delivery={delivery['id']} skipped: the database is unavailable ({WHY})"
    ]
    no_traceback(caplog)
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    assert delivery["claimed_until"] is not None
