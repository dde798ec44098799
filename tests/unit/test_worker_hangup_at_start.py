"""A SIGHUP as soon as the task worker says it is running (webcall/worker.py) restarts it; it does not
kill it. The worker printed "is running" before Huey's consumer had set its signal handlers (Huey does
that last, after starting its threads), so a SIGHUP in that window met the default action and the
process died (a clean-clone CI run caught it in tests/e2e/test_worker_hangup.py, which sends its
SIGHUP once the line is in a log file). Here the signal goes the moment the line arrives on a pipe,
which is when a supervisor that waits for the line would send it; and a SIGHUP during start-up, before
the consumer exists, restarts it once it runs.

The real worker as a child process on SQLite; no app, no network: a few seconds."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

pytestmark = pytest.mark.unit

RUNNING = "worker is running"
AGAIN = "SIGHUP, starting again"
OURS = ("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_")


@contextmanager
def worker(
    tmp_path: Path, **more_env: str
) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str | None]]]:
    """The worker (`more_env` added to its environment) with its output read line by line as it comes,
    each line put on the queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(
        ITELLICOAI_API_KEY="unit-hangup-key",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_SECRET_KEY="unit-hangup-secret-key-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/calls.sqlite3",
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_REFRESH_MINUTES="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(more_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "webcall.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)  # the process closed its output: it ended

    threading.Thread(target=read, daemon=True).start()
    try:
        yield process, lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_line(lines: queue.Queue[str | None], text: str, seen: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {text!r} within {timeout} s:\n{''.join(seen)}") from None
        if line is None:
            raise AssertionError(f"the worker ended before {text!r}:\n{''.join(seen)}")
        seen.append(line)
        if text in line:
            return


def test_a_sighup_the_moment_the_worker_says_it_runs_restarts_it(tmp_path: Path) -> None:
    with worker(tmp_path) as (process, lines):
        seen: list[str] = []
        wait_for_line(lines, RUNNING, seen)
        process.send_signal(signal.SIGHUP)
        wait_for_line(lines, AGAIN, seen)
        wait_for_line(lines, RUNNING, seen)
        assert process.poll() is None, "".join(seen)


def test_a_sighup_while_the_worker_starts_restarts_it_once_it_runs(tmp_path: Path) -> None:
    with worker(tmp_path) as (process, lines):
        seen: list[str] = []
        # The first line is the worker's own (its logging is set up before the app is built).
        wait_for_line(lines, "", seen)
        process.send_signal(signal.SIGHUP)
        wait_for_line(lines, AGAIN, seen)
        wait_for_line(lines, RUNNING, seen)
        assert process.poll() is None, "".join(seen)
        assert "".join(seen).count(AGAIN) == 1
