"""Odd answers from itellico never crash a create: each one found by hand or by the upstream fuzz
(tests/fuzz/test_fuzz_upstream.py) is pinned here, through the whole app with an httpx MockTransport
standing in for itellico. Every create gets a documented error code and a call-log row."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from webcall import create_app
from webcall.errors import ErrorCode

pytestmark = pytest.mark.unit

ACCOUNT = {"id": "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10", "name": "Test"}
Responder = Callable[[httpx.Request], httpx.Response]


def make_client(settings, respond: Responder):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts/current"):
            return httpx.Response(200, json=ACCOUNT)
        return respond(request)

    app = create_app(
        {
            "settings": replace(
                settings, rate_limit_per_ip="10000/minute", rate_limit_per_demo="10000/minute"
            ),
            "itellico_transport": httpx.MockTransport(handler),
            "TESTING": True,
        }
    )
    return app, app.test_client()


def rows(app) -> int:
    return len(app.extensions["webcall"].calllog.calls(limit=10_000))


def raw(status: int, body: bytes | str, headers: dict[str, str] | None = None) -> Responder:
    content = body.encode() if isinstance(body, str) else body
    return lambda _request: httpx.Response(
        status, content=content, headers={"Content-Type": "application/json", **(headers or {})}
    )


@pytest.mark.parametrize(
    ("status", "body", "headers", "code"),
    [
        # itellico's shape with a non-list `errors`: used to raise TypeError (a bare 500).
        (422, {"code": "validation_error", "message": "bad", "errors": 1}, {}, "upstream_rejected"),
        (
            422,
            {"errors": [1, None, {"field": 5}, {"field": "x", "message": {"a": 1}}]},
            {},
            "upstream_rejected",
        ),
        # FastAPI's shape with a non-list `loc`: used to raise TypeError.
        (400, {"detail": [{"loc": 7}]}, {}, "upstream_rejected"),
        (
            422,
            {"detail": [{"loc": None, "msg": None}, "text", {"loc": [1, {"a": 2}]}]},
            {},
            "upstream_rejected",
        ),
        (422, {"detail": {"nested": True}, "message": 42, "code": ["x"]}, {}, "upstream_rejected"),
        # A Retry-After of infinity used to overflow round() in the browser error: a bare 500.
        (429, {"code": "rate_limit_exceeded"}, {"Retry-After": "inf"}, "rate_limited"),
        (429, {}, {"Retry-After": "1e400"}, "rate_limited"),
        (429, {}, {"Retry-After": "nan"}, "rate_limited"),
        (503, {}, {"Retry-After": "-5"}, "upstream_unavailable"),
        # A redirect is no answer we can use; it is not "our request was rejected".
        (302, {}, {"Location": "https://elsewhere.example"}, "upstream_unavailable"),
    ],
)
def test_odd_error_bodies_map_to_documented_codes(settings, status, body, headers, code):
    app, client = make_client(settings, raw(status, json.dumps(body), headers))
    response = client.post("/api/calls", json={})
    assert response.get_json()["error"]["code"] == code
    assert response.status_code < 600 and response.status_code != 500
    assert rows(app) == 1


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's recursion limit
        '{"id": "c1", "join": {"token": "t", "livekit_url": "wss://x"}',  # truncated
        b"\xff\xfe\x00garbage",
        '{"id": 5, "join": {"token": "t", "livekit_url": "wss://x"}}',
        '{"id": "c1", "join": {"token": ["t"], "livekit_url": "wss://x"}}',
        '{"id": "c1", "join": []}',
    ],
)
def test_unusable_success_bodies_are_upstream_unavailable(settings, body):
    app, client = make_client(settings, raw(201, body))
    response = client.post("/api/calls", json={})
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == ErrorCode.UPSTREAM_UNAVAILABLE.value
    assert rows(app) == 1


def test_deeply_nested_error_body_is_still_a_documented_error(settings):
    app, client = make_client(settings, raw(422, "[" * 100_000 + "]" * 100_000))
    response = client.post("/api/calls", json={})
    assert response.get_json()["error"]["code"] == "upstream_rejected"
    assert rows(app) == 1


def test_a_body_broken_off_mid_read_is_upstream_unavailable(settings):
    def broken(_request: httpx.Request) -> httpx.Response:
        def chunks():
            yield b'{"id": "c1", "jo'
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

        return httpx.Response(201, stream=_Stream(chunks))

    app, client = make_client(settings, broken)
    response = client.post("/api/calls", json={})
    assert response.get_json()["error"]["code"] == "upstream_unavailable"
    assert rows(app) == 1


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Callable[[], object]) -> None:
        self._chunks = chunks

    def __iter__(self):
        yield from self._chunks()  # type: ignore[misc]


def test_summary_messages_of_the_wrong_type_are_dropped_or_made_text(settings):
    call = {
        "id": "c1",
        "status": "completed",
        "duration_seconds": True,
        "messages": [
            {"role": "user", "message": 5, "timestamp": 7},
            {"role": "agent", "message": "Hello", "timestamp": "2026-01-01T00:00:00Z"},
            {"role": ["agent"], "message": "x"},
            "junk",
        ],
    }

    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                201, json={"id": "c1", "join": {"token": "t.t.t", "livekit_url": "wss://x"}}
            )
        return httpx.Response(200, json=call)

    _app, client = make_client(settings, respond)
    created = client.post("/api/calls", json={}).get_json()
    summary = client.get("/api/calls/c1", headers={"X-Call-Handle": created["handle"]}).get_json()
    assert summary["duration_seconds"] is None
    assert summary["messages"] == [
        {"role": "user", "message": "", "timestamp": None},
        {"role": "agent", "message": "Hello", "timestamp": "2026-01-01T00:00:00Z"},
    ]
