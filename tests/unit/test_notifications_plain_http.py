"""Plain `http://` webhooks in production: a notification carries the prospect's call facts and a link
to the call, and over plain HTTP anyone on the way reads (and could change) it. In production the form
refuses an http:// URL (the reason next to the field, what was typed kept), and a saved one is not used
(`refused_plain_http`, not retried, shown to the rep); development keeps it for loopback receivers, and
so does production for internal receivers when WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS is on."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from typing import Any

import pytest

from tests.receivers import webhook_receiver
from webcall import notification_text
from webcall.notification_prefs_store import Prefs, save_prefs
from webcall.notification_send import Failure, post_webhook

from .conftest import sign_in
from .test_notifications import call_on_rep_link, end, engine, notify_app, rows, set_prefs, work

pytestmark = pytest.mark.unit

PLAIN = "Use an https:// URL"


def production(make_sales_app, private: bool = False) -> Any:
    return notify_app(make_sales_app, environment="production", notify_allow_private_targets=private)


def test_production_refuses_a_plain_http_url_on_save_next_to_the_field_and_keeps_it(make_sales_app):
    client = production(make_sales_app).test_client()
    sign_in(client)
    typed = "http://hooks.example.com/services/T1/B2/secret"
    answer = set_prefs(client, typed, email_on=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    error = re.search(r'<p class="form-error" id="webhook_url-error"[^>]*>(.*?)</p>', page, re.S)
    assert error and PLAIN in error.group(1), page
    assert f'value="{typed}"' in page and 'type="checkbox" value="y" checked' in page
    assert set_prefs(client, typed.replace("http://", "https://")).status_code == 303


def test_development_still_takes_a_plain_http_url(make_sales_app):
    client = notify_app(make_sales_app).test_client()  # development, as `make run` and the tests
    sign_in(client)
    assert set_prefs(client, "http://hooks.example.com/x").status_code == 303


def test_production_with_private_targets_takes_plain_http_to_an_internal_address(make_sales_app):
    client = production(make_sales_app, private=True).test_client()
    sign_in(client)
    assert set_prefs(client, "http://127.0.0.1:8080/x").status_code == 303
    answer = set_prefs(client, "http://93.184.215.14/x")  # a public address: the Internet on the way
    assert answer.status_code == 400 and PLAIN in answer.get_data(as_text=True)


def test_a_saved_plain_http_target_is_not_used_in_production_and_the_rep_sees_why(
    make_sales_app, monkeypatch
):
    # Saved before the rule (or by a development setup of the same database): it was sent as it was.
    asked: list[str] = []
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, *a, **k: asked.append(host) or real(host, *a, **k)
    )
    app = production(make_sales_app)
    client = app.test_client()
    account = sign_in(client)
    save_prefs(engine(app), account.id, Prefs(webhook_url="http://hooks.example.invalid/services/T/B/x"))
    page = client.get("/demos/notifications").get_data(as_text=True)
    error = re.search(r'<p class="form-error" id="webhook_url-error"[^>]*>(.*?)</p>', page, re.S)
    assert error and PLAIN in error.group(1), page  # said at once, not only after a failed delivery
    end(client, call_on_rep_link(app))
    work(app)
    (row,) = rows(app)
    assert (row["status"], row["last_error"], row["attempts"]) == ("failed", "refused_plain_http", 1)
    assert "hooks.example.invalid" not in asked  # refused before anything left the server
    page = client.get("/demos/notifications").get_data(as_text=True)
    latest = re.search(r'<section class="demo-card" id="latest".*?</section>', page, re.S)
    assert latest and "refused_plain_http" in latest.group(0) and "https://" in latest.group(0)


def test_production_sends_plain_http_only_to_an_internal_address_and_only_when_allowed(settings):
    notice = notification_text.test_notice(1, "uid-1")
    internal = replace(settings, environment="production", notify_allow_private_targets=True)
    with webhook_receiver() as receiver:
        assert post_webhook(internal, receiver.url, notice) is None  # loopback: the receiver gets it
        receiver.wait_for(1)
        closed = replace(internal, notify_allow_private_targets=False)
        assert post_webhook(closed, receiver.url, notice) == Failure("refused_plain_http", retry=False)
        development = replace(settings, environment="development", notify_allow_private_targets=True)
        assert post_webhook(development, receiver.url, notice) is None
        assert len(receiver.wait_for(2)) == 2
    # A public address over plain HTTP: refused before any connection, private targets or not.
    public = post_webhook(internal, "http://93.184.215.14/hook", notice)
    assert public == Failure("refused_plain_http", retry=False)
