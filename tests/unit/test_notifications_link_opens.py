"""Rep notifications when a prospect opens a share link that has ended (webcall/link_opens.py →
webcall/notify.py `on_link_opened_after_end`): the link's owner hears about it once per ending (the
first refused open; not the 2nd…nth; again after the link was extended and ended again), never for a
forged token, an ownerless link or a disabled rep, not when the rep turned it off, and the open
answers as before when the notification cannot be written or queued."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from tests.receivers import webhook_receiver
from tests.tokens import tampered
from webcall import schema
from webcall.db import engine_for
from webcall.link_store import LinkStore
from webcall.notification_prefs_store import prefs as notify_prefs
from webcall.tasks import task_queue

from .conftest import REP_EMAIL, csrf, link_for, ready_account, sign_in
from .test_notifications import engine, notify_app, rows, work

pytestmark = pytest.mark.unit

KIND = "opened_after_end"


@pytest.fixture
def app(make_sales_app):
    return notify_app(make_sales_app)


@pytest.fixture
def client(app):
    return app.test_client()


def prefs(client, webhook_url: str, link_opens_on: bool = True) -> None:
    token = csrf(client.get("/demos/notifications").get_data(as_text=True))
    ticked = {"link_opens_on": "y"} if link_opens_on else {}
    data = {"webhook_url": webhook_url, "csrf": token, **ticked}
    assert client.post("/demos/notifications", data=data).status_code == 303


def rep_link(app, exp_in: int = -3600, owner: str = REP_EMAIL, label: str = "Maria (Alpenblick)") -> Any:
    svc = app.extensions["webcall"]
    link = link_for(svc, exp_in=exp_in, name="Maria")
    svc.calllog.add_link(link, label, created_by="web", owner=owner)
    return link


def open_link(client, token: str, ip: str = "198.51.100.7") -> Any:
    """The demo page's link check as its script sends it (static/js/share-link.js), from the prospect's
    browser: not the rep's `client`, which is signed in (a rep's own look is not counted:
    webcall/link_opens.py `from_a_rep`)."""
    prospect = client.application.test_client()
    return prospect.post("/api/demos/alpenblick/link", json={"link": token}, environ_base={"REMOTE_ADDR": ip})


def link_rows(app) -> list[Any]:
    return [r for r in rows(app) if r["kind"] == KIND]


def test_the_first_open_of_an_expired_link_tells_its_rep_once(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        prefs(client, receiver.url)
        link = rep_link(app)
        for n in range(25):  # a stranger reloading: one message, not 25
            r = open_link(client, link.token, ip=f"198.51.100.{n + 1}")
            assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
        work(app)
        (got,) = receiver.wait_for(1)
    assert [(r["channel"], r["link_id"], r["call_id"]) for r in link_rows(app)] == [
        ("webhook", link.link_id, None)
    ]
    body = json.loads(got.body)
    studio = f"https://demo.example.com/demos#link-{link.link_id}"
    assert body["text"] == (
        "Maria (Alpenblick) opened the demo link after it expired — extend it or send a new one. "
        f"Studio: {studio}"
    )
    assert body["event"] == "link.opened_after_end" and body["ended"] == "expired"
    assert (body["link_id"], body["link_label"], body["demo"], body["studio_url"]) == (
        link.link_id,
        "Maria (Alpenblick)",
        "alpenblick",
        studio,
    )
    assert got.headers["X-Webcall-Delivery"] == body["delivery_uid"] == link_rows(app)[0]["uid"]
    assert "X-Webcall-Signature" in got.headers
    # Nothing about the visitor: no address, no browser.
    assert "198.51.100" not in got.body.decode() and "user_agent" not in body


def test_a_revoked_link_says_revoked(app, client):
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    link = rep_link(app, exp_in=3600)
    LinkStore(engine(app)).revoke(link.link_id, by=REP_EMAIL)
    assert open_link(client, link.token).get_json()["error"]["code"] == "link_revoked"
    assert len(link_rows(app)) == 1
    from webcall.notification_text import link_notice

    notice = link_notice(
        delivery_id=1,
        delivery_uid="u",
        link_id="l1",
        label="Maria",
        demo="d",
        ended="revoked",
        studio_url=None,
    )
    # A revoked link cannot be extended (webcall/link_store.py): only a new link helps.
    assert notice.text.startswith(
        "Maria opened the demo link after it was revoked — send a new one if they should have it."
    ), notice.text


def test_the_email_has_a_button_to_the_studio_and_the_admins_log_names_the_link(app, client):
    from webcall.notification_email import html
    from webcall.notification_text import link_notice

    studio = "https://demo.example.com/demos#link-l1"
    notice = link_notice(
        delivery_id=1,
        delivery_uid="u",
        link_id="l1",
        label="Maria",
        demo="d",
        ended="expired",
        studio_url=studio,
    )
    page = html(notice)
    assert f'<a href="{studio}"' in page and "Open the studio" in page and "Open the call" not in page
    assert "Studio: https://" not in page  # the sentence without its address: the button says it
    # The admins' delivery log: what it was about, not "test".
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    link = rep_link(app)
    open_link(client, link.token)
    admin = app.test_client()
    sign_in(admin, "admin@example.com", role="admin")
    log_page = admin.get("/demos/deliveries").get_data(as_text=True)
    assert f'href="/demos#link-{link.link_id}"' in log_page and "link opened after its end" in log_page


def test_again_only_after_the_link_was_extended_and_ended_again(app, client):
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    link = rep_link(app)
    open_link(client, link.token)
    open_link(client, link.token)
    assert len(link_rows(app)) == 1
    store = LinkStore(engine(app))
    store.extend(link.link_id, int(time.time()) + 3600)
    assert open_link(client, link.token).status_code == 200  # valid again: nothing to tell
    assert len(link_rows(app)) == 1
    store.extend(link.link_id, int(time.time()) - 60)  # and ended again
    open_link(client, link.token)
    open_link(client, link.token)
    assert len(link_rows(app)) == 2


def test_nobody_is_told_for_forged_ownerless_or_disabled_links(app, client):
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    forged = rep_link(app)
    assert open_link(client, tampered(forged.token)).get_json()["error"]["code"] == "link_invalid"
    cli = rep_link(app, owner="cli")
    stranger = rep_link(app, owner="nobody@example.com")
    account = ready_account(app, email="gone@example.com")
    app.extensions["webcall"].accounts.set_disabled(account.id, True)
    disabled = rep_link(app, owner="gone@example.com")
    for link in (cli, stranger, disabled):
        assert open_link(client, link.token).status_code == 410
    assert link_rows(app) == []


def test_a_rep_who_turned_it_off_is_not_told(app, client):
    sign_in(client)
    page = client.get("/demos/notifications").get_data(as_text=True)
    [box] = re.findall(r'<input[^>]*name="link_opens_on"[^>]*>', page)
    assert "checked" in box  # on until the rep unticks it
    prefs(client, "https://hooks.example.com/x", link_opens_on=False)
    page = client.get("/demos/notifications").get_data(as_text=True)
    [box] = re.findall(r'<input[^>]*name="link_opens_on"[^>]*>', page)
    assert "checked" not in box  # saved off, shown off
    link = rep_link(app)
    assert open_link(client, link.token).status_code == 410
    assert link_rows(app) == []


def test_the_open_answers_when_the_queue_is_down(app, client, monkeypatch, caplog):
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    link = rep_link(app)

    def down(*_args: Any) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(task_queue(app).huey, "enqueue", down)
    r = open_link(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    assert len(link_rows(app)) == 1  # written: the sweep queues it
    assert "tasks.enqueue failed" in caplog.text
    monkeypatch.undo()
    assert task_queue(app).sweep() == 1  # the row was kept: the sweep queues it


def test_the_open_answers_when_the_notification_cannot_be_written(app, client, monkeypatch, caplog):
    sign_in(client)
    prefs(client, "https://hooks.example.com/x")
    link = rep_link(app)
    with engine(app).begin() as db:
        db.execute(text("DROP TABLE webcall_deliveries"))
    r = open_link(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    with engine(app).connect() as db:  # the open itself is still counted
        assert db.execute(text("SELECT opens FROM webcall_link_refusals")).scalar() == 1
    assert "link_open notification not written" in caplog.text


def test_reps_who_chose_before_the_migration_get_it_on(tmp_path):
    engine_ = engine_for("sqlite:///webcall.sqlite3", tmp_path)
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "0009_delivery_uid")
    with engine_.begin() as db:
        db.execute(text("INSERT INTO webcall_notify_prefs VALUES (1, NULL, 1, '2026-12-01 00:00:00', 1)"))
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "head")
    with engine_.connect() as db:
        assert db.execute(select(notify_prefs.c.link_opens_on)).scalar() is True
        assert "link_id" in {c["name"] for c in inspect(db).get_columns("webcall_deliveries")}
