"""Refused webhook deliveries are limited per client IP. A wrong signature cost a read of up to 1 MiB,
an HMAC and a WARNING line each, without limit (an audit: 100 posts of 1 MiB in 2.5 s, 100 log lines).
Only refusals count: itellico's signed deliveries are never limited, even from an address that used
its refusals up (a misconfigured header name refuses itellico's own deliveries until it is fixed)."""

from __future__ import annotations

import json
import logging

import limits
import pytest

from tests.e2e.servers import free_port
from webcall.webhooks import REFUSALS_PER_IP

from .test_webhooks import SECRET, envelope, new_call, signed_headers, stored

pytestmark = pytest.mark.unit

URL = "/webhooks/itellico"
ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def app(make_sales_app):
    return make_sales_app(webhook_secret=SECRET)


def send(client, body: dict, environ: dict[str, str], **signing):
    raw = json.dumps(body).encode()
    return client.post(URL, data=raw, headers=signed_headers(raw, **signing), environ_base=environ)


def test_refusals_from_one_address_are_limited_and_signed_deliveries_still_pass(app, caplog):
    budget = limits.parse(REFUSALS_PER_IP).amount
    assert budget < 50
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="webcall.webhooks"):
        answers = [
            send(client, envelope("conversation.ended", new_call(app)), ATTACKER, sig="0" * 64)
            for _ in range(50)
        ]
    assert [a.status_code for a in answers] == [401] * budget + [429] * (50 - budget)
    limited = answers[-1]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["Cache-Control"] == "no-store" and limited.is_json
    assert caplog.text.count("webhook.refused") == budget  # the log is bounded too
    assert stored(app) == 0
    # itellico's real delivery from the same address, while its refusals are used up:
    call_id = new_call(app)
    signed = send(client, envelope("conversation.ended", call_id, status="completed"), ATTACKER)
    assert signed.status_code == 202, signed.get_data(as_text=True)
    assert stored(app) == 1
    # Another address has a budget of its own.
    elsewhere = {"REMOTE_ADDR": "198.51.100.4"}
    other = send(client, envelope("conversation.ended", new_call(app)), elsewhere, sig="0" * 64)
    assert other.status_code == 401


def test_signed_deliveries_never_count_against_the_budget(app):
    client = app.test_client()
    budget = limits.parse(REFUSALS_PER_IP).amount
    for _ in range(budget + 5):
        assert send(client, envelope("conversation.started", new_call(app)), ATTACKER).status_code == 202
    assert send(client, envelope("conversation.started", "x"), ATTACKER, sig="0" * 64).status_code == 401


def test_an_unreachable_redis_still_limits_refusals_in_the_process(make_sales_app, caplog):
    # WEBCALL_RATE_LIMIT_STORAGE_URI down: each refusal is counted in this process instead, not let through
    # unlimited and not a 500.
    app = make_sales_app(webhook_secret=SECRET, rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    budget = limits.parse(REFUSALS_PER_IP).amount
    with caplog.at_level(logging.WARNING, logger="webcall.webhooks"):
        answers = [
            send(client, envelope("conversation.ended", "x"), ATTACKER, sig="0" * 64) for _ in range(20)
        ]
    assert [a.status_code for a in answers] == [401] * budget + [429] * (20 - budget)
    assert caplog.text.count("webhook.refused") == budget
