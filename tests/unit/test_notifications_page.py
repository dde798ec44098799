"""The rep's Notifications page (`/demos/notifications`, webcall/notification_prefs.py): it says when
this server sends no call notifications at all (no itellico webhooks), and its test button saves and
tests what was typed, not what was saved before."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webcall.notification_prefs_store import get_prefs
from webcall.notification_store import deliveries

from .conftest import csrf, sign_in
from .test_notifications import SECRET, notify_app

pytestmark = pytest.mark.unit

CALLS_OFF = "Call notifications are off on this server"
TYPED = "https://hooks.example.com/typed-just-now"


def settings_page(client) -> str:
    return client.get("/demos/notifications").get_data(as_text=True)


@pytest.mark.parametrize("webhook_secret", [None, SECRET])
def test_the_page_says_when_no_call_can_notify_on_this_server(make_sales_app, webhook_secret):
    # Without itellico's webhooks (/webhooks/itellico answers 404) no call end or analysis ever
    # notifies, while the page promised "When a prospect's call on one of your links ends" and its
    # test worked: a rep relying on it missed every call.
    app = notify_app(make_sales_app, webhook_secret=webhook_secret)
    rep = app.test_client()
    sign_in(rep)
    page = settings_page(rep)
    if webhook_secret is None:
        assert CALLS_OFF in page and "itellico's webhooks are not set up" in page
        assert "Links opened after they ended are still notified" in page
    else:
        assert CALLS_OFF not in page


def queued_tests(app) -> list[tuple[str, str]]:
    with app.extensions["webcall"].calllog.engine.connect() as db:
        found = db.execute(
            select(deliveries.c.channel, deliveries.c.target).where(deliveries.c.kind == "test")
        )
        return [tuple(row) for row in found.all()]


def saved_url(app) -> str | None:
    svc = app.extensions["webcall"]
    with svc.calllog.engine.connect() as db:
        return get_prefs(db, svc.accounts.by_email("rep@example.com").id).webhook_url


def test_the_test_button_belongs_to_the_settings_form(make_sales_app):
    # A form of its own posted only its token: the URL just typed was thrown away.
    rep = notify_app(make_sales_app).test_client()
    sign_in(rep)
    page = settings_page(rep)
    form_id = re.search(r'<form id="([^"]+)"[^>]*action="/demos/notifications"', page).group(1)
    button = re.search(r'<button[^>]*formaction="/demos/notifications/test"[^>]*>([^<]*)<', page)
    assert button is not None and f'form="{form_id}"' in button.group(0)
    assert "send a test" in button.group(1).lower()


def test_send_a_test_saves_and_tests_the_url_just_typed(make_sales_app):
    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    token = csrf(settings_page(rep))
    # What the settings form's test button posts: the typed fields, to the test's address.
    r = rep.post("/demos/notifications/test", data={"csrf": token, "webhook_url": TYPED})
    assert r.status_code == 303
    assert saved_url(app) == TYPED
    assert queued_tests(app) == [("webhook", TYPED)]
    page = settings_page(rep)
    assert f'value="{TYPED}"' in page and "Test queued to 1 channel" in page


def test_a_refused_url_is_neither_saved_nor_tested(make_sales_app):
    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    token = csrf(settings_page(rep))
    r = rep.post("/demos/notifications/test", data={"csrf": token, "webhook_url": "not a url"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="webhook_url-error"' in page and 'value="not a url"' in page  # what was typed is kept
    assert saved_url(app) is None and queued_tests(app) == []


def test_a_page_opened_before_posts_only_its_token_and_tests_what_was_saved(make_sales_app):
    # A tab opened before the button joined the settings form: its test still tests the saved settings.
    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    token = csrf(settings_page(rep))
    assert rep.post("/demos/notifications", data={"csrf": token, "webhook_url": TYPED}).status_code == 303
    assert rep.post("/demos/notifications/test", data={"csrf": token}).status_code == 303
    assert saved_url(app) == TYPED and queued_tests(app) == [("webhook", TYPED)]


def test_too_many_tests_keep_what_was_typed_and_say_it_was_not_saved(make_sales_app):
    from webcall.ratelimit import SEND_TEST_LIMIT

    app = notify_app(make_sales_app)
    rep = app.test_client()
    sign_in(rep)
    token = csrf(settings_page(rep))
    allowed = int(SEND_TEST_LIMIT.split("/")[0])
    for _ in range(allowed):
        assert rep.post("/demos/notifications/test", data={"csrf": token}).status_code == 303
    r = rep.post("/demos/notifications/test", data={"csrf": token, "webhook_url": TYPED})
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert f'value="{TYPED}"' in page and "nothing was saved or sent" in page
    assert saved_url(app) is None and queued_tests(app) == []
