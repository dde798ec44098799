"""One request id end to end: chosen first thing, in every response and error body, sent to
itellico, on every log line of the request; and JSON log lines that parse and carry no secret."""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import replace

import httpx
import pytest

from webcall import create_app, logs

pytestmark = pytest.mark.unit

FRESH = re.compile(r"[0-9a-f]{32}")


def seen_upstream(standin) -> list[dict[str, str]]:
    r = httpx.get(f"{standin.url}/_sandbox/request-ids", headers={"X-API-Key": standin.key})
    return r.json()["requests"]


def test_every_response_carries_its_own_fresh_request_id(client, standin):
    responses = [
        client.get("/healthz"),
        client.get("/"),
        client.get("/no-such-page"),
        client.post("/api/calls", json={"mode": "video"}),
        client.post("/api/calls", data="x", content_type="text/plain"),
    ]
    ids = [r.headers.get("X-Request-ID") for r in responses]
    assert all(i is not None and FRESH.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert [r.get_json()["error"]["request_id"] for r in responses[3:]] == ids[3:]


@pytest.mark.parametrize(
    ("hops", "incoming", "kept"),
    [
        (0, "from-anyone-42", False),  # without a trusted proxy anyone could choose our ids
        (1, "nginx.7f3a-9_b", True),
        (1, "x" * 64, True),
        (1, "x" * 65, False),
        (1, "two words", False),
        (1, "id;rm -rf", False),
        (1, "ünïcode", False),
    ],
)
def test_an_incoming_id_is_kept_only_from_a_trusted_proxy_and_only_if_sane(settings, hops, incoming, kept):
    app = create_app({"settings": replace(settings, trusted_proxy_hops=hops), "TESTING": True})
    answer = app.test_client().get("/healthz", headers={"X-Request-ID": incoming})
    request_id = answer.headers["X-Request-ID"]
    assert (request_id == incoming) is kept
    if not kept:
        assert FRESH.fullmatch(request_id)


def test_the_same_id_reaches_itellico_on_every_upstream_request(settings, standin):
    app = create_app({"settings": replace(settings, trusted_proxy_hops=1), "TESTING": True})
    answer = app.test_client().post("/api/calls", json={}, headers={"X-Request-ID": "visitor-trace-1"})
    assert answer.status_code == 201 and answer.headers["X-Request-ID"] == "visitor-trace-1"
    upstream = [r for r in seen_upstream(standin) if r["request_id"] == "visitor-trace-1"]
    assert [r["method"] for r in upstream if r["path"].endswith("/calls")] == ["POST"]
    fresh = app.test_client().post("/api/calls", json={})
    assert seen_upstream(standin)[-1]["request_id"] == fresh.headers["X-Request-ID"]


@pytest.fixture
def json_lines():
    """Everything logged, as the JSON lines a log shipper would read."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_json_log_lines_parse_carry_the_request_id_and_never_a_key_or_token(settings, standin, json_lines):
    app = create_app({"settings": replace(settings, log_format="json"), "TESTING": True})
    client = app.test_client()
    created = client.post("/api/calls", json={})
    token = created.get_json()["token"]
    standin.fault(mode="echo_key", times=1)  # itellico quotes our key in its error and field errors
    rejected = client.post("/api/calls", json={})
    assert rejected.get_json()["error"]["code"] == "upstream_rejected"
    # A library that logs a token or the key, traceback included, outside any request.
    try:
        raise RuntimeError(f"upstream said {standin.key} for {token}")
    except RuntimeError:
        logging.getLogger("some.library").exception("join token %s", token)

    text = json_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert standin.key not in text and token not in text and logs.REDACTED in text
    by_request = {}
    for line in lines:
        assert {"time", "level", "logger", "message", "pid"} <= set(line)
        by_request.setdefault(line.get("request_id"), []).append(line)
    rejected_lines = by_request[rejected.headers["X-Request-ID"]]
    assert {"webcall.calls"} <= {line["logger"] for line in rejected_lines}
    assert any("upstream_rejected" in line["message"] for line in rejected_lines)
    assert any("outcome=created" in line["message"] for line in by_request[created.headers["X-Request-ID"]])
    library = [line for line in lines if line["logger"] == "some.library"]
    assert library and "request_id" not in library[0] and "RuntimeError" in library[0]["exception"]


def test_text_log_lines_of_a_request_end_with_its_id(settings, standin):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("text"))
    logger = logging.getLogger("webcall.calls")
    logger.addHandler(handler)
    try:
        answer = create_app({"settings": settings, "TESTING": True}).test_client().post("/api/calls", json={})
    finally:
        logger.removeHandler(handler)
    (line,) = [line for line in stream.getvalue().splitlines() if "call.create" in line]
    assert line.endswith(f" request_id={answer.headers['X-Request-ID']}")
