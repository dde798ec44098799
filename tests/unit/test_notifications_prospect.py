"""Whether the prospect said anything, in the `ended` notification: a call in which they only heard the
greeting read like a conversation ("ended: completed, 12 s"). The count of the prospect's lines comes
from itellico's `GET call` (here the stand-in's, over real HTTP) when the notification is sent; their
words are never sent, and a call itellico cannot tell about still notifies, without the count."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.receivers import webhook_receiver
from webcall import notify
from webcall.formatting import quoted
from webcall.notification_text import call_notice

from .conftest import REP_EMAIL, link_for, sign_in
from .test_notifications import call_on_rep_link, end, notify_app, set_prefs, work

pytestmark = pytest.mark.unit

FIRST_WORDS = "Do you have a sauna"


@pytest.fixture
def app(make_sales_app):
    return notify_app(make_sales_app)


@pytest.fixture
def client(app):
    return app.test_client()


def prospect_call(app, client, standin, *lines: tuple[str, str], initial_text: str | None = None) -> str:
    """A call made through the app on the rep's link, as the sandbox agent reports it to the stand-in:
    joined, `lines` said, hung up. `initial_text`: the page's own first message."""
    svc = app.extensions["webcall"]
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, "Maria, Alpenblick", created_by="web", owner=REP_EMAIL)
    # The prospect's own browser: the rep's, signed in, makes the demo's call (link_opens.from_a_rep).
    body = {"demo": "alpenblick", "link": link.token}
    body |= {"initial_text": initial_text} if initial_text else {}
    made = app.test_client().post("/api/calls", json=body)
    assert made.status_code == 201, made.get_json()
    call_id = made.get_json()["call_id"]
    store = standin.app.extensions["standin"]["store"]
    store.update(call_id, {"event": "participant_joined"})
    for role, message in lines:
        store.update(call_id, {"event": "message", "role": role, "message": message})
    store.update(call_id, {"event": "ended", "reason": "participant_left"})
    return call_id


def notified(app, client, call_id: str, **data: Any) -> tuple[dict[str, Any], bytes]:
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_id, **data)
        work(app)
        (got,) = receiver.wait_for(1)
    return json.loads(got.body), got.body


def test_a_call_in_which_the_prospect_said_nothing_says_so(app, client, standin):
    sign_in(client)
    call_id = prospect_call(app, client, standin, ("agent", "Hallo Maria, hier ist Lena."))
    body, _raw = notified(app, client, call_id, duration_seconds=12)
    assert "ended: completed, 12 s; the prospect said nothing. Details: " in body["text"], body["text"]
    assert body["prospect_spoke"] is False and body["prospect_lines"] == 0


def test_a_call_in_which_the_prospect_spoke_counts_their_lines_and_never_quotes_them(app, client, standin):
    sign_in(client)
    call_id = prospect_call(
        app,
        client,
        standin,
        ("agent", "Hallo Maria, hier ist Lena."),
        ("user", FIRST_WORDS + "?"),
        ("agent", "Yes, on the roof."),
        ("user", "   "),  # a blank line (the recogniser heard noise) is not something said
        ("user", "Great, thanks."),
    )
    body, raw = notified(app, client, call_id)
    assert "ended: completed, 2 min 5 s; the prospect spoke (2 lines). Details: " in body["text"]
    assert body["prospect_spoke"] is True and body["prospect_lines"] == 2
    assert FIRST_WORDS.encode() not in raw and b"Great, thanks" not in raw  # Slack is not the transcript


FIRST_MESSAGE = "Guten Tag {{ name }}, schön dass Sie da sind!"


@pytest.mark.parametrize("as_read", ["as sent", "filled in"])
def test_the_first_message_sent_for_the_visitor_is_not_a_line_they_said(app, client, standin, as_read):
    # A rep wrote a greeting into the demo's first message (initial_text); the call sent it for the
    # visitor, and the transcript has it as their first line: a prospect who then said nothing was
    # told as "the prospect spoke (1 line)".
    svc = app.extensions["webcall"]
    table = svc.demos.tables()["alpenblick"]
    svc.demos.save("alpenblick", {**table, "initial_text": FIRST_MESSAGE}, "test")
    sign_in(client)
    store = standin.app.extensions["standin"]["store"]
    line = FIRST_MESSAGE if as_read == "as sent" else "Guten Tag Maria,  schön dass Sie da sind!"
    greeting = ("agent", "Hallo Maria, hier ist Lena.")
    silent = prospect_call(app, client, standin, greeting, ("user", line), ("agent", "Ich habe verstanden."))
    assert store.creates[-1]["initial_text"] == FIRST_MESSAGE  # what the create sent for the visitor
    body, _raw = notified(app, client, silent, duration_seconds=12)
    assert "; the prospect said nothing. Details: " in body["text"], body["text"]
    assert body["prospect_spoke"] is False and body["prospect_lines"] == 0
    # Who then speaks is counted; a line like the first message later on is theirs too.
    spoke = prospect_call(
        app, client, standin, greeting, ("user", line), ("user", FIRST_WORDS + "?"), ("user", line)
    )
    body, _raw = notified(app, client, spoke)
    assert body["prospect_lines"] == 2, body["text"]


def test_a_pages_own_first_message_is_not_a_line_they_said_either(app, client, standin):
    # A host page's element sent its own first message (`initial-text`), not the demo's: judged only by
    # the demo's, a prospect who then said nothing was told as "the prospect spoke (1 line)" (a studio
    # audit). The call log keeps a digest of what the create sent (webcall/prospect_lines.py).
    sign_in(client)
    asked = "Ich möchte einen Termin buchen."
    greeting = ("agent", "Hallo Maria, hier ist Lena.")
    silent = prospect_call(app, client, standin, greeting, ("user", asked), initial_text=asked)
    assert standin.app.extensions["standin"]["store"].creates[-1]["initial_text"] == asked
    body, _raw = notified(app, client, silent, duration_seconds=12)
    assert body["prospect_spoke"] is False and body["prospect_lines"] == 0, body["text"]


def test_a_call_itellico_cannot_tell_about_is_notified_without_the_count(app, client):
    sign_in(client)
    call_id = call_on_rep_link(app)  # in the call log, unknown to the stand-in: GET call answers 404
    body, _raw = notified(app, client, call_id)
    assert body["text"].startswith(
        f"Your prospect's call on demo alpenblick (link {quoted('Maria, Alpenblick')}) ended: "
        "completed, 2 min 5 s. Details: "
    )
    assert body["prospect_spoke"] is None and body["prospect_lines"] is None


def test_the_email_subject_says_at_once_that_the_prospect_said_nothing():
    call = {
        "call_id": "c-1",
        "demo": "northwind",
        "link_id": "L1",
        "status": "completed",
        "duration_seconds": 9,
    }
    silent = call_notice(
        delivery_id=1, delivery_uid="uid-1", call=call, link_label="Bob", call_url=None, prospect_lines=0
    )
    assert silent.subject == "Call ended, the prospect said nothing: northwind · Bob"
    once = call_notice(
        delivery_id=2, delivery_uid="uid-2", call=call, link_label="Bob", call_url=None, prospect_lines=1
    )
    assert once.subject == "Call ended: northwind · Bob" and "the prospect spoke (1 line)." in once.text


def test_a_claim_outlasts_the_look_up_and_the_send(settings):
    # The attempt now asks itellico first (up to ITELLICOAI_TIMEOUT_SECONDS, at most 25): a claim
    # that lapsed meanwhile let a second attempt send the same message.
    slow = replace(settings, create_timeout_seconds=120.0, notify_timeout_seconds=1.0)
    assert notify.lease(slow) > timedelta(seconds=120 + 1)
