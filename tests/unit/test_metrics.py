"""GET /metrics: who may read it, and that the numbers move as calls succeed and fail.

One process here, so the metrics live in prometheus_client's default registry, shared by every app
the tests build: each test compares before and after. (Several gunicorn workers adding up is
tests/e2e/test_operations.py.)
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from webcall import create_app
from webcall.settings import Settings, SettingsError

from .process_start import APP, WORKER, clean_env, start

pytestmark = pytest.mark.unit

TOKEN = "metrics-token-for-the-unit-tests"
AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **headers: str):
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})


@pytest.fixture
def metrics_app(settings):
    return create_app({"settings": replace(settings, metrics_token=TOKEN), "TESTING": True})


# -- access --------------------------------------------------------------------------------------


def test_metrics_are_off_for_everyone_by_default(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found" and "off" in error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_the_bearer_token_opens_metrics_and_nothing_else_does(metrics_app):
    client = metrics_app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden", headers
        assert b"webcall_" not in refused.data
    # Loopback is not trusted for coming from loopback: every test-client request does.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    for scheme in ("bearer", "BEARER"):  # the scheme's case does not matter (RFC 9110, 11.1)
        assert client.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    response = scrape(client)
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    assert 'webcall_build_info{commit="' in response.get_data(as_text=True)


def test_allowed_addresses_read_metrics_without_the_token(settings):
    app = create_app(
        {"settings": replace(settings, metrics_allow=("10.0.0.0/24", "::1/128")), "TESTING": True}
    )
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.1.7"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_behind_a_trusted_proxy_the_forwarded_address_decides_not_the_proxys(settings):
    """nginx on the same host connects from 127.0.0.1 for every visitor: with hops 1 the app judges
    the address nginx forwards, so allowing loopback (a local Prometheus) lets no visitor in."""
    app = create_app(
        {
            "settings": replace(settings, trusted_proxy_hops=1, metrics_allow=("127.0.0.1/32",)),
            "TESTING": True,
        }
    )
    client = app.test_client()
    local = {"REMOTE_ADDR": "127.0.0.1"}
    visitor = client.get("/metrics", environ_base=local, headers={"X-Forwarded-For": "203.0.113.9"})
    assert visitor.status_code == 403
    assert client.get("/metrics", environ_base=local).status_code == 200  # Prometheus, directly


def test_production_refuses_to_allow_loopback_without_trusted_hops():
    env = {
        "ITELLICOAI_API_KEY": "k",
        "ITELLICOAI_AGENT_ID": AGENT,
        "WEBCALL_ENV": "production",
        "WEBCALL_SECRET_KEY": "s" * 32,
        "WEBCALL_METRICS_ALLOW": "10.0.0.5, 127.0.0.0/8",
    }
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert info.value.name == "WEBCALL_METRICS_ALLOW" and "loopback" in str(info.value)
    assert Settings.from_env({**env, "WEBCALL_TRUSTED_PROXY_HOPS": "1"}).metrics_allow == (
        "10.0.0.5/32",
        "127.0.0.0/8",
    )
    assert Settings.from_env({**env, "WEBCALL_METRICS_ALLOW": "10.0.0.5"}).metrics_allow == ("10.0.0.5/32",)


def test_ipv4_mapped_entries_are_ipv4_so_they_match_and_loopback_is_still_refused():
    # The app compares a client's ::ffff:a.b.c.d as a.b.c.d, so an entry written that way never matched,
    # and the loopback guard let ::ffff:127.0.0.1 through.
    env = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": AGENT, "WEBCALL_SECRET_KEY": "s" * 32}
    mapped = {**env, "WEBCALL_METRICS_ALLOW": "::ffff:10.0.0.5, ::ffff:192.168.0.0/112"}
    assert Settings.from_env(mapped).metrics_allow == ("10.0.0.5/32", "192.168.0.0/16")
    for loopback in ("::ffff:127.0.0.1", "::ffff:0:0/96"):
        with pytest.raises(SettingsError) as info:
            Settings.from_env({**env, "WEBCALL_ENV": "production", "WEBCALL_METRICS_ALLOW": loopback})
        assert info.value.name == "WEBCALL_METRICS_ALLOW" and "loopback" in str(info.value)
    settings = Settings.from_env({**mapped, "WEBCALL_METRICS_TOKEN": ""})
    client = create_app({"settings": settings, "TESTING": True}).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:10.0.0.5"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.6"}).status_code != 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBCALL_METRICS_TOKEN", "short"),
        ("WEBCALL_METRICS_ALLOW", "10.0.0.300"),
        ("WEBCALL_METRICS_ALLOW", "prometheus.local"),
        ("WEBCALL_LOG_FORMAT", "xml"),
    ],
)
def test_bad_operations_settings_name_the_setting(name, value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": AGENT, name: value})
    assert info.value.name == name


# -- the numbers move --------------------------------------------------------------------------


def test_creates_count_by_demo_and_outcome_and_time_both_sides(metrics_app, standin):
    client = metrics_app.test_client()
    created = ("webcall_call_creates_total", {"demo": "default", "outcome": "created"})
    failed = ("webcall_call_creates_total", {"demo": "default", "outcome": "upstream_unavailable"})
    unknown = ("webcall_call_creates_total", {"demo": "unknown", "outcome": "unknown_demo"})
    ours = ("webcall_call_create_duration_seconds_count", {"result": "failed"})
    upstream_ok = (
        "webcall_upstream_request_duration_seconds_count",
        {"operation": "create_call", "outcome": "ok"},
    )
    upstream_5xx = (
        "webcall_upstream_request_duration_seconds_count",
        {"operation": "create_call", "outcome": "unavailable"},
    )
    series = (created, failed, unknown, ours, upstream_ok, upstream_5xx)
    before = [sample(name, **labels) for name, labels in series]

    assert client.post("/api/calls", json={}).status_code == 201
    standin.fault(mode="server_error", status=500, times=1)
    assert client.post("/api/calls", json={}).status_code == 502
    assert client.post("/api/calls", json={"demo": "no-such-demo-" + "x" * 40}).status_code == 404

    after = [sample(name, **labels) for name, labels in series]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1, 2, 1, 1]
    text = scrape(client).get_data(as_text=True)
    assert "no-such-demo" not in text  # a demo nobody configured never becomes a label


def test_upstream_retries_are_counted_with_their_reason(metrics_app, standin):
    retries = {"operation": "create_call", "reason": "unavailable"}
    before = sample("webcall_upstream_retries_total", **retries)
    standin.fault(mode="server_error", status=503, times=1)  # 503 is retried; the second try works
    assert metrics_app.test_client().post("/api/calls", json={}).status_code == 201
    assert sample("webcall_upstream_retries_total", **retries) - before == 1


def test_rate_limited_requests_count_by_scope(settings, standin):
    app = create_app({"settings": replace(settings, rate_limit_per_ip="2/minute"), "TESTING": True})
    client = app.test_client()
    before = sample("webcall_rate_limited_requests_total", scope="create-ip")
    statuses = [client.post("/api/calls", json={}).status_code for _ in range(4)]
    assert statuses == [201, 201, 429, 429]
    assert sample("webcall_rate_limited_requests_total", scope="create-ip") - before == 2


def test_call_log_write_failures_are_counted_and_the_call_goes_on(metrics_app, standin, monkeypatch):
    def broken(**_fields: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is gone"))

    monkeypatch.setattr(metrics_app.extensions["webcall"].calllog, "record", broken)
    before = sample("webcall_calllog_write_failures_total", operation="record")
    assert metrics_app.test_client().post("/api/calls", json={}).status_code == 201
    assert sample("webcall_calllog_write_failures_total", operation="record") - before == 1


@pytest.mark.parametrize(
    ("what", "program"), [(APP, "itellico web-call"), (WORKER, "itellico web-call worker")]
)
@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_bad_multiprocess_folder_stops_the_start_with_one_line(tmp_path, kind, what, program):
    # prometheus_client writes each process's samples there: a folder it cannot use failed the first
    # metric write with a FileNotFoundError traceback, at start and then in requests.
    folder = tmp_path / "metrics"
    if kind == "a file":
        folder.write_text("")
    env = clean_env(ITELLICOAI_API_KEY="k", ITELLICOAI_AGENT_ID=AGENT, WEBCALL_SECRET_KEY="s" * 32)
    result = start(what, {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{program} cannot start: setting PROMETHEUS_MULTIPROC_DIR:")
    assert str(folder) in line
