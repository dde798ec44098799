"""/readyz and the Redis behind the task queue and the shared rate limits, against a real redis-server.

- Up: `task_queue` and `rate_limits` say "ok", status "ready".
- Stopped: both say "unavailable" at once; status "degraded" with 200, never 503 (webcall/health.py
  says why), and one log line naming the error's type.
- A Redis that accepts connections and never answers costs one probe timeout, not a hung request.
- The probes are cached: polling /readyz opens one Redis connection per check and cache window.
- Never a password from the URL or an error text in the answer or the log.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from huey import SqliteHuey

from tests.e2e.servers import redis_server
from tests.readiness import checks
from webcall import create_app, health, redis_ping

pytestmark = pytest.mark.unit

PASSWORD = "S3cretPW-readyz"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


class Stalling:
    """A TCP listener that accepts every connection and never sends a byte (a hung Redis)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (a bare close does not)
        self.sock.close()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()


@contextmanager
def stalling() -> Iterator[Stalling]:
    server = Stalling()
    try:
        yield server
    finally:
        server.close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.01)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_for(settings, **changes):
    return create_app({"settings": replace(settings, **changes)}).test_client()


def advance_readyz_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the clock /readyz's caches read (only theirs) `seconds` forward."""
    now = time.monotonic() + seconds
    monkeypatch.setattr(health, "time", SimpleNamespace(monotonic=lambda: now))


def test_the_default_memory_queue_is_ok_and_memory_rate_limits_are_not_reported(settings, standin):
    ready = client_for(settings).get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ready",
        "checks": checks(),
    }


def test_redis_up_reports_the_task_queue_and_rate_limits_ok(settings, standin, redis_url):
    client = client_for(settings, task_queue_url=redis_url, rate_limit_storage_uri=redis_url)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["checks"] == checks(rate_limits="ok")


def test_redis_stopped_is_unavailable_at_once_and_does_not_fail_readiness(
    settings, standin, tmp_path, monkeypatch, caplog
):
    with redis_server(tmp_path) as url:
        client = client_for(settings, task_queue_url=url, rate_limit_storage_uri=url)
        assert client.get("/readyz").get_json()["checks"]["task_queue"] == "ok"
    advance_readyz_clock(monkeypatch, health.REDIS_CHECK_CACHE_SECONDS + 0.1)
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        started = time.perf_counter()
        ready = client.get("/readyz")
        elapsed = time.perf_counter() - started
    assert ready.status_code == 200, ready.text
    assert ready.get_json() == {
        "status": "degraded",
        "checks": checks(task_queue="unavailable", rate_limits="unavailable"),
    }
    assert elapsed < health.REDIS_CHECK_TIMEOUT_SECONDS, elapsed  # refused: no timeout to wait out
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.health"]
    assert lines == [
        "readiness: task_queue unavailable (ConnectionError)",
        "readiness: rate_limits unavailable (ConnectionError)",
    ]


def test_a_redis_that_accepts_and_never_answers_costs_one_timeout_per_check(settings, standin, caplog):
    timeout = health.REDIS_CHECK_TIMEOUT_SECONDS
    with stalling() as queue, stalling() as sentinel_a, stalling() as sentinel_b:
        # Two Sentinels that both hang share the one timeout of the rate-limit check; both are tried.
        limits_uri = (
            f"redis+sentinel://:{PASSWORD}@127.0.0.1:{sentinel_a.port},127.0.0.1:{sentinel_b.port}/main"
        )
        client = client_for(
            settings,
            task_queue_url=f"redis://:{PASSWORD}@127.0.0.1:{queue.port}/0",
            rate_limit_storage_uri=limits_uri,
        )
        with caplog.at_level(logging.DEBUG):
            started = time.perf_counter()
            ready = client.get("/readyz")
            elapsed = time.perf_counter() - started
        # Each hung listener was reached (accepted by its thread, which may come a moment after).
        for listener in (queue, sentinel_a, sentinel_b):
            wait_for(lambda listener=listener: listener.accepted, "a probe to reach the hung listener")
    assert ready.status_code == 200, ready.text
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["task_queue"] == "unavailable"
    assert ready.get_json()["checks"]["rate_limits"] == "unavailable"
    # One timeout each (redis-py's own retries, or one per Sentinel, would be several), plus slack.
    assert 2 * timeout - 0.1 <= elapsed < 2 * timeout + 0.8, elapsed
    assert PASSWORD not in ready.text and PASSWORD not in caplog.text
    assert "Timeout reading" not in ready.text and "Timeout" not in ready.text
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.health"]
    assert lines == [
        "readiness: task_queue unavailable (TimeoutError)",
        "readiness: rate_limits unavailable (TimeoutError)",
    ]


def test_readyz_contacts_redis_once_per_check_and_cache_window(settings, standin, redis_url, monkeypatch):
    counter = redis.Redis.from_url(redis_url)  # one connection of its own, reused for every INFO

    def connections() -> int:
        return counter.info("stats")["total_connections_received"]

    try:
        client = client_for(settings, task_queue_url=redis_url, rate_limit_storage_uri=redis_url)
        before = connections()
        answers = [client.get("/readyz") for _ in range(20)]
        assert all(a.get_json()["status"] == "ready" for a in answers)
        assert connections() == before + 2  # the queue's PING and the rate limits' PING, once
        advance_readyz_clock(monkeypatch, health.REDIS_CHECK_CACHE_SECONDS + 0.1)
        assert client.get("/readyz").get_json()["checks"]["task_queue"] == "ok"
        assert connections() == before + 4
    finally:
        counter.close()


def test_no_password_or_error_text_when_redis_refuses(settings, standin, caplog):
    port = closed_port()
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    with caplog.at_level(logging.DEBUG):
        ready = client_for(settings, task_queue_url=url, rate_limit_storage_uri=url).get("/readyz")
    assert ready.get_json()["checks"]["task_queue"] == "unavailable"
    assert set(ready.get_json()["checks"].values()) == {"ok", "unavailable"}
    assert PASSWORD not in ready.text and PASSWORD not in caplog.text
    # redis-py's message: "Error 111 connecting to 127.0.0.1:<port>. Connection refused."
    for text in (ready.text.lower(), caplog.text.lower()):
        assert (
            "connection refused" not in text and "error 111" not in text and f"127.0.0.1:{port}" not in text
        )


def ruin(path: Path) -> None:
    with path.open("r+b") as file:  # the same file, no database any more
        file.write(b"\0" * 4096)


@pytest.mark.parametrize("damage", [ruin, Path.unlink], ids=["ruined", "removed"])
def test_the_embedded_sqlite_queue_file_is_read_and_damage_reported(
    settings, standin, tmp_path, monkeypatch, damage
):
    path = tmp_path / "queue.sqlite3"
    client = client_for(settings, task_queue_url=f"sqlite:///{path}")
    assert client.get("/readyz").get_json()["checks"]["task_queue"] == "ok"
    damage(path)
    advance_readyz_clock(monkeypatch, health.REDIS_CHECK_CACHE_SECONDS + 0.1)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["task_queue"] == "unavailable"


def test_a_check_logs_once_when_it_fails_and_once_when_it_is_back(
    settings, standin, tmp_path, monkeypatch, caplog
):
    path = tmp_path / "queue.sqlite3"
    client = client_for(settings, task_queue_url=f"sqlite:///{path}")
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        client.get("/readyz")
        path.unlink()
        for step in (1, 2, 3):  # three cache windows with the file gone
            advance_readyz_clock(monkeypatch, step * (health.REDIS_CHECK_CACHE_SECONDS + 0.1))
            assert client.get("/readyz").get_json()["checks"]["task_queue"] == "unavailable"
        SqliteHuey("webcall", filename=str(path))  # a new queue file, as a restarted worker makes
        advance_readyz_clock(monkeypatch, 4 * (health.REDIS_CHECK_CACHE_SECONDS + 0.1))
        assert client.get("/readyz").get_json()["checks"]["task_queue"] == "ok"
    assert [r.getMessage() for r in caplog.records if r.name == "webcall.health"] == [
        "readiness: task_queue unavailable (OperationalError)",
        "readiness: task_queue ok again",
    ]


def test_a_sentinel_uri_is_ok_when_one_of_its_hosts_answers(redis_url):
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    uri = f"redis+sentinel://127.0.0.1:{closed_port()},127.0.0.1:{port}/main"
    assert redis_ping.storage_failure(uri, 1.0) is None
    assert isinstance(
        redis_ping.storage_failure(uri.replace(f":{port}", f":{closed_port()}"), 1.0), redis.RedisError
    )


def test_the_workers_start_check_masks_the_password(redis_url):
    # webcall/worker.py's start check, shared: the same one line as before, the password masked.
    port = closed_port()
    problem = redis_ping.unreachable(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    assert problem is not None and PASSWORD not in problem
    assert problem.startswith(
        f"cannot reach the Redis queue at redis://:***@127.0.0.1:{port}/0: ConnectionError: "
    )
    assert redis_ping.unreachable(redis_url) is None
    assert redis_ping.unreachable("sqlite:///instance/tasks.sqlite3") is None
