"""One client cannot hold the account's concurrent calls (an audit, reproduced in dev and behind nginx).

itellico counts an account's calls in progress against a concurrency limit (the stand-in: 10), and a call
nobody joins holds its place while the agent waits for a person (the stand-in: 60 s). With only a rate
per IP (10 a minute), one address that made its ten calls and never joined them filled every place, and
every other visitor, prospects with a share link too, got 429 for as long as it went on.

Now a client IP (or a share link) may have WEBCALL_OPEN_CALLS_PER_IP calls started and not yet over at
once; a call stops counting when a read of its summary finds it over (the page reads it right after its
hang-up), when its create made no call, or WEBCALL_OPEN_CALL_HOLD_SECONDS after it was made.

The stand-in runs without agents here: a call ends as the sandbox agent ends it when the person leaves
(its report `ended`, reason `participant_left`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from prometheus_client import REGISTRY

from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import SECRET_KEY, Standin
from tests.e2e.servers import redis_server
from tests.share_links import recorded
from tests.unit.test_rate_budgets import CountingTransport
from webcall import ROOT, create_app
from webcall.calllog import CallLog
from webcall.settings import Settings

pytestmark = pytest.mark.unit

A = {"environ_base": {"REMOTE_ADDR": "192.0.2.10"}}
B = {"environ_base": {"REMOTE_ADDR": "192.0.2.11"}}
TEXT_CALL = {"demo": "northwind", "mode": "text"}  # the audit's body


def deployed(standin: Standin, tmp_path: Path, **env: str) -> Settings:
    """What an operator gets from the environment, with nothing about limits set."""
    return Settings.from_env(
        {
            "ITELLICOAI_API_KEY": standin.key,
            "ITELLICOAI_BASE_URL": standin.url,
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "WEBCALL_SECRET_KEY": SECRET_KEY,
            "WEBCALL_DATABASE_URL": f"sqlite:///{tmp_path}/calls.sqlite3",
            "WEBCALL_TASK_QUEUE_URL": "memory://",
            **env,
        }
    )


def client_of(settings: Settings, **changes: Any) -> Any:
    return create_app({"settings": replace(settings, **changes), "TESTING": True}).test_client()


def create(client: Any, who: dict[str, Any], body: dict[str, Any] | None = None) -> Any:
    return client.post("/api/calls", json=TEXT_CALL if body is None else body, **who)


def hang_up(standin: Standin, call_id: str) -> None:
    """The person leaves the room: the agent reports the call ended, as the sandbox agent does."""
    store = standin.app.extensions["standin"]["store"]
    store.update(call_id, {"event": "ended", "reason": "participant_left"})


def read_summary(client: Any, call: dict[str, Any], who: dict[str, Any]) -> Any:
    return client.get(f"/api/calls/{call['call_id']}", headers={"X-Call-Handle": call["handle"]}, **who)


def refusals() -> float:
    # Our own refusals as /metrics counts them: scope create-open ("other" until metrics.py lists it).
    return sum(
        REGISTRY.get_sample_value("webcall_rate_limited_requests_total", {"scope": scope}) or 0.0
        for scope in ("create-open", "other")
    )


def assert_refused(response: Any, hold: int = 90) -> int:
    assert response.status_code == 429, response.get_json()
    # A code of its own: the rate limit's words ("Calls are limited to a few a minute") told a visitor with
    # calls still open (another tab, a page reloaded mid-call) the wrong cause (an audit).
    assert response.get_json()["error"]["code"] == "too_many_open_calls"
    assert "open" in response.get_json()["error"]["message"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= hold
    return retry_after


def test_one_address_cannot_hold_every_call_of_the_account(standin, tmp_path):
    # The audit's steps with the settings as deployed: A creates and never joins.
    client = client_of(deployed(standin, tmp_path))
    held = [create(client, A) for _ in range(2)]
    assert [r.status_code for r in held] == [201, 201]
    before = refusals()
    assert_refused(create(client, A))
    assert len(standin.creates()) == 2  # the refused create never reached itellico
    assert refusals() - before == 1
    # Another visitor still gets a call.
    assert create(client, B).status_code == 201
    # A hangs one up; its page reads the summary, which finds the call over: A may call again.
    call = held[0].get_json()
    hang_up(standin, call["call_id"])
    read = read_summary(client, call, A)
    assert read.status_code == 200 and read.get_json()["status"] == "completed"
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))


def test_a_call_still_in_progress_keeps_its_place(standin, tmp_path):
    client = client_of(deployed(standin, tmp_path))
    held = [create(client, A).get_json() for _ in range(2)]
    read = read_summary(client, held[0], A)
    assert read.status_code == 200 and read.get_json()["status"] == "in_progress"
    assert_refused(create(client, A))
    # Over, read from another address (a phone that changed networks): the place is given back all the same.
    hang_up(standin, held[1]["call_id"])
    assert read_summary(client, held[1], B).status_code == 200
    assert read_summary(client, held[1], A).status_code == 200  # read twice: given back once
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))


def test_a_call_another_process_found_over_frees_its_place_here(standin, tmp_path):
    """With memory:// each gunicorn worker counts its own places, and the summary read that finds a call
    over gave the place back only in the worker that served it: with `make serve`'s two workers a visitor
    with no call open was told "Too many calls" for 90 s (an audit, with gunicorn). The call log is every
    process's: a call it knows is over (another worker's summary read, the task worker's webhook or
    refresh) frees its place here, when the client has none free."""
    client = client_of(deployed(standin, tmp_path))
    held = [create(client, A).get_json() for _ in range(2)]
    assert_refused(create(client, A))
    hang_up(standin, held[0]["call_id"])
    # Another process's summary read: it completes the call in the shared call log, not in this memory.
    CallLog.open(f"sqlite:///{tmp_path}/calls.sqlite3", ROOT).complete(held[0]["call_id"], "completed", 12)
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))  # the other call is still in progress: its place stays
    assert len(standin.creates()) == 3


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_calls_over_upstream_free_their_places_when_the_client_has_none(standin, tmp_path, storage, request):
    """A tab reloaded or closed mid-call, or a start abandoned after its create (Cancel while connecting,
    a busy microphone), reads no summary, and without webhooks nothing else tells the app the call is
    over: after two of them the visitor, with no call open, was refused "Too many calls" for the whole
    hold (an audit, in Chromium). A client with no place free has itellico asked about its calls the
    call log does not know over: at most one GET each, and only then."""
    env = {}
    if storage == "redis":
        env["WEBCALL_RATE_LIMIT_STORAGE_URI"] = url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushall()
    transport = CountingTransport()
    client = create_app(
        {"settings": deployed(standin, tmp_path, **env), "TESTING": True, "itellico_transport": transport}
    ).test_client()
    held = [create(client, A).get_json() for _ in range(2)]
    assert transport.call_reads() == 0  # a client with a place free asks nothing
    assert_refused(create(client, A))  # both still in progress upstream
    assert transport.call_reads() == 2
    for call in held:
        hang_up(standin, call["call_id"])  # the page was closed: the agent saw the person leave
    assert create(client, A).status_code == 201
    assert transport.call_reads() == 4
    record = client.application.extensions["webcall"].calllog.call(held[0]["call_id"])
    assert record is not None and record.status == "completed"  # what was asked is in the call log


def test_a_call_never_heard_of_again_stops_counting_after_the_hold(standin, tmp_path, monkeypatch):
    from webcall import open_calls

    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(open_calls, "clock", lambda: now["t"])
    client = client_of(deployed(standin, tmp_path, WEBCALL_OPEN_CALL_HOLD_SECONDS="75"))
    assert [create(client, A).status_code for _ in range(2)] == [201, 201]
    assert assert_refused(create(client, A), hold=75) == 75
    now["t"] += 70
    assert assert_refused(create(client, A), hold=75) == 5
    now["t"] += 5
    assert [create(client, A).status_code for _ in range(3)] == [201, 201, 429]


def test_creates_that_made_no_call_take_no_place(standin, tmp_path):
    client = client_of(deployed(standin, tmp_path))
    assert create(client, A, {"demo": "northwind", "mode": "video"}).status_code == 400
    assert create(client, A, {"demo": "nope"}).status_code == 404
    standin.fault(mode="server_error", status=500, times=2)
    assert [create(client, A).status_code for _ in range(2)] == [502, 502]
    assert [create(client, A).status_code for _ in range(3)] == [201, 201, 429]


def test_a_create_that_timed_out_keeps_its_place(standin, tmp_path):
    # itellico may have made the call (here it does, after the app stopped waiting for it).
    client = client_of(deployed(standin, tmp_path, ITELLICOAI_TIMEOUT_SECONDS="1"))
    standin.fault(mode="latency", delay_seconds=1.5, times=1)
    timed_out = create(client, A)
    assert timed_out.status_code == 504 and timed_out.get_json()["error"]["code"] == "upstream_timeout"
    assert create(client, A).status_code == 201
    assert_refused(create(client, A))


def test_a_share_link_prospect_has_places_of_their_own(standin, tmp_path):
    settings = deployed(standin, tmp_path, WEBCALL_DEMOS_FILE="demos.toml")
    app = create_app({"settings": settings, "TESTING": True})
    client = app.test_client()
    assert [create(client, A).status_code for _ in range(2)] == [201, 201]
    token = recorded(app.extensions["webcall"], "northwind").token
    prospect = {**TEXT_CALL, "link": token}
    # Behind the same address as the client holding its places (an office, a café): still a call.
    assert create(client, A, prospect).status_code == 201
    # A link that leaked is bounded as one client is, from any address.
    assert create(client, B, prospect).status_code == 201
    assert_refused(create(client, {"environ_base": {"REMOTE_ADDR": "198.51.100.3"}}, prospect))
    assert create(client, B).status_code == 201  # B's own places are B's


def test_the_cap_is_a_setting(standin, tmp_path):
    client = client_of(deployed(standin, tmp_path, WEBCALL_OPEN_CALLS_PER_IP="3"))
    assert [create(client, A).status_code for _ in range(4)] == [201, 201, 201, 429]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_every_instance_counts_the_same_places_through_the_rate_limit_redis(standin, tmp_path, redis_url):
    redis.Redis.from_url(redis_url).flushall()
    settings = deployed(standin, tmp_path, WEBCALL_RATE_LIMIT_STORAGE_URI=redis_url)
    first = client_of(settings)
    held = [create(first, A).get_json() for _ in range(2)]
    # Another instance (gunicorn worker, host) with the same Redis: the app built last sets the one
    # Limiter's storage, so in memory it would count from nothing.
    second = client_of(settings)
    assert_refused(create(second, A))
    assert create(second, B).status_code == 201
    hang_up(standin, held[0]["call_id"])
    assert read_summary(second, held[0], A).status_code == 200
    assert create(client_of(settings), A).status_code == 201
    assert_refused(create(first, A))


def test_an_unreachable_redis_still_caps_each_process(standin, tmp_path):
    client = client_of(deployed(standin, tmp_path, WEBCALL_RATE_LIMIT_STORAGE_URI="redis://127.0.0.1:9/0"))
    assert [create(client, A).status_code for _ in range(3)] == [201, 201, 429]
