"""A delivery's identity for receivers that de-duplicate (`X-Webcall-Delivery`, the body's
`delivery_uid`, an email's Message-ID): the same on a repeat of the same delivery, never the same for
two deliveries, also across databases. The row's integer id restarts at 1 on a new database (a restore,
a fresh install), and a receiver that de-duplicated on it dropped the new install's notifications as
repeats."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select, text, update

from tests.receivers import smtp_receiver, webhook_receiver
from webcall import notify, schema
from webcall.db import engine_for
from webcall.notification_store import deliveries, now

from .conftest import sign_in
from .test_notifications import call_on_rep_link, end, engine, notify_app, rows, set_prefs, work

pytestmark = pytest.mark.unit


def first_delivery(make_sales_app, database: str, receiver: Any) -> Any:
    """A fresh install on `database` whose rep's first call notifies `receiver`: the request it got."""
    app = notify_app(make_sales_app, database_url=database)
    client = app.test_client()
    sign_in(client)
    set_prefs(client, receiver.url)
    end(client, call_on_rep_link(app))
    work(app)
    return app


def test_the_first_delivery_of_two_databases_is_not_the_same_delivery(make_sales_app, tmp_path):
    with webhook_receiver() as receiver:
        first_delivery(make_sales_app, f"sqlite:///{tmp_path}/old.sqlite3", receiver)
        first_delivery(make_sales_app, f"sqlite:///{tmp_path}/restored.sqlite3", receiver)
        old, new = receiver.wait_for(2)
    bodies = [json.loads(got.body) for got in (old, new)]
    assert [body["delivery_id"] == 1 for body in bodies] == [True, True]  # the number for humans stays
    identities = [got.headers["X-Webcall-Delivery"] for got in (old, new)]
    assert identities[0] != identities[1], identities
    for got, body in zip((old, new), bodies, strict=True):
        assert got.headers["X-Webcall-Delivery"] == body["delivery_uid"]
        assert uuid.UUID(body["delivery_uid"]).version == 4


def test_a_repeat_of_a_delivery_carries_the_same_identity(make_sales_app, tmp_path):
    # At least once: a worker killed after the receiver got it but before the row said `sent`.
    with webhook_receiver() as receiver:
        app = first_delivery(make_sales_app, f"sqlite:///{tmp_path}/calls.sqlite3", receiver)
        receiver.wait_for(1)
        with engine(app).begin() as db:
            db.execute(update(deliveries).values(status="pending", next_attempt_at=now()))
        (row,) = rows(app)
        assert notify.attempt(engine(app), app.extensions["webcall"].settings, row["id"])[0] == "sent"
        first, again = receiver.wait_for(2)
    assert first.headers["X-Webcall-Delivery"] == again.headers["X-Webcall-Delivery"] == row["uid"]


def test_a_row_written_without_an_identity_gets_one_when_it_is_tried(make_sales_app, tmp_path):
    # The previous release, still running during a rolling upgrade, writes rows without one.
    with webhook_receiver() as receiver:
        app = first_delivery(make_sales_app, f"sqlite:///{tmp_path}/calls.sqlite3", receiver)
        (row,) = rows(app)
        moment = now()
        with engine(app).begin() as db:
            values = {k: v for k, v in row.items() if k not in ("id", "uid", "call_id")}
            values |= {"kind": "test", "status": "pending", "attempts": 0, "next_attempt_at": moment}
            values["finished_at"] = None
            older = db.execute(insert(deliveries).values(call_id=None, **values))
        older_id = older.inserted_primary_key[0]
        assert notify.attempt(engine(app), app.extensions["webcall"].settings, older_id)[0] == "sent"
        _first, got = receiver.wait_for(2)
    given = {r["id"]: r["uid"] for r in rows(app)}[older_id]
    assert given and got.headers["X-Webcall-Delivery"] == given != row["uid"]


def test_an_email_repeat_has_the_same_message_id_and_two_deliveries_do_not(make_sales_app, tmp_path):
    with smtp_receiver() as (inbox, port):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "demos@example.com"}
        app = notify_app(make_sales_app, smtp_starttls=False, **smtp)
        client = app.test_client()
        sign_in(client)
        set_prefs(client, email_on=True)
        end(client, call_on_rep_link(app))
        end(client, call_on_rep_link(app, label="Second"))
        work(app)
        with engine(app).begin() as db:
            first_id = db.execute(select(deliveries.c.id).order_by(deliveries.c.id)).scalars().first()
            db.execute(update(deliveries).where(deliveries.c.id == first_id).values(status="pending"))
        notify.attempt(engine(app), app.extensions["webcall"].settings, first_id)
        with inbox.arrived:
            assert inbox.arrived.wait_for(lambda: len(inbox.messages) == 3, 5)
    ids = {message["Subject"]: [] for _to, message in inbox.messages}
    for _to, message in inbox.messages:
        ids[message["Subject"]].append(message["Message-ID"])
    uids = {r["id"]: r["uid"] for r in rows(app)}
    (repeated,) = [found for found in ids.values() if len(found) == 2]
    (other,) = [found for found in ids.values() if len(found) == 1]
    assert repeated[0] == repeated[1] == f"<{uids[first_id]}@example.com>" and other[0] != repeated[0]


def test_rows_from_before_the_migration_get_an_identity_each(tmp_path):
    engine_ = engine_for("sqlite:///webcall.sqlite3", tmp_path)
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "0008_link_refusals")
    with engine_.begin() as db:
        for call in ("c-1", "c-2"):
            db.execute(
                text(
                    "INSERT INTO webcall_deliveries (call_id, kind, channel, account_id, target, status,"
                    " attempts, next_attempt_at, created_at) VALUES (:call, 'ended', 'webhook', 1,"
                    " 'https://hooks.example.com/x', 'sent', 1, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
                ),
                {"call": call},
            )
    with engine_.begin() as db:
        command.upgrade(schema.config(db), "head")
    with engine_.connect() as db:
        uids = db.execute(select(deliveries.c.uid)).scalars().all()
    assert len(uids) == 2 and len(set(uids)) == 2 and all(uuid.UUID(u).version == 4 for u in uids)
