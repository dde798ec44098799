"""Who reads /readyz's words: a stranger gets the status alone (an audit).

The shipped nginx proxies every path, so anyone could read the operator's words (`agent: unknown`,
`database: unavailable`, `disk: low`, `worker: behind`, whether limits are in Redis) and watch for the
moment the service was degraded. A load balancer reads only the HTTP status; the words are for the
operator's monitor: /metrics' reader (its bearer token or an address in WEBCALL_METRICS_ALLOW) and a
client on this host. And a database that is down logs its warning once per change, not at every ask.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from webcall import create_app

pytestmark = pytest.mark.unit

TOKEN = "m" * 24
STRANGER = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
UNKNOWN_AGENT = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def client(settings, standin):
    changed = replace(
        settings, agent_id=UNKNOWN_AGENT, metrics_token=TOKEN, metrics_allow=("198.51.100.0/24",)
    )
    return create_app({"settings": changed}).test_client()


def test_a_stranger_reads_the_status_alone(client):
    ready = client.get("/readyz", **STRANGER)
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "degraded"}


@pytest.mark.parametrize(
    "reader",
    [
        {"headers": {"Authorization": f"Bearer {TOKEN}"}, **STRANGER},
        {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}},
        {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}},
    ],
    ids=["metrics-token", "metrics-allow", "this-host"],
)
def test_the_operators_monitor_reads_every_check(client, reader):
    ready = client.get("/readyz", **reader)
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded" and ready.get_json()["checks"]["agent"] == "unknown"


def test_a_wrong_token_is_a_stranger(client):
    ready = client.get("/readyz", headers={"Authorization": "Bearer nope"}, **STRANGER)
    assert "checks" not in ready.get_json()


def test_a_database_down_is_said_once_per_change(settings, standin, tmp_path, caplog):
    database = tmp_path / "calls.sqlite3"
    app = create_app({"settings": replace(settings, database_url=f"sqlite:///{database}")})
    client = app.test_client()
    assert client.get("/readyz").get_json()["checks"]["database"] == "ok"
    app.extensions["webcall"].calllog.engine.dispose()
    for kept in tmp_path.glob("calls.sqlite3*"):
        kept.unlink()
    database.mkdir()  # a folder where the file was: every connect fails (root reads any file)
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        answers = [client.get("/readyz") for _ in range(3)]
    database.rmdir()
    assert [a.status_code for a in answers] == [503] * 3
    assert all(a.get_json()["checks"]["database"] == "unavailable" for a in answers)
    lines = [r.getMessage() for r in caplog.records if "database" in r.getMessage()]
    assert lines == ["readiness: database unavailable (OperationalError)"], lines
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        assert client.get("/readyz").get_json()["checks"]["database"] == "ok"
    assert "readiness: database ok again" in caplog.text
