"""The end a rep was told about is the end the call log keeps: the `ended` notification is written on a
call's first `conversation.ended`, and a later one (a replay, a second one with another status or
duration) or a later look-up of itellico's `GET call` (the call's page, the refresh fallback) used to
rewrite the stored status and duration, so the notification, the call log and the studio's lists
disagreed. They now only fill in what the first end did not say (a duration it lacked)."""

from __future__ import annotations

import json

import pytest

from tests.receivers import webhook_receiver

from .conftest import sign_in
from .test_notifications import apply_event_only, call_on_rep_link, end, notify_app, set_prefs, work
from .test_notifications_prospect import prospect_call
from .test_webhooks import envelope, post

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return notify_app(make_sales_app)


@pytest.fixture
def client(app):
    return app.test_client()


def stored(app, call_id: str) -> tuple[str | None, int | None]:
    call = app.extensions["webcall"].calllog.call(call_id)
    return call.status, call.duration_seconds


def test_a_second_ended_changes_neither_the_notification_nor_the_call_log(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        call_id = call_on_rep_link(app)
        end(client, call_id)  # completed, 125 s: the first end, which writes the notification
        end(client, call_id, status="failed", duration_seconds=3)  # another event id, other facts
        apply_event_only(app)
        apply_event_only(app)  # both applied before the notification is sent
        work(app)
        (got,) = receiver.wait_for(1)
    assert "ended: completed, 2 min 5 s" in json.loads(got.body)["text"]
    assert stored(app, call_id) == ("completed", 125)
    end(client, call_id, status="transferred", duration_seconds=7)  # and after it was sent
    work(app)
    assert stored(app, call_id) == ("completed", 125)


def test_a_later_ended_fills_in_a_duration_the_first_did_not_say(app, client):
    call_id = call_on_rep_link(app)
    assert post(client, envelope("conversation.ended", call_id, status="completed")).status_code == 202
    work(app)
    assert stored(app, call_id) == ("completed", None)
    end(client, call_id, status="failed", duration_seconds=90)
    work(app)
    assert stored(app, call_id) == ("completed", 90)


def test_opening_the_call_page_keeps_the_end_the_rep_was_told(app, client, standin):
    # The call's page reads itellico's GET call and "brings the log up to date" with it: here the
    # stand-in's call lasted 0 s and the webhook said 125 s, and the log took the page's word.
    sign_in(client)
    call_id = prospect_call(app, client, standin, ("user", "Hello?"))
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_id)
        work(app)
        (got,) = receiver.wait_for(1)
    assert "2 min 5 s" in json.loads(got.body)["text"]
    assert client.get(f"/demos/calls/{call_id}").status_code == 200
    assert stored(app, call_id) == ("completed", 125)
