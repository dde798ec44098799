"""The itellico client against the stand-in over real HTTP on 127.0.0.1, faults included."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from sandbox.standin import SANDBOX_ACCOUNT_ID
from webcall.itellico import ItellicoClient
from webcall.itellico_errors import UpstreamError, UpstreamErrorKind
from webcall.itellico_types import WebCallRequest

pytestmark = pytest.mark.unit


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return super().handle_request(request)

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.endswith(suffix))


@pytest.fixture
def transport():
    return CountingTransport()


@pytest.fixture
def itellico(standin, transport):
    client = ItellicoClient(
        standin.url, standin.key, timeout=2.0, connect_timeout=1.0, transport=transport, sleep=lambda s: None
    )
    yield client
    client.close()


def web_call(**fields) -> WebCallRequest:
    return WebCallRequest(agent_id=DEFAULT_AGENT_ID, external_id="webcall-test-1", **fields)


def test_create_sends_one_conforming_body_and_returns_join(itellico, standin, transport):
    call = itellico.create_web_call(
        web_call(
            initial_text="Hi",
            audio_input_enabled=False,
            audio_output_enabled=True,
            skip_greeting_on_initial_text=True,
            device_fingerprint="fp-1",
            test_variables={"name": "Acme"},
            overrides={"agent": {"initial_message": {"mode": "user_first"}}},
        )
    )
    assert call.join.token.count(".") == 2  # a JWT
    assert call.join.livekit_url.startswith("ws://127.0.0.1:")
    assert call.agent_name == "Ava"
    assert standin.creates() == [
        {
            "type": "web",
            "agent_id": DEFAULT_AGENT_ID,
            "external_id": "webcall-test-1",
            "initial_text": "Hi",
            "audio_input_enabled": False,
            "audio_output_enabled": True,
            "skip_greeting_on_initial_text": True,
            "device_fingerprint": "fp-1",
            "test_variables": {"name": "Acme"},
            "overrides": {"agent": {"initial_message": {"mode": "user_first"}}},
        }
    ]
    assert transport.count("POST", "/calls") == 1


def test_optional_fields_are_left_out_not_sent_as_null(itellico, standin):
    itellico.create_web_call(web_call())
    assert standin.creates() == [
        {"type": "web", "agent_id": DEFAULT_AGENT_ID, "external_id": "webcall-test-1"}
    ]


def test_account_is_resolved_once(itellico, transport):
    itellico.create_web_call(web_call())
    itellico.create_web_call(web_call())
    assert itellico.account_id() == SANDBOX_ACCOUNT_ID
    assert transport.count("GET", "/v1/accounts/current") == 1


def test_configured_account_skips_the_lookup(standin, transport):
    client = ItellicoClient(standin.url, standin.key, account_id=SANDBOX_ACCOUNT_ID, transport=transport)
    client.create_web_call(web_call())
    assert transport.count("GET", "/v1/accounts/current") == 0


def test_agents_are_asked_of_the_configured_account(standin, transport):
    # A parent account's key reaches its subaccounts (itellico's docs, "API keys"): with
    # ITELLICOAI_ACCOUNT_ID a subaccount, its calls were made there but its agents looked up in the
    # key's own account (`me`): readiness, `flask demos check` and the studio's agent picker.
    client = ItellicoClient(standin.url, standin.key, account_id=SANDBOX_ACCOUNT_ID, transport=transport)
    client.check(agent_id=DEFAULT_AGENT_ID)
    assert {agent.id for agent in client.list_agents()} >= {DEFAULT_AGENT_ID}
    mine = f"/v1/accounts/{SANDBOX_ACCOUNT_ID}/agents"
    assert transport.requests == [("GET", f"{mine}/{DEFAULT_AGENT_ID}"), ("GET", mine)]


def test_get_and_list_calls(itellico):
    call = itellico.create_web_call(web_call())
    details = itellico.get_call(call.id)
    assert (details.id, details.status, details.messages) == (call.id, "in_progress", ())
    count, items = itellico.list_calls(external_id="webcall-test-1")
    assert count >= 1 and all(item["external_id"] == "webcall-test-1" for item in items)


def test_list_agents_and_current_account(itellico):
    names = {agent.name for agent in itellico.list_agents()}
    assert {"Ava", "Lena"} <= names
    assert itellico.current_account().id == SANDBOX_ACCOUNT_ID


def test_bad_key_is_unauthorized(standin):
    client = ItellicoClient(standin.url, "wrong-key")
    with pytest.raises(UpstreamError) as info:
        client.create_web_call(web_call())
    assert (info.value.kind, info.value.status, info.value.code) == (
        UpstreamErrorKind.UNAUTHORIZED,
        401,
        "unauthorized",
    )


def test_unknown_agent_is_not_found(itellico):
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(
            WebCallRequest(agent_id="00000000-0000-4000-8000-000000000000", external_id="x")
        )
    assert (info.value.kind, info.value.code) == (UpstreamErrorKind.NOT_FOUND, "not_found")


def test_validation_error_carries_field_errors(standin):
    client = ItellicoClient(standin.url, standin.key)
    with pytest.raises(UpstreamError) as info:
        client.create_web_call(WebCallRequest(agent_id="not-a-uuid", external_id="x"))
    assert info.value.kind is UpstreamErrorKind.REJECTED
    assert info.value.code == "validation_error"
    assert any(f.startswith("body.agent_id") for f in info.value.field_errors)


def test_rate_limit_is_retried_once_honouring_retry_after(itellico, standin, transport):
    waits: list[float] = []
    itellico._sleep = waits.append
    standin.fault(mode="rate_limit", times=1, retry_after="1")
    itellico.create_web_call(web_call())
    assert waits == [1.0]
    assert transport.count("POST", "/calls") == 2


def test_rate_limit_that_persists_gives_up_after_two_retries(itellico, standin, transport):
    standin.fault(mode="rate_limit", retry_after="1")
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert info.value.kind is UpstreamErrorKind.RATE_LIMITED and info.value.retry_after == 1.0
    assert transport.count("POST", "/calls") == 3


def test_long_retry_after_is_not_waited_for(itellico, standin, transport):
    standin.fault(mode="rate_limit", retry_after="120")
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert info.value.retry_after == 120.0
    assert transport.count("POST", "/calls") == 1


def test_the_standins_concurrent_call_limit_answers_as_a_rate_limit(itellico, standin, transport):
    """The stand-in's own limit (StandinConfig.max_concurrent_calls: calls whose agent is still in
    them) answers as the API's rate limit does: 429 `rate_limit_exceeded` with a `Retry-After`."""
    store = standin.app.extensions["standin"]["store"]
    limit = standin.app.extensions["standin"]["config"].max_concurrent_calls
    busy = [itellico.create_web_call(web_call()).id for _ in range(limit)]
    try:
        for call_id in busy:
            store.mark_agent_call(call_id)  # as a dispatched agent's call (the unit stand-in starts none)
        with pytest.raises(UpstreamError) as info:
            itellico.create_web_call(web_call())
        assert (info.value.kind, info.value.status, info.value.code) == (
            UpstreamErrorKind.RATE_LIMITED,
            429,
            "rate_limit_exceeded",
        )
        assert info.value.retry_after == 5.0
        assert transport.count("POST", "/calls") == limit + 1  # 5 s is too long to wait for
    finally:
        for call_id in busy:
            store.update(call_id, {"event": "ended", "reason": "participant_left"})


def test_503_is_retried_but_500_is_not(itellico, standin, transport):
    standin.fault(mode="server_error", status=503, times=1)
    itellico.create_web_call(web_call())
    assert transport.count("POST", "/calls") == 2
    standin.fault(mode="server_error", status=500, times=1)
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert (info.value.kind, info.value.status) == (UpstreamErrorKind.UNAVAILABLE, 500)
    assert transport.count("POST", "/calls") == 3


def test_hanging_create_times_out_within_budget_and_is_not_retried(itellico, standin, transport):
    standin.fault(mode="hang", delay_seconds=5)
    started = time.monotonic()
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert info.value.kind is UpstreamErrorKind.TIMEOUT
    assert time.monotonic() - started < 3.5  # the client's 2 s budget, with slack for a slow machine
    assert transport.count("POST", "/calls") == 1


@pytest.mark.parametrize(
    ("mode", "kind", "status"),
    [
        ("malformed", UpstreamErrorKind.BAD_RESPONSE, 201),
        ("missing_join", UpstreamErrorKind.BAD_RESPONSE, 201),
        ("html_error", UpstreamErrorKind.UNAVAILABLE, 502),
        ("fastapi_error", UpstreamErrorKind.REJECTED, 422),
    ],
)
def test_unusable_answers_become_typed_errors(itellico, standin, mode, kind, status):
    standin.fault(mode=mode)
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert (info.value.kind, info.value.status) == (kind, status)
    if mode == "fastapi_error":
        assert info.value.field_errors == ("body.agent_id: field required",)


def test_closed_connection_is_an_error_and_not_retried(itellico, standin, transport):
    standin.fault(mode="close")
    with pytest.raises(UpstreamError) as info:
        itellico.create_web_call(web_call())
    assert info.value.kind in (UpstreamErrorKind.BAD_RESPONSE, UpstreamErrorKind.UNAVAILABLE)
    assert transport.count("POST", "/calls") == 1


def test_nothing_listening_is_unavailable():
    from sandbox.ports import free_port

    client = ItellicoClient(f"http://127.0.0.1:{free_port()}", "k", sleep=lambda s: None)
    with pytest.raises(UpstreamError) as info:
        client.current_account()
    assert info.value.kind is UpstreamErrorKind.UNAVAILABLE and info.value.status is None
