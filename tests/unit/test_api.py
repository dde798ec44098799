"""The browser API through Flask's test client, with the stand-in behind it over real HTTP."""

from __future__ import annotations

import logging
import time

import pytest

from sandbox.stack import DEFAULT_AGENT_ID

pytestmark = pytest.mark.unit


def create(client, body=None, **kwargs):
    return client.post("/api/calls", json={} if body is None else body, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]  # a visitor can quote it


def test_create_returns_only_what_the_browser_needs(client, standin):
    response = create(client, {"mode": "voice"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {
        "call_id",
        "token",
        "livekit_url",
        "agent_name",
        "mode",
        "handle",
        "agent_join_timeout_ms",
        "max_call_seconds",
    }
    assert body["mode"] == "voice" and body["agent_name"] == "Ava"
    assert standin.key not in response.get_data(as_text=True)
    (sent,) = standin.creates()
    assert sent["type"] == "web" and sent["agent_id"] == DEFAULT_AGENT_ID
    assert sent["audio_input_enabled"] is True and sent["audio_output_enabled"] is True
    assert sent["external_id"].startswith("webcall-") and len(sent["device_fingerprint"]) == 32


def test_each_click_gets_a_fresh_external_id(client, standin):
    create(client)
    create(client)
    ids = [c["external_id"] for c in standin.creates()]
    assert len(set(ids)) == 2


def test_text_mode_turns_the_microphone_off_upstream(client, standin):
    assert create(client, {"mode": "text", "initial_text": "Hello"}).status_code == 201
    (sent,) = standin.creates()
    assert sent["audio_input_enabled"] is False and sent["initial_text"] == "Hello"


def test_sandbox_flag_tells_the_browser_to_skip_stun(app, client):
    from dataclasses import replace

    from webcall import create_app

    settings = replace(app.extensions["webcall"].settings, rtc_no_ice_servers=True)
    body = create(create_app({"settings": settings}).test_client()).get_json()
    assert body["rtc_config"] == {"iceServers": []}
    assert "rtc_config" not in create(client).get_json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "JSON object"),
        ("text", "JSON object"),
        ({"mode": "video"}, "mode"),
        ({"mode": 1}, "mode"),
        ({"initial_text": "x" * 2001}, "initial_text"),
        ({"initial_text": 5}, "initial_text"),
        ({"agent_id": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"}, "agent_id"),
        ({"overrides": {"agent": {}}}, "overrides"),
        ({"variables": {"name": "Acme"}}, "variables.name"),
        ({"variables": ["x"]}, "variables"),
        ({"demo": "../etc"}, "demo"),
    ],
)
def test_bad_bodies_are_refused_before_anything_goes_upstream(client, standin, body, fragment):
    response = create(client, body)
    assert_error(response, 400, "invalid_request")
    assert fragment in response.get_json()["error"]["message"]
    assert standin.creates() == []


def test_non_json_body_is_refused(client, standin):
    response = client.post("/api/calls", data="not json", content_type="application/json")
    assert_error(response, 400, "invalid_request")
    assert standin.creates() == []


def test_unknown_demo(client, standin):
    assert_error(create(client, {"demo": "nope"}), 404, "unknown_demo")
    assert standin.creates() == []


def test_foreign_origin_is_refused_without_an_upstream_call(client, standin):
    response = create(client, headers={"Origin": "https://evil.example"})
    assert_error(response, 403, "origin_not_allowed")
    assert standin.creates() == []
    assert create(client, headers={"Origin": "http://localhost"}).status_code == 201


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"mode": "rate_limit", "retry_after": "30"}, 429, "rate_limited"),
        ({"mode": "server_error", "status": 500}, 502, "upstream_unavailable"),
        ({"mode": "server_error", "status": 503, "retry_after": None}, 503, "upstream_unavailable"),
        ({"mode": "malformed"}, 502, "upstream_unavailable"),
        ({"mode": "missing_join"}, 502, "upstream_unavailable"),
        ({"mode": "html_error"}, 502, "upstream_unavailable"),
        ({"mode": "fastapi_error"}, 502, "upstream_rejected"),
        ({"mode": "close"}, 502, "upstream_unavailable"),
        ({"mode": "hang", "delay_seconds": 5}, 504, "upstream_timeout"),
    ],
)
def test_upstream_faults_become_clear_errors_and_the_app_keeps_serving(client, standin, fault, status, code):
    standin.fault(**fault)
    started = time.monotonic()
    response = create(client)
    assert time.monotonic() - started < 20
    assert_error(response, status, code)
    text = response.get_data(as_text=True)
    assert standin.key not in text and "leaked secret" not in text and "<html" not in text
    if code == "rate_limited":
        assert response.headers["Retry-After"] == "30"
    standin.clear()
    assert create(client).status_code == 201


def test_bad_key_is_the_operators_problem(app, client, standin, caplog):
    from dataclasses import replace

    from webcall import create_app

    bad = replace(app.extensions["webcall"].settings, api_key="wrong-key-do-not-log")
    with caplog.at_level(logging.INFO):
        response = create(create_app({"settings": bad}).test_client())
    assert_error(response, 503, "misconfigured")
    operator_lines = [r.getMessage() for r in caplog.records if "OPERATOR" in r.getMessage()]
    assert operator_lines and "ITELLICOAI_API_KEY" in operator_lines[0]
    assert "wrong-key-do-not-log" not in caplog.text


def test_unknown_agent_is_misconfiguration(app, standin):
    from dataclasses import replace

    from webcall import create_app

    bad = replace(app.extensions["webcall"].settings, agent_id="00000000-0000-4000-8000-000000000000")
    assert_error(create(create_app({"settings": bad}).test_client()), 503, "misconfigured")


def test_one_log_line_per_create_without_token_or_key(client, standin, caplog):
    with caplog.at_level(logging.INFO, logger="webcall.calls"):
        body = create(client).get_json()
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.calls"]
    assert len(lines) == 1
    assert (
        f"call_id={body['call_id']}" in lines[0]
        and "outcome=created" in lines[0]
        and "latency_ms=" in lines[0]
    )
    assert body["token"] not in caplog.text and standin.key not in caplog.text


def test_summary_needs_the_handle_of_that_call(client, standin):
    first = create(client).get_json()
    second = create(client).get_json()
    url = f"/api/calls/{first['call_id']}"
    ok = client.get(url, headers={"X-Call-Handle": first["handle"]})
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    summary = ok.get_json()
    assert summary["call_id"] == first["call_id"] and summary["status"] == "in_progress"
    assert summary["messages"] == []
    assert_error(client.get(url), 403, "forbidden")
    assert_error(client.get(url, headers={"X-Call-Handle": second["handle"]}), 403, "forbidden")
    assert_error(client.get(url, headers={"X-Call-Handle": first["handle"] + "x"}), 403, "forbidden")


def test_unknown_api_paths_and_methods_answer_json(client):
    assert_error(client.get("/api/nothing"), 404, "not_found")
    wrong = client.put("/api/calls")
    assert_error(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) >= {"POST", "OPTIONS"}  # HTTP: a 405 names them


def test_page_and_static_files_never_hold_the_key(client, standin, app):
    from pathlib import Path

    page = client.get("/")
    assert page.status_code == 200 and b"<itellico-call" in page.data
    assert standin.key.encode() not in page.data
    static = Path(app.static_folder)
    for path in static.rglob("*"):
        if path.is_file():
            served = client.get(f"/static/{path.relative_to(static).as_posix()}")
            assert standin.key.encode() not in served.data


def test_livekit_client_is_served_from_the_pinned_package(client):
    import json
    from pathlib import Path

    response = client.get("/vendor/livekit-client.esm.mjs")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    pinned = json.loads(Path("package.json").read_text())["dependencies"]["livekit-client"]
    assert f'"{pinned}"'.encode() in response.data or pinned.encode() in response.data
