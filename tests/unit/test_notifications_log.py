"""The admins' delivery log (`/demos/deliveries`) names what each delivery was about: a call's end
(`ended`), its analysis (`analysed`) or a rep's test."""

from __future__ import annotations

import re

import pytest

from .conftest import csrf, sign_in
from .test_notifications import apply_event_only, call_on_rep_link, end, notify_app, set_prefs
from .test_notifications_analysis import analyse

pytestmark = pytest.mark.unit


def test_the_delivery_log_tells_an_ended_call_from_an_analysed_one_and_a_test(make_sales_app):
    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    set_prefs(rep, "https://hooks.example.com/x", analysis_on=True)
    call_id = call_on_rep_link(app)
    end(rep, call_id)
    analyse(rep, call_id)
    apply_event_only(app)
    apply_event_only(app)  # both events applied: their delivery rows are written, none sent
    page = rep.get("/demos/notifications").get_data(as_text=True)
    assert rep.post("/demos/notifications/test", data={"csrf": csrf(page)}).status_code == 303

    admin = app.test_client()
    sign_in(admin, "boss@example.com", role="admin")
    page = admin.get("/demos/deliveries").get_data(as_text=True)
    # the third cell
    what = r'<tr id="delivery-\d+"[^>]*>\s*<td>.*?</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>(.*?)</td>'
    whats = re.findall(what, page)
    link = f'<a href="/demos/calls/{call_id}">'
    assert whats == ["test", f"{link}call analysed</a>", f"{link}call ended</a>"]  # newest first


def test_each_delivery_shows_the_identity_its_receiver_gets(make_sales_app):
    """A receiver logs `X-Webcall-Delivery` (the delivery's uid, webcall/notification_send.py): the admin
    finds that delivery by it here."""
    from sqlalchemy import select

    from webcall.notification_store import deliveries

    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    set_prefs(rep, "https://hooks.example.com/x")
    page = rep.get("/demos/notifications").get_data(as_text=True)
    assert rep.post("/demos/notifications/test", data={"csrf": csrf(page)}).status_code == 303
    with app.extensions["webcall"].calllog.engine.connect() as db:
        rows = db.execute(select(deliveries.c.id, deliveries.c.uid)).all()
    assert rows and all(uid for _, uid in rows)
    admin = app.test_client()
    sign_in(admin, "boss@example.com", role="admin")
    page = admin.get("/demos/deliveries").get_data(as_text=True)
    for row_id, uid in rows:
        row = re.search(rf'<tr id="delivery-{row_id}".*?</tr>', page, re.S)
        assert row and uid in row.group(0), (row_id, uid)
