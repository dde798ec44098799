"""Property-based fuzzing of what itellico answers (Hypothesis through an httpx MockTransport):
any status, any headers, JSON of any shape, garbage bytes and truncated bodies, and text with lone
surrogates, control characters or more characters than the call log's columns hold, numbers past its
integer (Hypothesis' own `st.text()` never makes a surrogate). Whatever comes back, the browser gets a
documented code in the documented shape, never a 5xx of ours (`internal_error`), every create leaves
exactly one call-log row, and what the row keeps fits it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from webcall.calllog import calls
from webcall.errors import ErrorCode
from webcall.itellico_types import MAX_CALL_SECONDS, MAX_ID_LENGTH, MAX_STATUS_LENGTH

from .rig import fuzz_app

pytestmark = pytest.mark.fuzz

CREATE_EXAMPLES = 1500
SUMMARY_EXAMPLES = 600
FUZZ = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL_ERROR.value}
# What a create or a summary may answer when itellico misbehaves (docs/api.md).
CREATE_STATUSES = {201, 429, 502, 503, 504}
SUMMARY_STATUSES = {200, 404, 429, 502, 503, 504}

# Text JSON may carry and the call log cannot (a lone surrogate: "\ud83d"; NUL, line breaks), and
# text longer than its columns.
odd_text = st.one_of(
    st.text(st.characters(categories=["Cs", "Cc"]) | st.characters(max_codepoint=127), max_size=8),
    st.text(min_size=MAX_STATUS_LENGTH, max_size=MAX_ID_LENGTH + 8),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    odd_text,
)
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["code", "message", "detail", "errors", "loc", "msg", "field", "id", "join", "x"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=15,
)
# Bodies close to the documented ones, with any field's value replaced by anything.
create_answer = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=20), odd_text, any_json),
        "status": st.one_of(odd_text, any_json),
        "agent_name": any_json,
        "join": st.one_of(
            st.just({"token": "a.b.c", "livekit_url": "wss://x"}),  # often usable: the id and status are read
            any_json,
            st.fixed_dictionaries(
                {},
                optional={"token": st.one_of(st.just("a.b.c"), any_json), "livekit_url": any_json},
            ),
        ),
    },
)
error_answer = st.fixed_dictionaries(
    {},
    optional={
        "code": any_json,
        "message": any_json,
        "detail": st.one_of(any_json, st.lists(st.dictionaries(st.sampled_from(["loc", "msg"]), any_json))),
        "errors": st.one_of(
            any_json, st.lists(st.dictionaries(st.sampled_from(["field", "message"]), any_json))
        ),
    },
)
summary_answer = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.just("c1"), any_json),
        "status": any_json,
        "duration_seconds": any_json,
        "messages": st.one_of(
            any_json, st.lists(st.dictionaries(st.sampled_from(["role", "message", "timestamp"]), any_json))
        ),
    },
)


def encoded(value: Any) -> bytes:
    # ASCII JSON: a lone surrogate goes as its \udXXX escape, as a JavaScript backend would send it.
    return json.dumps(value, allow_nan=True).encode()


def encodable(text: object) -> bool:
    """Text a page or a JSON answer can be written with: UTF-8 has no lone surrogate."""
    if not isinstance(text, str):
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def storable(text: object) -> bool:
    """Text the call log can keep: PostgreSQL refuses NUL too."""
    return encodable(text) and "\x00" not in str(text)


@st.composite
def bodies(draw: st.DrawFn, structured: st.SearchStrategy[Any]) -> bytes:
    kind = draw(st.sampled_from(["structured", "any", "bytes", "truncated", "empty"]))
    if kind == "structured":
        return encoded(draw(structured))
    if kind == "any":
        return encoded(draw(any_json))
    if kind == "bytes":
        return draw(st.binary(max_size=60))
    if kind == "truncated":
        whole = encoded(draw(structured))
        return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    return b""


statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 400, 401, 402, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504]),
    st.integers(200, 599),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": st.one_of(
            st.sampled_from(["0", "1", "2.5", "-1", "inf", "nan", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"]),
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=12),
        ),
        "Content-Type": st.sampled_from(["application/json", "text/html", "application/problem+json", "x/y"]),
    },
)


class Upstream:
    """The answer itellico gives next."""

    def __init__(self) -> None:
        self.answer = httpx.Response(500)


@pytest.fixture(scope="module")
def rig(request: pytest.FixtureRequest):
    upstream = Upstream()
    app = fuzz_app(
        lambda _request: upstream.answer,
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        rate_limit_per_ip="1000000/minute",
        rate_limit_per_demo="1000000/minute",
    )
    return app, app.test_client(), upstream


def assert_documented(response: Any, allowed_statuses: set[int]) -> None:
    assert response.status_code in allowed_statuses, (response.status_code, response.get_data()[:200])
    body = response.get_json()
    assert isinstance(body, dict)
    if response.status_code >= 400:
        assert set(body) == {"error"}
        assert body["error"]["code"] in CODES, body
        assert body["error"]["request_id"] == response.headers["X-Request-ID"]
        assert isinstance(body["error"]["message"], str)
        if response.status_code == 429:
            assert response.headers["Retry-After"].isdigit()


@settings(max_examples=CREATE_EXAMPLES, **FUZZ)
@given(status=statuses, headers=headers, body=st.data())
def test_any_create_answer_gives_a_documented_result_and_one_log_row(rig, status, headers, body):
    app, client, upstream = rig
    structured = create_answer if 200 <= status < 300 else error_answer
    upstream.answer = httpx.Response(status, content=body.draw(bodies(structured)), headers=headers)
    calllog = app.extensions["webcall"].calllog
    # Each example on an empty call log: the fuzzer may answer two creates with one call id (the shrunk
    # all-zero one), and the call log keeps one row per id, so the second create's row was refused.
    with calllog.engine.begin() as db:
        db.execute(delete(calls))
    response = client.post("/api/calls", json={})
    assert_documented(response, CREATE_STATUSES)
    assert len(calllog.calls(limit=1_000_000)) == 1
    if response.status_code == 201:
        created = response.get_json()
        assert isinstance(created["call_id"], str) and created["call_id"]
        assert isinstance(created["token"], str) and isinstance(created["livekit_url"], str)
        row = calllog.calls(limit=1)[0]
        assert storable(row.call_id) and len(row.call_id) <= MAX_ID_LENGTH, row
        assert storable(row.status) and len(row.status) <= MAX_STATUS_LENGTH, row


def fresh_call(client, upstream: Upstream) -> tuple[str, str]:
    """A new call per example, so our own summary limit (per call) never answers before itellico."""
    call_id = f"c-{uuid.uuid4()}"
    upstream.answer = httpx.Response(
        201, json={"id": call_id, "join": {"token": "a.b.c", "livekit_url": "wss://x"}}
    )
    return call_id, client.post("/api/calls", json={}).get_json()["handle"]


@settings(max_examples=SUMMARY_EXAMPLES, **FUZZ)
@given(status=statuses, headers=headers, body=st.data())
def test_any_summary_answer_gives_a_documented_result(rig, status, headers, body):
    _app, client, upstream = rig
    call_id, handle = fresh_call(client, upstream)
    structured = summary_answer if 200 <= status < 300 else error_answer
    upstream.answer = httpx.Response(status, content=body.draw(bodies(structured)), headers=headers)
    response = client.get(f"/api/calls/{call_id}", headers={"X-Call-Handle": handle})
    assert_documented(response, SUMMARY_STATUSES)
    if response.status_code == 200:
        summary = response.get_json()
        assert all(encodable(m["message"]) for m in summary["messages"])
        assert all(m["role"] in ("user", "agent") for m in summary["messages"])
        assert storable(summary["status"]) and len(summary["status"]) <= MAX_STATUS_LENGTH
        duration = summary["duration_seconds"]
        assert duration is None or (isinstance(duration, int) and 0 <= duration < MAX_CALL_SECONDS)
