"""One outcome per webhook request. A delivery stored while the task queue was down was counted twice,
`accepted` and `unqueued` (2 + 2 for two posts), and logged as `webhook.accepted`, which
docs/operations.md defines as stored and queued."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from sandbox.ports import free_port

from .test_webhooks import SECRET, envelope, new_call, post

pytestmark = pytest.mark.unit


def outcomes() -> dict[str, float]:
    counted: dict[str, float] = {}
    for family in REGISTRY.collect():
        if family.name == "webcall_webhook_events":
            for sample in family.samples:
                if sample.name == "webcall_webhook_events_total":
                    counted[sample.labels["outcome"]] = sample.value
    return counted


def changed(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {o: after[o] - before.get(o, 0.0) for o in after if after[o] != before.get(o, 0.0)}


def test_an_event_stored_while_the_queue_is_down_is_one_unqueued_outcome(make_sales_app, caplog):
    # A Redis queue nobody listens on: the web process connects only to enqueue, and that fails.
    app = make_sales_app(webhook_secret=SECRET, task_queue_url=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    before = outcomes()
    with caplog.at_level(logging.INFO, logger="webcall.webhooks"):
        answer = post(client, envelope("conversation.ended", new_call(app), status="completed"))
    # Stored: to itellico it is delivered.
    assert answer.status_code == 202 and answer.get_json() == {"status": "accepted"}
    after = outcomes()
    assert changed(before, after) == {"unqueued": 1.0}
    assert sum(after.values()) - sum(before.values()) == 1.0
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.webhooks"]
    assert [line.split()[0] for line in lines] == ["webhook.unqueued"], lines


def test_an_event_stored_and_queued_is_one_accepted_outcome(make_sales_app, caplog):
    app = make_sales_app(webhook_secret=SECRET)
    before = outcomes()
    with caplog.at_level(logging.INFO, logger="webcall.webhooks"):
        answer = post(app.test_client(), envelope("conversation.started", new_call(app)))
    assert answer.status_code == 202
    after = outcomes()
    assert changed(before, after) == {"accepted": 1.0}
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.webhooks"]
    assert [line.split()[0] for line in lines] == ["webhook.accepted"], lines
