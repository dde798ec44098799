"""What the browser and the log hear of itellico's refusals: a `Retry-After` the browser can trust, and
log lines that say which request itellico refused.

`round()` rounds half to even, so itellico's `Retry-After: 2.5` reached the browser as 2: a page that
waited as told came back half a second early and was refused again. And a summary (GET call) that
itellico refused was logged as "itellico rejected a create".
"""

from __future__ import annotations

import logging

import httpx
import pytest
from flask import Flask

from ..fuzz.rig import fuzz_app

pytestmark = pytest.mark.unit

CREATED = {"id": "c1", "status": "queued", "join": {"token": "a.b.c", "livekit_url": "wss://x"}}


def app_of(create: httpx.Response, call: httpx.Response | None = None) -> Flask:
    return fuzz_app(
        lambda request: create if request.method == "POST" else (call or httpx.Response(404)),
        rate_limit_per_ip="1000/minute",
    )


@pytest.mark.parametrize(("upstream", "told"), [("2.5", "3"), ("0.2", "1"), ("4", "4"), ("3600", "300")])
def test_itellicos_retry_after_reaches_the_browser_rounded_up(upstream, told):
    limited = httpx.Response(429, json={"code": "rate_limit_exceeded"}, headers={"Retry-After": upstream})
    response = app_of(limited).test_client().post("/api/calls", json={})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == told


def test_a_refused_summary_is_logged_as_a_summary_not_a_create(caplog):
    refused = httpx.Response(422, json={"code": "validation_error", "message": "bad"})
    client = app_of(httpx.Response(201, json=CREATED), refused).test_client()
    handle = client.post("/api/calls", json={}).get_json()["handle"]
    with caplog.at_level(logging.ERROR, logger="webcall.calls"):
        summary = client.get("/api/calls/c1", headers={"X-Call-Handle": handle})
    assert summary.status_code == 502 and summary.get_json()["error"]["code"] == "upstream_rejected"
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1 and lines[0].startswith("itellico rejected a summary (HTTP 422"), lines


def test_a_refused_create_is_still_logged_as_a_create(caplog):
    refused = httpx.Response(422, json={"code": "validation_error", "message": "bad"})
    with caplog.at_level(logging.ERROR, logger="webcall.calls"):
        created = app_of(refused).test_client().post("/api/calls", json={})
    assert created.get_json()["error"]["code"] == "upstream_rejected"
    assert [r.getMessage()[:35] for r in caplog.records if r.levelno >= logging.ERROR] == [
        "itellico rejected a create (HTTP 42"
    ]
