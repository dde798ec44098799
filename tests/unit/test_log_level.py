"""WEBCALL_LOG_LEVEL sets the level of the app's own lines (`webcall.*`), not only gunicorn's: with
`warning` gunicorn fell quiet while the app went on logging at INFO ("demos seeded from …")."""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from tests.unit.test_serving_config import gunicorn_serving
from tests.unit.test_worker_hangup_at_start import OURS, RUNNING, wait_for_line
from webcall import ROOT, create_app
from webcall.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


@pytest.fixture
def fresh_logger() -> Iterator[logging.Logger]:
    """The app's logger as a new process has it (no level yet), put back afterwards."""
    logger = logging.getLogger("webcall")
    before = logger.level
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.setLevel(before)


@pytest.mark.parametrize(
    ("value", "level"),
    [(None, logging.INFO), ("warning", logging.WARNING), ("DEBUG", logging.DEBUG), ("error", logging.ERROR)],
)
def test_the_apps_loggers_follow_the_setting(fresh_logger, settings, tmp_path, value, level):
    env = {"ITELLICOAI_API_KEY": "k" * 20, "ITELLICOAI_AGENT_ID": str(uuid.uuid4())}
    read = Settings.from_env(env if value is None else {**env, "WEBCALL_LOG_LEVEL": value})
    changed = replace(settings, log_level=read.log_level, database_url=f"sqlite:///{tmp_path}/w.sqlite3")
    create_app({"settings": changed, "TESTING": True})
    assert logging.getLogger("webcall.calls").getEffectiveLevel() == level


def test_a_bad_value_stops_the_start_as_gunicorn_does():
    # The worker and `make run` have no gunicorn to check it first: the same one line.
    env = {
        "ITELLICOAI_API_KEY": "k" * 20,
        "ITELLICOAI_AGENT_ID": str(uuid.uuid4()),
        "WEBCALL_LOG_LEVEL": "loud",
    }
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert str(info.value) == (
        "setting WEBCALL_LOG_LEVEL: 'loud' is not one of debug, info, warning, error, critical"
    )


@pytest.mark.parametrize(("value", "seeded_line"), [("info", True), ("warning", False)])
def test_under_gunicorn_the_apps_info_lines_follow_it(tmp_path, value, seeded_line):
    # A new database's first start logs the demos it seeded, at INFO, from the app (webcall.demos).
    with gunicorn_serving(tmp_path, WEBCALL_LOG_LEVEL=value):
        pass
    log = (tmp_path / "gunicorn.log").read_text()
    assert ("INFO webcall.demos demos seeded from" in log) is seeded_line, log
    assert ("[INFO] Booting worker" in log) is seeded_line, log  # gunicorn's own, as before


# The task worker as a child process (webcall/worker.py), on a new SQLite database: its start migrates it
# (Alembic's lines) and starts Huey's consumer (its banner). It set the root logger to INFO, so with
# `warning` both still printed INFO lines, Huey's three a minute and more per event (an operator's audit).
# Its "is running" line (webcall.worker, INFO) is kept at INFO here: the moment to stop it, whatever the
# level of the rest.
RUN_WORKER = (
    "import logging, sys; from webcall import worker; "
    "logging.getLogger('webcall.worker').setLevel(logging.INFO); sys.exit(worker.main())"
)


def worker_records(tmp_path: Path, **settings: str) -> list[dict[str, str]]:
    """Every JSON line the worker wrote from its start until it stopped on SIGINT, once it runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(
        ITELLICOAI_API_KEY="unit-log-level-key",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_SECRET_KEY="unit-log-level-secret-key-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/calls.sqlite3",
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_REFRESH_MINUTES="0",
        WEBCALL_LOG_FORMAT="json",
        WEBCALL_ASSETS="source",  # it serves none: a `make assets` running meanwhile does not matter
        PYTHONUNBUFFERED="1",
        **settings,
    )
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_WORKER],
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
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        wait_for_line(lines, RUNNING, seen)
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0, "".join(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(10)
    while (line := lines.get_nowait()) is not None:
        seen.append(line)
    return [json.loads(line) for line in seen]


@pytest.mark.parametrize(
    ("settings", "info_lines"),
    [({}, True), ({"WEBCALL_LOG_LEVEL": "warning"}, False), ({"WEBCALL_LOG_LEVEL": "debug"}, True)],
)
def test_the_workers_huey_and_alembic_lines_follow_it(tmp_path, settings, info_lines):
    records = worker_records(tmp_path, **settings)
    theirs = [r for r in records if r["logger"].startswith(("huey", "alembic")) and r["level"] == "INFO"]
    expected = {"huey", "alembic"} if info_lines else set()
    assert {r["logger"].split(".")[0] for r in theirs} == expected, theirs
    # `debug` is the app's own: the libraries' DEBUG lines (Huey's at every poll of every thread) stay out.
    assert [r for r in records if r["level"] == "DEBUG" and not r["logger"].startswith("webcall")] == []
