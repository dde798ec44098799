"""A create that never reached itellico gives its open-call place back, and a connect that timed out
is tried again as a refused one is: only a create that was sent and went unanswered keeps the place
(itellico may have made the call, webcall/api_limits.py).

A connect timeout (httpx.ConnectTimeout: nothing was sent) counted as any upstream timeout: with
itellico black-holed, a visitor who pressed "Try again" twice was told "Too many calls right now" for
WEBCALL_OPEN_CALL_HOLD_SECONDS (90 s), and the connect was never tried again. The browser still hears
`upstream_timeout` (504): the voice service did not answer in time.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from flask.testing import FlaskClient

from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import SECRET_KEY
from webcall import create_app
from webcall.settings import Settings

pytestmark = pytest.mark.unit

ACCOUNT = {"id": "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10", "name": "Test"}


def visitor_of(fail: type[httpx.TimeoutException], on: str, sent: list[str]) -> FlaskClient:
    """The app against an itellico whose requests ending in `on` fail with `fail`; `sent` gets each
    request the client made."""

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path.rsplit('/', 1)[-1]}")
        if request.url.path.endswith(on):
            raise fail("timed out", request=request)
        if request.url.path.endswith("/accounts/current"):
            return httpx.Response(200, json=ACCOUNT)
        return httpx.Response(
            201, json={"id": f"c{len(sent)}", "join": {"token": "t", "livekit_url": "wss://x"}}
        )

    settings = Settings(api_key="open-calls-key-0123", agent_id=DEFAULT_AGENT_ID, secret_key=SECRET_KEY)
    app = create_app(
        {
            "settings": replace(settings, open_calls_per_ip=2, rate_limit_per_ip="1000/minute"),
            "itellico_transport": httpx.MockTransport(handler),
            "itellico_sleep": lambda _seconds: None,
            "TESTING": True,
        }
    )
    return app.test_client()


def test_a_connect_timeout_gives_the_place_back_and_is_retried():
    sent: list[str] = []
    visitor = visitor_of(httpx.ConnectTimeout, "/calls", sent)
    for _ in range(3):  # two places: a third create that kept them all was refused with 429
        response = visitor.post("/api/calls", json={})
        assert response.status_code == 504, response.get_data()[:200]
        assert response.get_json()["error"]["code"] == "upstream_timeout"
    assert sent.count("POST calls") == 9  # each create tried three times, as a refused connect is


def test_a_create_whose_account_lookup_timed_out_gives_the_place_back():
    sent: list[str] = []
    visitor = visitor_of(httpx.ReadTimeout, "/accounts/current", sent)
    for _ in range(3):
        response = visitor.post("/api/calls", json={})
        assert response.status_code == 504, response.get_data()[:200]
    assert "POST calls" not in sent


def test_a_create_sent_and_unanswered_still_keeps_its_place():
    # The rule the two above narrow: after a read timeout itellico may have made the call, which
    # counts until it is heard of or the hold ends.
    sent: list[str] = []
    visitor = visitor_of(httpx.ReadTimeout, "/calls", sent)
    assert [visitor.post("/api/calls", json={}).status_code for _ in range(3)] == [504, 504, 429]
    assert sent.count("POST calls") == 2  # never retried: a second call could be made
