"""What the task worker's consumer does after each signal (webcall/worker.py): SIGHUP restarts it in
place once its tasks are done (tests/e2e/test_worker_hangup.py runs that for real), never through
Huey's own re-exec; a SIGTERM or SIGINT that follows while the tasks finish makes it a stop."""

from __future__ import annotations

import signal

import pytest
from huey import MemoryHuey

from webcall import worker

pytestmark = pytest.mark.unit


def test_sighup_is_a_restart_of_ours_not_hueys():
    tasks = worker.consumer(MemoryHuey("signals"))
    tasks._handle_signal(signal.SIGHUP, None)
    assert tasks.hung_up and not tasks._restart  # Huey's re-exec would run worker.py as a plain file


def test_a_sigterm_after_sighup_stops_instead():
    tasks = worker.consumer(MemoryHuey("signals"))
    tasks._handle_signal(signal.SIGHUP, None)
    tasks._handle_signal(signal.SIGTERM, None)
    assert not tasks.hung_up and not tasks._restart
