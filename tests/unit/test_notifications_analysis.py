"""Rep notifications when itellico's analysis of a call is ready (`conversation.analysis.completed`,
webcall/webhook_work.py → webcall/notify.py `on_call_analysed`): one delivery per channel, once per
call whatever the duplicates, independent of the `ended` one in either order, nobody without a link
owner, and not for a rep who unticked "also when the call is analysed" (ticked by default)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from tests.receivers import webhook_receiver
from webcall import notify, schema
from webcall.db import engine_for
from webcall.formatting import quoted
from webcall.notification_prefs_store import prefs
from webcall.notification_text import call_notice
from webcall.tasks import task_queue

from .conftest import sign_in
from .test_notifications import call_on_rep_link, end, engine, notify_app, rows, set_prefs, work
from .test_webhooks import envelope, post

pytestmark = pytest.mark.unit

ANALYSED = "conversation.analysis.completed"


@pytest.fixture
def app(make_sales_app):
    # Port 9 refuses: the emails stay pending, and their rows are what these tests count.
    return notify_app(make_sales_app, smtp_host="127.0.0.1", smtp_port=9, smtp_from="webcall@example.com")


@pytest.fixture
def client(app):
    return app.test_client()


def analyse(client, call_id: str, event_id: str | None = None) -> dict[str, Any]:
    event = envelope(ANALYSED, call_id, event_id=event_id)
    assert post(client, event).status_code == 202
    return event


def kinds(app) -> list[tuple[str, str]]:
    return sorted((r["kind"], r["channel"]) for r in rows(app))


def test_an_analysed_call_notifies_its_reps_channels_once_each(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url, email_on=True, analysis_on=True)
        call_id = call_on_rep_link(app)
        analyse(client, call_id)
        work(app)
        (got,) = receiver.wait_for(1)
    assert kinds(app) == [("analysed", "email"), ("analysed", "webhook")]
    details = f"https://demo.example.com/demos/calls/{call_id}"
    body = json.loads(got.body)
    assert body["text"] == (
        f"Your prospect's call on demo alpenblick (link {quoted('Maria, Alpenblick')}) "
        "was analysed: analysis ready. "
        f"Details: {details}"
    )
    assert (body["event"], body["call_id"], body["call_url"]) == ("call.analysed", call_id, details)
    assert "status" not in body and "duration_seconds" not in body  # nothing the analysis did not say


def test_a_duplicate_analysis_event_notifies_no_second_time(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", email_on=True, analysis_on=True)
    call_id = call_on_rep_link(app)
    event = analyse(client, call_id)
    assert post(client, event).get_json() == {"status": "duplicate"}  # the same event_id again
    task_queue(app).process_event(event["event_id"])  # its task queued twice (the sweep, a retry)
    analyse(client, call_id)  # another analysis event (another event_id) for the same call
    work(app)
    assert kinds(app) == [("analysed", "email"), ("analysed", "webhook")]


def test_analysis_before_the_end_notifies_both_once_each(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", email_on=True, analysis_on=True)
    call_id = call_on_rep_link(app)
    analyse(client, call_id)
    work(app)
    assert kinds(app) == [("analysed", "email"), ("analysed", "webhook")]
    end(client, call_id)
    analyse(client, call_id)
    end(client, call_id)
    work(app)
    assert kinds(app) == [
        ("analysed", "email"),
        ("analysed", "webhook"),
        ("ended", "email"),
        ("ended", "webhook"),
    ]
    call = app.extensions["webcall"].calllog.call(call_id)
    assert (call.status, call.duration_seconds) == ("completed", 125)  # the end still applied in full


def test_a_call_without_a_link_owner_notifies_nobody_when_analysed(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", email_on=True, analysis_on=True)
    svc = app.extensions["webcall"]
    no_link = "call-without-link"
    svc.calllog.record(demo="default", mode="voice", outcome="created", call_id=no_link)
    from_before_reps = call_on_rep_link(app, owner="web")
    disabled_rep = call_on_rep_link(app, owner="gone@example.com")
    gone = sign_in(app.test_client(), "gone@example.com")
    svc.accounts.set_disabled(gone.id, True)
    for call_id in (no_link, from_before_reps, disabled_rep):
        analyse(client, call_id)
    work(app)
    assert rows(app) == []


def test_a_rep_who_unticked_it_hears_of_the_end_only(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", email_on=True, analysis_on=False)
    call_id = call_on_rep_link(app)
    end(client, call_id)
    analyse(client, call_id)
    work(app)
    assert kinds(app) == [("ended", "email"), ("ended", "webhook")]


def test_the_choice_is_ticked_until_unticked_and_kept(app, client):
    sign_in(client)
    box = 'name="analysis_on" type="checkbox" value="y" aria-describedby="analysis_on-help" checked'
    assert box in client.get("/demos/notifications").get_data(as_text=True)  # no preferences yet: on
    assert set_prefs(client, "https://hooks.example.com/x", analysis_on=False).status_code == 303
    assert box not in client.get("/demos/notifications").get_data(as_text=True)
    assert set_prefs(client, "https://hooks.example.com/x", analysis_on=True).status_code == 303
    assert box in client.get("/demos/notifications").get_data(as_text=True)


def test_the_hook_run_twice_in_one_transaction_writes_one_row_per_channel(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", analysis_on=True)
    call_id = call_on_rep_link(app)
    with engine(app).begin() as db, notify.collecting() as new:
        notify.on_call_analysed(db, call_id)
        notify.on_call_analysed(db, call_id)
        notify.on_call_ended(db, call_id)  # another kind: its own row
    assert len(new) == 2 and kinds(app) == [("analysed", "webhook"), ("ended", "webhook")]


def test_the_analysed_notice_and_its_email_subject():
    notice = call_notice(
        delivery_id=9,
        delivery_uid="uid-9",
        kind="analysed",
        call={
            "call_id": "c-1",
            "demo": "northwind",
            "link_id": "L1",
            "status": None,
            "duration_seconds": None,
        },
        link_label=None,
        call_url="https://demo.example.com/demos/calls/c-1",
    )
    assert notice.text == (
        f"Your prospect's call on demo northwind (link {quoted('L1')}) was analysed: analysis ready. "
        "Details: https://demo.example.com/demos/calls/c-1"
    )
    assert notice.subject == "Call analysed: northwind · L1"
    assert json.loads(notice.json_body())["event"] == "call.analysed"


def test_reps_who_chose_before_the_migration_get_it_on(tmp_path):
    engine_ = engine_for("sqlite:///webcall.sqlite3", tmp_path)
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "0006_notifications")
    with engine_.begin() as db:
        db.execute(text("INSERT INTO webcall_notify_prefs VALUES (1, NULL, 1, '2026-12-01 00:00:00')"))
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "head")
    with engine_.connect() as db:
        assert db.execute(select(prefs.c.analysis_on)).scalar() is True
