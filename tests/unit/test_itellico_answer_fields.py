"""Every value the app keeps or shows from itellico's create and GET-call answers is checked first
(webcall/itellico_types.py has the rules), through the whole app with an httpx MockTransport.

JSON may carry a lone surrogate ("\\ud83d": half of an emoji cut in two), a control character, an id
longer than the call log's column or a number past its integer. Written unchecked they gave the visitor
a 500 while the call existed at itellico, lost the call-log row (PostgreSQL refuses what SQLite
stores), and broke the studio's page and the worker's GET-call fallback. Each field has its rule:

- ids: refused as `bad_response` (a call we could neither keep nor ask about again);
- statuses: one that is no short printable word is "unknown" (a status that may still change);
- durations: negative, huge, NaN or not a number is none;
- texts (the transcript, times, names): each lone surrogate becomes U+FFFD.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask

from webcall.calllog import calls
from webcall.itellico import ItellicoClient
from webcall.itellico_errors import UpstreamError, UpstreamErrorKind
from webcall.itellico_types import MAX_ID_LENGTH, MAX_STATUS_LENGTH, call_seconds
from webcall.refresh import refresh_open_calls

from ..fuzz.rig import ACCOUNT, fuzz_app

pytestmark = pytest.mark.unit

JOIN = {"token": "a.b.c", "livekit_url": "wss://x"}


def encoded(value: Any) -> bytes:
    # json.dumps escapes a lone surrogate as \udXXX (httpx's own `json=` cannot encode one at all).
    return json.dumps(value).encode()


def app_of(
    create_answer: dict[str, Any],
    call_answer: dict[str, Any] | None = None,
    account: dict[str, Any] = ACCOUNT,
    sent: list[str] | None = None,
) -> Flask:
    """The app against an itellico that answers the create and every GET call as given."""

    def answer(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            return httpx.Response(201, content=encoded(create_answer))
        return httpx.Response(200, content=encoded(call_answer or {}))

    return fuzz_app(answer, account=account, rate_limit_per_ip="1000/minute")


def rows(app: Flask) -> list[tuple[str | None, str, str | None, int | None]]:
    return [
        (row.call_id, row.outcome, row.status, row.duration_seconds)
        for row in app.extensions["webcall"].calllog.calls(limit=100)
    ]


@pytest.mark.parametrize(
    "call_id",
    [
        "c\ud800",  # a lone surrogate: sqlite3 raised UnicodeEncodeError, a 500 and no row
        "c1\x00",  # NUL: PostgreSQL refuses it (the row lost)
        "c\n1",  # a line break: every later request's URL invalid (a 500), the log line split in two
        "x" * 65,  # longer than the call log's column (64): PostgreSQL lost the row
        "a/../../b",  # another path than the call's own
        "c?x",
        "..",
        "c 1",
        "",
    ],
)
def test_a_create_answer_with_an_id_we_cannot_keep_or_address_is_refused(call_id):
    app = app_of({"id": call_id, "status": "queued", "join": JOIN})
    response = app.test_client().post("/api/calls", json={})
    assert response.status_code == 502, response.get_data()[:200]
    assert response.get_json()["error"]["code"] == "upstream_unavailable"
    assert rows(app) == [(None, "failed:upstream_unavailable", None, None)]


def test_an_id_of_64_printable_characters_is_a_call():
    call_id = "call-" + "x" * 59
    app = app_of({"id": call_id, "status": "queued", "join": JOIN})
    response = app.test_client().post("/api/calls", json={})
    assert response.status_code == 201
    assert rows(app) == [(call_id, "created", "queued", None)]


@pytest.mark.parametrize(
    "status",
    [
        "\ud800",  # sqlite3: UnicodeEncodeError, a 500, the call-log row lost
        "queued\x00",  # PostgreSQL: DataError, the row lost
        "waiting_for_agent_dispatch_confirmation",  # 39 characters: longer than the column (32)
        "in\nprogress",
        "",
        42,
    ],
)
def test_a_create_answer_with_a_status_we_cannot_keep_is_a_call_of_unknown_status(status):
    app = app_of({"id": "c1", "status": status, "join": JOIN})
    response = app.test_client().post("/api/calls", json={})
    assert response.status_code == 201, response.get_data()[:200]
    assert response.get_json()["call_id"] == "c1"
    assert rows(app) == [("c1", "created", "unknown", None)]


def summary_of(call_answer: dict[str, Any]) -> tuple[Flask, Any]:
    app = app_of({"id": "c1", "status": "queued", "join": JOIN}, {"id": "c1", **call_answer})
    client = app.test_client()
    handle = client.post("/api/calls", json={}).get_json()["handle"]
    return app, client.get("/api/calls/c1", headers={"X-Call-Handle": handle})


@pytest.mark.parametrize(
    ("duration", "kept"),
    [
        (100_000_000_000_000_000_000, None),  # SQLite: OverflowError, a 500 (no SQLAlchemyError)
        (2**31, None),  # past PostgreSQL's integer
        (-5, None),
        (float("nan"), None),
        ("42", None),
        (True, None),
        (42, 42),
        (42.7, 42),  # whole seconds, as the webhook receiver keeps them
    ],
)
def test_a_call_answers_duration_is_kept_only_when_it_is_a_calls(duration, kept):
    app, summary = summary_of({"status": "completed", "duration_seconds": duration})
    assert summary.status_code == 200, summary.get_data()[:200]
    assert summary.get_json()["duration_seconds"] == kept
    assert rows(app) == [("c1", "created", "completed", kept)]


def test_a_call_answers_odd_status_and_texts_are_cleaned_before_they_are_stored_or_shown():
    app, summary = summary_of(
        {
            "status": "\ud800",
            "messages": [
                {"role": "agent", "message": "Hello \ud83d\ude00", "timestamp": "2026-01-01T00:00:00Z"},
                {"role": "user", "message": "hi \ud83d", "timestamp": "\udfff"},
            ],
        }
    )
    assert summary.status_code == 200, summary.get_data()[:200]
    answer = summary.get_json()
    assert answer["status"] == "unknown"
    assert answer["messages"] == [
        {"role": "agent", "message": "Hello \U0001f600", "timestamp": "2026-01-01T00:00:00Z"},
        {"role": "user", "message": "hi \ufffd", "timestamp": "\ufffd"},
    ]
    assert rows(app) == [("c1", "created", "unknown", None)]


def test_the_worker_fallback_completes_a_call_whose_answer_needed_checking():
    # refresh_open_calls raised OverflowError (SQLite) on a huge duration, and the call stayed open.
    app = app_of(
        {"id": "c1", "status": "queued", "join": JOIN},
        {"id": "c1", "status": "completed", "duration_seconds": 10**20},
    )
    app.test_client().post("/api/calls", json={})
    assert refresh_open_calls(app) == 1
    assert rows(app) == [("c1", "created", "completed", None)]


def client_answering(answer: Callable[[httpx.Request], httpx.Response], sent: list[str]) -> ItellicoClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        return answer(request)

    return ItellicoClient(
        "https://api.example",
        "k",
        account_id=ACCOUNT["id"],
        transport=httpx.MockTransport(handler),
        sleep=lambda _s: None,
    )


def test_every_text_of_a_call_answer_is_cleaned_for_the_studios_page():
    # The studio's call page rendered a lone surrogate and failed while encoding the page: Werkzeug's
    # bare "Internal Server Error", after the app's own error page could run.
    odd = "x \ud83d"
    answer = {
        "id": "c1",
        "status": "completed",
        "type": odd,
        "agent_name": odd,
        "started_at": odd,
        "ended_at": odd,
        "capture": {"recording_url": "https://r.example/\udc00"},
        "messages": [{"role": "user\ud800", "message": odd, "timestamp": odd}],
    }
    sent: list[str] = []
    details = client_answering(lambda _r: httpx.Response(200, content=encoded(answer)), sent).get_call("c1")
    texts = [details.type, details.agent_name, details.started_at, details.ended_at, details.recording_url]
    texts += [details.messages[0].role, details.messages[0].message, details.messages[0].timestamp]
    for text in texts:
        assert isinstance(text, str)
        text.encode()  # would raise UnicodeEncodeError on a lone surrogate
    assert details.messages[0].message == "x \ufffd"


@pytest.mark.parametrize("call_id", ["c\n1", "c\ud800", "a/../b", "x" * 65])
def test_a_call_id_no_call_can_have_is_not_asked_about(call_id):
    # "c\n1" raised httpx.InvalidURL, which is no httpx.HTTPError: it escaped as a 500.
    sent: list[str] = []
    client = client_answering(lambda _r: httpx.Response(200, content=encoded({"id": call_id})), sent)
    with pytest.raises(UpstreamError) as info:
        client.get_call(call_id)
    assert info.value.kind is UpstreamErrorKind.NOT_FOUND
    assert sent == []


def test_a_url_httpx_refuses_is_an_upstream_error_never_a_crash():
    sent: list[str] = []
    client = client_answering(lambda _r: httpx.Response(200, content=b"{}"), sent)
    with pytest.raises(UpstreamError) as info:
        client.check(agent_id="agent\n1")
    assert info.value.kind is UpstreamErrorKind.BAD_RESPONSE
    assert sent == []


def test_the_summary_of_a_call_id_with_a_control_character_is_not_found_not_a_500():
    app = app_of({"id": "c1", "status": "queued", "join": JOIN})
    handle = app.extensions["webcall"].handles.issue("c\n1")
    response = app.test_client().get("/api/calls/c%0A1", headers={"X-Call-Handle": handle})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_account_id_with_a_control_character_is_refused_and_every_create_is_a_documented_error():
    # An account id from /accounts/current with a line break made every create's URL invalid: a 500.
    sent: list[str] = []
    app = app_of({"id": "c1", "status": "queued", "join": JOIN}, account={"id": "acc\n1"}, sent=sent)
    client = app.test_client()
    for _ in range(2):
        response = client.post("/api/calls", json={})
        assert response.status_code == 502
        assert response.get_json()["error"]["code"] == "upstream_unavailable"
    assert not any(line.startswith("POST") for line in sent)


def test_the_limits_are_the_call_logs_columns():
    assert (calls.c.call_id.type.length, calls.c.status.type.length) == (MAX_ID_LENGTH, MAX_STATUS_LENGTH)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        *[(0, 0), (42, 42), (42.7, 42), (-1, None), (10**7 - 1, 10**7 - 1), (10**7, None), (10**20, None)],
        *[(float("nan"), None), (float("inf"), None), (True, None), ("5", None)],
    ],
)
def test_a_duration_is_a_call_length_or_none(value, kept):
    # One rule for a call's length, whichever way itellico tells it (webcall/webhooks.py uses it too).
    assert call_seconds(value) == kept
