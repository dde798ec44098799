"""The documented production shape on loopback: two gunicorn instances sharing one Redis (rate
limits) and one PostgreSQL (call log, demos) in front of the stand-in API. Load, faults, health,
shutdown, a demo change reaching every worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import ARTIFACTS, wait_until
from .servers import (
    Gunicorn,
    Postgres,
    StandinProcess,
    gunicorn,
    postgres_server,
    redis_server,
    standin_process,
)

PER_IP_LIMIT = 150
# ITELLICOAI_TIMEOUT_SECONDS of both instances: short, so a hung upstream answers soon, but with room for
# a create on a busy 2-core machine (200 at once below; one the stand-in delays 2 s on purpose).
TIMEOUT = 5
SLACK = 3  # what a busy machine may add to the timeout before the error is out
COUNT_CREATED = text("SELECT count(*) FROM webcall_calls WHERE outcome = 'created'")
CONCURRENT_CREATES = 200


@dataclass
class Shape:
    a: Gunicorn
    b: Gunicorn
    standin: StandinProcess
    postgres: Postgres
    redis_url: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def shape() -> Iterator[Shape]:
    logs = ARTIFACTS / "serving"
    logs.mkdir(parents=True, exist_ok=True)
    with redis_server(logs) as redis_url, postgres_server() as pg, standin_process(logs) as standin:
        env = {
            "ITELLICOAI_API_KEY": standin.key,
            "ITELLICOAI_BASE_URL": standin.url,
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "ITELLICOAI_TIMEOUT_SECONDS": str(TIMEOUT),
            "WEBCALL_SECRET_KEY": "serving-test-secret-0123456789",
            "WEBCALL_DATABASE_URL": pg.url,
            "WEBCALL_RATE_LIMIT_STORAGE_URI": redis_url,
            "WEBCALL_RATE_LIMIT_PER_IP": f"{PER_IP_LIMIT}/minute",
            "WEBCALL_OPEN_CALLS_PER_IP": "1000",  # the creates below come from one address
            "WEBCALL_RATE_LIMIT_PER_DEMO": "10000/minute",
            "WEBCALL_THREADS": "16",
        }
        with gunicorn(env, logs / "gunicorn-a.log") as a, gunicorn(env, logs / "gunicorn-b.log") as b:
            yield Shape(a, b, standin, pg, redis_url, env)


@pytest.fixture(autouse=True)
def _fresh_limits(shape: Shape) -> Iterator[None]:
    redis.Redis.from_url(shape.redis_url).flushall()
    shape.standin.clear()
    yield
    shape.standin.clear()


def create(base: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{base}/api/calls", json={"mode": "text"}, timeout=30, **kwargs)


def test_both_instances_are_healthy_and_ready(shape):
    for instance in (shape.a, shape.b):
        assert httpx.get(instance.url + "/healthz").json() == {"status": "ok"}
        ready = httpx.get(instance.url + "/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "checks": {
                "settings": "ok",
                "upstream": "ok",
                "database": "ok",
                "agent": "ok",  # itellico knows ITELLICOAI_AGENT_ID
                "worker": "ok",  # no webhook or notification waits
                "task_queue": "ok",  # the default SQLite queue's file
                "rate_limits": "ok",  # the shared Redis answers PING
                "disk": "ok",  # the SQLite queue's folder has room
            },
        }


def test_each_instance_answers_on_its_own_control_socket(shape):
    """Two instances on one host used to share gunicorn's per-user control socket: the second one
    unlinked the first's, and `gunicornc` reached whichever started last."""
    from gunicorn.ctl.client import ControlClient

    for instance in (shape.a, shape.b):
        port = instance.url.rsplit(":", 1)[1]
        path = ROOT / "instance" / f"gunicorn-127.0.0.1-{port}.ctl"
        wait_until(path.exists, 30, f"control socket {path.name}")
        with ControlClient(str(path), timeout=10) as client:
            workers = {w["pid"] for w in client.send_command("show workers")["workers"]}
        pid = instance.process.pid
        children = {int(c) for c in (Path(f"/proc/{pid}/task/{pid}/children").read_text().split())}
        assert workers and workers <= children, (workers, children)


def test_200_concurrent_creates_share_one_limit_across_instances(shape):
    engine = create_engine(shape.env["WEBCALL_DATABASE_URL"])
    with engine.connect() as db:
        logged_before = db.execute(COUNT_CREATED).scalar_one()
    creates_before = shape.standin.creates()
    # This test's part of the logs: a test before it may log errors on purpose (the database stopped).
    log_before = [len(instance.log_text()) for instance in (shape.a, shape.b)]
    targets = [shape.a.url if i % 2 else shape.b.url for i in range(CONCURRENT_CREATES)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(create, targets))
    statuses = Counter(r.status_code for r in responses)
    # Redis holds one moving window for both instances: exactly the limit gets through.
    assert statuses == {201: PER_IP_LIMIT, 429: CONCURRENT_CREATES - PER_IP_LIMIT}, statuses
    assert all(r.json()["error"]["code"] == "rate_limited" for r in responses if r.status_code == 429)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    assert shape.standin.creates() - creates_before == PER_IP_LIMIT
    with engine.connect() as db:
        logged = db.execute(COUNT_CREATED).scalar_one()
    assert logged - logged_before == PER_IP_LIMIT  # both instances write one PostgreSQL call log
    for instance, before in zip((shape.a, shape.b), log_before, strict=True):
        log = instance.log_text()[before:]
        assert "Traceback" not in log and not re.search(r"\b(ERROR|CRITICAL)\b", log), log[-2000:]


def flask_cli(shape: Shape, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env | shape.env, capture_output=True, text=True, timeout=60)


def test_a_demo_change_reaches_every_worker_of_both_instances_without_a_restart(shape, tmp_path):
    """Demos live in PostgreSQL (webcall/demo_store.py); each worker reloads them when they change."""
    changed = tmp_path / "demos.toml"
    changed.write_text(
        (ROOT / "demos.toml")
        .read_text()
        .replace("Northwind Dental: your AI receptionist", "Northwind, changed")
    )

    def titles(instance: Gunicorn) -> set[str]:
        # Several requests, so that every worker of the instance answers some of them.
        pages = [httpx.get(instance.url + "/demo/northwind", timeout=10).text for _ in range(12)]
        return {re.search(r"<title>([^<]*)</title>", page).group(1) for page in pages}

    try:
        for instance in (shape.a, shape.b):
            assert titles(instance) == {
                "Northwind Dental: your AI receptionist · Northwind Dental · itellico"
            }
        result = flask_cli(shape, "demos", "import", str(changed))  # as an operator would, on PostgreSQL
        assert result.returncode == 0 and "replaced: " in result.stdout, result.stderr
        for instance in (shape.a, shape.b):
            wait_until(
                lambda i=instance: titles(i) == {"Northwind, changed · Northwind Dental · itellico"},
                15,
                "the new title",
            )
    finally:
        flask_cli(shape, "demos", "import", str(ROOT / "demos.toml"))


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        # Hung well past the timeout and its slack: an answer in time is the timeout's doing.
        ({"mode": "hang", "delay_seconds": TIMEOUT + SLACK + 4}, 504, "upstream_timeout"),
        ({"mode": "malformed"}, 502, "upstream_unavailable"),
        ({"mode": "close"}, 502, "upstream_unavailable"),
        ({"mode": "html_error"}, 502, "upstream_unavailable"),
    ],
)
def test_upstream_faults_get_their_error_in_time_and_the_app_stays_healthy(shape, fault, status, code):
    shape.standin.fault(**fault)
    started = time.monotonic()
    response = create(shape.a.url)
    assert time.monotonic() - started < TIMEOUT + SLACK  # ITELLICOAI_TIMEOUT_SECONDS plus slack
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    shape.standin.clear()
    assert httpx.get(shape.a.url + "/healthz").status_code == 200
    assert create(shape.a.url).status_code == 201


def test_database_gone_mid_run_keeps_calls_working_and_readyz_tells(shape):
    shape.postgres.stop()
    try:
        not_ready = httpx.get(shape.b.url + "/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["database"] == "unavailable"
        assert create(shape.b.url).status_code == 201  # the visitor still gets the call
        assert httpx.get(shape.b.url + "/healthz").status_code == 200
    finally:
        shape.postgres.start()
    wait_until(lambda: httpx.get(shape.b.url + "/readyz").status_code == 200, 15, "readyz after the database")


def test_graceful_shutdown_lets_an_in_flight_create_finish(shape):
    logs = ARTIFACTS / "serving"
    with gunicorn(shape.env, logs / "gunicorn-c.log") as c:
        shape.standin.fault(mode="latency", delay_seconds=2, times=1)
        result: dict[str, httpx.Response] = {}
        worker = threading.Thread(target=lambda: result.setdefault("r", create(c.url)))
        worker.start()
        # The stand-in has taken the fault: the create is now in flight inside gunicorn.
        wait_until(
            lambda: (
                httpx.get(
                    f"{shape.standin.url}/_sandbox/faults", headers={"X-API-Key": shape.standin.key}
                ).json()["faults"]
                == []
            ),
            10,
            "the create to reach the stand-in",
            interval=0.05,
        )
        c.process.send_signal(signal.SIGTERM)
        worker.join(20)
        assert result["r"].status_code == 201
        assert c.process.wait(30) == 0


def test_production_mode_refuses_to_start_without_a_secret_key(shape):
    env = {k: v for k, v in shape.env.items() if k != "WEBCALL_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "app:app"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("WEBCALL_")}, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert (
        "itellico web-call cannot start: setting WEBCALL_SECRET_KEY: is required in production"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
