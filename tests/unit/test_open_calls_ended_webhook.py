"""A call's open-call place (webcall/open_calls.py) is given back when itellico's signed
`conversation.ended` for it arrives (webcall/webhooks.py), not only when the page reads the summary or
the hold runs out: a tab closed mid-call, or a call that failed after its create, held its client's
place for WEBCALL_OPEN_CALL_HOLD_SECONDS (90 s).

Each test runs with the limits in memory (one process) and in a real Redis, where the webhook reaches
another instance than the one whose create took the place."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest
import redis
from flask import Flask

from tests.e2e.servers import free_port
from webcall import create_app, open_calls
from webcall.tasks import run_pending, task_queue

from .test_open_calls import A, B, assert_refused, create, deployed, hang_up, read_summary, redis_url
from .test_webhooks import SECRET, URL, envelope, signed_headers

pytestmark = pytest.mark.unit


__all__ = ["redis_url"]  # the module's Redis, a fixture of test_open_calls


@pytest.fixture(params=["memory", "redis"])
def apps(request, standin, tmp_path) -> tuple[Flask, Flask]:
    """The app whose creates take places, and the one itellico's webhooks reach: the same app with the
    limits in memory; with Redis, two instances."""
    if request.param == "memory":
        app = create_app(
            {"settings": replace(deployed(standin, tmp_path), webhook_secret=SECRET), "TESTING": True}
        )
        return app, app
    url = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushall()
    settings = replace(deployed(standin, tmp_path, WEBCALL_RATE_LIMIT_STORAGE_URI=url), webhook_secret=SECRET)
    return create_app({"settings": settings, "TESTING": True}), create_app(
        {"settings": settings, "TESTING": True}
    )


def deliver(app: Flask, event_type: str, call_id: str, **data: Any) -> int:
    """itellico's signed event for `call_id`, received and then applied as the worker applies it."""
    raw = json.dumps(envelope(event_type, call_id, **data)).encode()
    answer = app.test_client().post(URL, data=raw, headers=signed_headers(raw))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return run_pending(task_queue(app).huey)


def test_itellicos_conversation_ended_frees_the_calls_place(apps):
    client, hook = apps[0].test_client(), apps[1]
    held = [create(client, A).get_json() for _ in range(2)]
    assert_refused(create(client, A))
    # The tab was closed mid-call: no summary read. itellico says the call ended.
    assert deliver(hook, "conversation.ended", held[0]["call_id"], status="completed") == 1
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))  # one place freed, once


def test_a_call_that_failed_after_its_create_frees_its_place_too(apps):
    client, hook = apps[0].test_client(), apps[1]
    held = [create(client, A).get_json() for _ in range(2)]
    assert deliver(hook, "conversation.ended", held[1]["call_id"], status="failed") == 1
    assert create(client, A).status_code == 201


def test_other_events_and_other_clients_calls_keep_the_places(apps, standin):
    client, hook = apps[0].test_client(), apps[1]
    held = [create(client, A).get_json() for _ in range(2)]
    other = create(client, B).get_json()
    deliver(hook, "conversation.started", held[0]["call_id"])
    deliver(hook, "conversation.analysis.completed", held[0]["call_id"])
    deliver(hook, "conversation.ended", other["call_id"], status="completed")
    assert_refused(create(client, A))
    # An `ended` delivered twice, then the page's read of the same call: the one place is given back once.
    deliver(hook, "conversation.ended", held[0]["call_id"], status="completed")
    deliver(hook, "conversation.ended", held[0]["call_id"], status="completed")
    hang_up(standin, held[0]["call_id"])
    assert read_summary(client, held[0], A).status_code == 200
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))


def test_open_calls_count_in_the_process_while_the_redis_cannot_be_reached(standin, tmp_path, caplog):
    # Without a request of Flask-Limiter's own (which would switch it to its in-memory storage first): a
    # Redis that goes away between its check and the create's place.
    settings = deployed(
        standin, tmp_path, WEBCALL_RATE_LIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0"
    )
    app = create_app({"settings": settings, "TESTING": True})
    with app.test_request_context(), caplog.at_level(logging.WARNING, logger="webcall.ratelimit"):
        assert [open_calls.take("ip:192.0.2.10", 2, 90) for _ in range(2)] == [None, None]
        assert open_calls.take("ip:192.0.2.10", 2, 90) == 90
        open_calls.ended("a call of another process")  # nothing held: nothing to give back, no error
    assert "open calls: the rate-limit storage cannot be reached (ConnectionError)" in caplog.text
