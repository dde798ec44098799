"""Rate limits that attackers cannot turn against real visitors, and that guard the upstream account.

- The per-demo budget counts only creates that went upstream: bogus links and bad bodies from many
  addresses never lock a demo.
- /readyz probes the upstream at most once per cache window, however often it is asked.
- The call summary is limited per call, so nobody spends the account's upstream limit through us.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import replace

import httpx
import limits
import pytest

from webcall import create_app

pytestmark = pytest.mark.unit


def app_with(settings, **changes):
    return create_app({"settings": replace(settings, **changes)})


def from_ip(i: int) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": f"192.0.2.{i}"}}


def test_bogus_links_and_bad_bodies_from_many_ips_never_use_the_demo_budget(settings, standin):
    client = app_with(settings, demos_file="demos.toml", rate_limit_per_demo="3/minute").test_client()
    bad = [
        {"demo": "alpenblick", "link": "bogus-token"},
        {"demo": "alpenblick"},
        {"demo": "northwind", "link": "x.y.z"},
        {"demo": "northwind", "mode": "video"},
        {"demo": "northwind", "variables": {"nope": "x"}},
        {"demo": "northwind", "agent_id": "whatever"},
    ]
    for i in range(40):
        response = client.post("/api/calls", json=bad[i % len(bad)], **from_ip(i))
        assert response.status_code in (400, 403), response.get_json()
    for i in range(20):  # not JSON at all
        client.post("/api/calls", data="{", content_type="application/json", **from_ip(100 + i))
    assert standin.creates() == []
    real = [client.post("/api/calls", json={"demo": "northwind"}, **from_ip(200 + i)) for i in range(4)]
    assert [r.status_code for r in real] == [201, 201, 201, 429]
    assert real[-1].get_json()["error"]["code"] == "rate_limited"
    assert int(real[-1].headers["Retry-After"]) >= 1
    assert len(standin.creates()) == 3


def test_upstream_failures_still_count_against_the_demo(settings, standin):
    # A create that reached itellico spent the account's budget, whatever it answered.
    client = app_with(settings, rate_limit_per_demo="2/minute").test_client()
    standin.fault(mode="server_error", status=500, times=2)
    codes = [client.post("/api/calls", json={}, **from_ip(i)).status_code for i in range(3)]
    assert codes == [502, 502, 429]


def test_the_per_ip_limit_counts_every_request(settings, standin):
    client = app_with(settings, rate_limit_per_ip="3/minute").test_client()
    codes = [client.post("/api/calls", json={"mode": "video"}).status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    assert client.post("/api/calls", json={}).status_code == 429
    assert standin.creates() == []
    assert client.post("/api/calls", json={}, **from_ip(9)).status_code == 201


def test_an_ipv6_client_is_one_client_across_its_64_addresses(settings, standin):
    # One IPv6 connection gets a /64 (2^64 addresses): keyed by the full address, each of them had a
    # budget of its own, so one visitor had no per-IP limit at all.
    client = app_with(settings, rate_limit_per_ip="2/minute").test_client()

    def create(address: str) -> int:
        return client.post("/api/calls", json={}, environ_base={"REMOTE_ADDR": address}).status_code

    assert [create("2001:db8:1:2::1"), create("2001:db8:1:2::2")] == [201, 201]
    assert create("2001:db8:1:2:ffff:ffff:ffff:ffff") == 429  # the same /64
    assert create("2001:db8:1:3::1") == 201  # the next /64 is someone else
    assert create("::ffff:192.0.2.7") == 201 and create("192.0.2.8") == 201  # IPv4 stays per address


def test_an_app_without_limits_does_not_switch_them_off_for_the_next_app(settings, standin):
    create_app({"settings": settings, "TESTING": True, "RATELIMIT_ENABLED": False})
    client = app_with(settings, rate_limit_per_ip="1/minute").test_client()
    assert client.post("/api/calls", json={}).status_code == 201
    assert client.post("/api/calls", json={}).status_code == 429


def test_the_per_ip_limit_is_checked_before_the_demo_budget(settings, standin):
    # A client knocking on a locked demo spends its own budget too.
    client = app_with(
        settings, demos_file="demos.toml", rate_limit_per_ip="1/minute", rate_limit_per_demo="1/minute"
    ).test_client()
    assert client.post("/api/calls", json={"demo": "northwind"}, **from_ip(1)).status_code == 201
    assert client.post("/api/calls", json={"demo": "northwind"}, **from_ip(2)).status_code == 429
    assert client.post("/api/calls", json={"demo": "default"}, **from_ip(2)).status_code == 429
    assert client.post("/api/calls", json={"demo": "default"}, **from_ip(3)).status_code == 201


def test_limits_are_attached_with_decorators_not_by_patching_view_names():
    from pathlib import Path

    for module in ("webcall/ratelimit.py", "webcall/api_limits.py"):
        assert "view_functions" not in Path(module).read_text()


class CountingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.paths: list[str] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def test_readyz_probes_upstream_at_most_once_per_cache_window(settings, standin):
    transport = CountingTransport()
    app = create_app({"settings": settings, "itellico_transport": transport})
    client = app.test_client()
    answers = [client.get("/readyz") for _ in range(30)]
    assert all(r.status_code == 200 for r in answers)
    assert transport.paths.count(f"/v1/accounts/me/agents/{settings.agent_id}") == 1  # the readiness request


def test_readyz_probes_again_after_the_cache_window(settings, standin, monkeypatch):
    from webcall import health

    clock = {"now": 1000.0}
    monkeypatch.setattr(health.time, "monotonic", lambda: clock["now"])
    transport = CountingTransport()
    client = create_app({"settings": settings, "itellico_transport": transport}).test_client()
    client.get("/readyz")
    clock["now"] += health.UPSTREAM_CHECK_CACHE_SECONDS + 0.1
    client.get("/readyz")
    assert transport.paths.count(f"/v1/accounts/me/agents/{settings.agent_id}") == 2


def test_call_summary_is_limited_per_call(settings, standin):
    from webcall.ratelimit import SUMMARY_LIMIT

    client = app_with(settings).test_client()
    first = client.post("/api/calls", json={}).get_json()
    second = client.post("/api/calls", json={}).get_json()
    allowed = int(SUMMARY_LIMIT.split("/")[0])
    url = f"/api/calls/{first['call_id']}"
    headers = {"X-Call-Handle": first["handle"]}
    codes = [client.get(url, headers=headers, **from_ip(i)).status_code for i in range(allowed + 1)]
    assert codes == [200] * allowed + [429]
    limited = client.get(url, headers=headers)
    assert limited.get_json()["error"]["code"] == "rate_limited"
    # Within the limit's window: Flask-Limiter's reset_at rounds up a second past it (said 61 for 60).
    window = limits.parse(SUMMARY_LIMIT).get_expiry()
    assert 1 <= int(limited.headers["Retry-After"]) <= window
    other = client.get(f"/api/calls/{second['call_id']}", headers={"X-Call-Handle": second["handle"]})
    assert other.status_code == 200


def test_reads_without_the_calls_handle_do_not_spend_its_summary_limit(settings, standin):
    # A call id is no secret (the studio, the CSV export, logs and webhooks show it): a stranger's
    # reads without its handle were counted, so they used up the limit and the visitor's own page got
    # 429 for its summary.
    from webcall.ratelimit import SUMMARY_LIMIT

    client = app_with(settings).test_client()
    call = client.post("/api/calls", json={}).get_json()
    url = f"/api/calls/{call['call_id']}"
    allowed = int(SUMMARY_LIMIT.split("/")[0])
    strangers = [client.get(url, **from_ip(i)).status_code for i in range(allowed + 5)]
    assert set(strangers) == {403}
    wrong = {"X-Call-Handle": "not-the-handle"}
    assert client.get(url, headers=wrong, **from_ip(99)).status_code == 403
    assert client.get(url, headers={"X-Call-Handle": call["handle"]}).status_code == 200


def test_an_unreachable_redis_cluster_at_start_is_one_line(tmp_path):
    # A plain redis:// storage connects lazily (and falls back to memory); the cluster client connects
    # while the app is built, so a cluster that is down was a RedisClusterException traceback.
    from tests.unit.process_start import APP, clean_env, start

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = clean_env(
        ITELLICOAI_API_KEY="k",
        ITELLICOAI_AGENT_ID="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        WEBCALL_SECRET_KEY="s" * 32,
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/webcall.sqlite3",
        WEBCALL_RATE_LIMIT_STORAGE_URI=f"redis+cluster://:S3cretPW@127.0.0.1:{port}",
    )
    result = start(APP, env)
    assert result.returncode == 2, result.stderr
    # The start logs its INFO lines (migrations, demos) first; the refusal is one line, the last.
    assert "Traceback" not in result.stderr and "S3cretPW" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("itellico web-call cannot start: setting WEBCALL_RATE_LIMIT_STORAGE_URI:")
