"""Secrets stay on the server and out of its logs, under both ways the app is served.

itellico may quote our API key back in an error (the stand-in's `echo_key` fault does, in its
message, detail and field errors; `server_error` puts it in a 5xx detail). Whatever the app logs
about that, and whatever the access log prints (share links in query strings), no line carries the
key, the secret key or the sales password. (That the sandbox's agent workers do not inherit them is
in test_agent_worker.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import ARTIFACTS, wait_until
from .servers import StandinProcess, _stop, standin_process

SECRET_KEY = "log-test-secret-key-9f8e7d6c5b4a"
SALES_PASSWORD = "log-test-sales-password-42"
JWT_LIKE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9zcGVjdCJ9.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinProcess]:
    logs = ARTIFACTS / "logs" / "secrets"
    logs.mkdir(parents=True, exist_ok=True)
    with standin_process(logs) as process:
        yield process


@contextmanager
def served(command: list[str], standin: StandinProcess, log: Path, port: int) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    database = log.with_suffix(".sqlite3")
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in database.parent.glob(f"{database.name}*"):  # with -wal and -shm
        stale.unlink()
    env.update(
        ITELLICOAI_API_KEY=standin.key,
        ITELLICOAI_BASE_URL=standin.url,
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        WEBCALL_SECRET_KEY=SECRET_KEY,
        WEBCALL_SALES_PASSWORD=SALES_PASSWORD,
        WEBCALL_SALES_ADMIN_EMAIL="admin@example.com",
        WEBCALL_DATABASE_URL=f"sqlite:///{database}",  # a file: gunicorn runs in production
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                return httpx.get(url + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 60, f"{command[2]} to serve")
        yield url
    finally:
        _stop(process, timeout=30)


def provoke(url: str, standin: StandinProcess) -> None:
    """Every path on which the key or a token could reach a log line."""
    standin.fault(mode="echo_key", times=1)
    assert httpx.post(url + "/api/calls", json={}).json()["error"]["code"] == "upstream_rejected"
    standin.fault(mode="server_error", status=500, times=1)
    assert httpx.post(url + "/api/calls", json={}).status_code == 502
    # A share link and a token in query strings: both access logs print the request line.
    httpx.get(url + f"/demo/alpenblick?link={JWT_LIKE}")
    httpx.get(url + f"/embed/alpenblick?link=some.signed-link_token&x={SECRET_KEY}")
    httpx.post(url + "/demos/login", data={"email": "admin@example.com", "password": SALES_PASSWORD})


def assert_clean(log: Path, standin: StandinProcess) -> None:
    text = log.read_text(errors="replace")
    assert "upstream_rejected" in text  # the create was logged: the test saw the lines it checks
    assert "[redacted]" in text  # and the key was there to redact
    for secret in (standin.key, SECRET_KEY, SALES_PASSWORD, JWT_LIKE, "some.signed-link_token"):
        assert secret not in text, f"{secret[:12]}… is in {log.name}"


SERVERS = {
    "flask-run": lambda port: [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)],
    "gunicorn": lambda _port: [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_no_log_line_carries_a_secret(standin, server):
    log = ARTIFACTS / "logs" / "secrets" / f"{server}.log"
    port = free_port()
    with served(SERVERS[server](port), standin, log, port) as url:
        provoke(url, standin)
    assert_clean(log, standin)
