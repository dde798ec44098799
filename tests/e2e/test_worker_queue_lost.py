"""The task worker whose Redis queue goes away while it runs: Huey's worker fails every poll, and each
failure was a logged traceback (40 in 10 s, drowning every other line). It now logs the failure once,
then at most once a minute with a count (webcall/logs.py `OncePerInterval`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID

from .conftest import wait_until
from .servers import _stop, _wait_for_port
from .test_notifications_e2e import worker

pytestmark = pytest.mark.e2e

FAILURE = "Error reading from queue"


def test_a_lost_queue_is_one_error_line_not_one_per_poll(tmp_path: Path) -> None:
    exe = shutil.which("redis-server")
    assert exe, "redis-server is missing: `make setup` installs it"
    port = free_port()
    redis = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    ours = ("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        ITELLICOAI_API_KEY="queue-lost-key",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_SECRET_KEY="queue-lost-secret-key-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path / 'webcall.sqlite3'}",
        WEBCALL_TASK_QUEUE_URL=f"redis://127.0.0.1:{port}/0",
        WEBCALL_REFRESH_MINUTES="0",
    )
    log = tmp_path / "worker.log"
    try:
        _wait_for_port(port, redis, "redis-server")
        with worker(env, log):
            wait_until(lambda: "worker is running" in log.read_text(), 60, "the worker to run")
            redis.kill()  # the queue goes away while the worker runs
            redis.wait()
            wait_until(lambda: FAILURE in log.read_text(), 30, "the worker to notice the queue is gone")
            # Then it keeps failing every poll (Huey backs off to a few seconds at most): watch a while.
            noticed = time.monotonic()
            wait_until(lambda: time.monotonic() - noticed > 8, 10, "eight seconds of failing polls")
            text = log.read_text()
        assert text.count(FAILURE) == 1, text[-3000:]
        # Each kind of failure once, never once per poll: the worker's read of the queue, and the
        # scheduler's read and periodic enqueue as they happen to meet the outage (a clean-clone run saw
        # all three in one second; the periodic enqueue had mostly fallen outside the watched seconds).
        errors = [line.split(" ERROR ", 1)[1] for line in text.splitlines() if " ERROR " in line]
        assert len(errors) == len(set(errors)) and len(errors) <= 3, errors
    finally:
        _stop(redis)
