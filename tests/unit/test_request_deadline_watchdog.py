"""RequestDeadline (webcall/notification_deadline.py) under load: every itellico request and every
notification attempt has one, and each used to start its own `threading.Timer`, an OS thread per
request in flight just to shut a socket down at the end. Now one watchdog thread per process serves
them all, and still shuts each one's socket at its own time, never before and never once it is done.

Each deadline here watches one end of a local socket pair: the watchdog's shutdown is what ends the
test's `recv` (b"" at once), so the cut is observed directly, and a missing one fails at WAIT.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from webcall.notification_deadline import RequestDeadline

pytestmark = pytest.mark.unit

WAIT = 5.0  # a cut that has not come by then never will
SLACK = 1.5  # how late a cut may come on a busy machine (two test processes on 2 cores)
N = 20


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    made: list[tuple[socket.socket, socket.socket]] = []
    yield made
    for watched, other in made:
        watched.close()
        other.close()


def pair(made: list[tuple[socket.socket, socket.socket]]) -> socket.socket:
    """One end of a new socket pair, reads bounded by WAIT."""
    watched, other = socket.socketpair()
    watched.settimeout(WAIT)
    made.append((watched, other))
    return watched


def is_shut(sock: socket.socket) -> bool:
    """Shut down (a read ends at once with b""), or still open with nothing to read."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    finally:
        sock.settimeout(WAIT)


def test_many_deadlines_share_one_thread_and_each_cuts_on_time(pairs):
    before = set(threading.enumerate())
    started = time.monotonic()
    due = [0.3 + 0.02 * i for i in range(N)]
    with ExitStack() as stack:
        deadlines = [stack.enter_context(RequestDeadline(seconds)) for seconds in due]
        sockets = [pair(pairs) for _ in due]
        for deadline, sock in zip(deadlines, sockets, strict=True):
            deadline.watch(sock)
        new_threads = set(threading.enumerate()) - before
        assert len(new_threads) <= 1, sorted(thread.name for thread in new_threads)
        for seconds, deadline, sock in zip(due, deadlines, sockets, strict=True):
            assert sock.recv(1) == b"", "not cut"  # socket.timeout after WAIT: never cut
            took = time.monotonic() - started
            assert seconds <= took < seconds + SLACK, (seconds, took)
            assert deadline.passed


def test_a_deadline_sooner_than_those_waited_for_is_cut_at_its_own_time(pairs):
    # The watchdog waits for the earliest deadline it has; a sooner one must wake it.
    warm_up, first, sooner = pair(pairs), pair(pairs), pair(pairs)
    with RequestDeadline(0) as now:  # the watchdog is running, and waiting, before the two are added
        now.watch(warm_up)
        assert warm_up.recv(1) == b""
    started = time.monotonic()
    with RequestDeadline(0.8) as later, RequestDeadline(0.1) as deadline:
        later.watch(first)
        deadline.watch(sooner)
        assert sooner.recv(1) == b""
        took = time.monotonic() - started
        assert 0.1 <= took < 0.8, took
        assert not later.passed


def test_a_deadline_left_in_time_never_cuts(pairs):
    early, later = pair(pairs), pair(pairs)
    with RequestDeadline(0.1) as done:
        done.watch(early)
    with RequestDeadline(0.3) as timed_out:
        timed_out.watch(later)
        assert later.recv(1) == b""  # 0.3 s have passed: the first one's time came and went
    assert not done.passed
    assert not is_shut(early)


def test_a_socket_named_after_the_deadline_is_cut_at_once(pairs):
    # An SMTP conversation names its TLS socket after STARTTLS (webcall/notification_send.py).
    marker, late = pair(pairs), pair(pairs)
    with RequestDeadline(0.1) as deadline, RequestDeadline(0.2) as after:
        after.watch(marker)
        assert marker.recv(1) == b""  # the second deadline passed, so the first one has too
        assert deadline.passed
        deadline.watch(late)
        assert is_shut(late)


def _child_cuts_its_own_socket() -> None:
    watched, _peer = socket.socketpair()  # kept open: a closed peer would end the read without a cut
    watched.settimeout(WAIT)
    started = time.monotonic()
    with RequestDeadline(0.6) as deadline:
        deadline.watch(watched)
        cut = watched.recv(1) == b""
    raise SystemExit(0 if cut and time.monotonic() - started < 0.6 + SLACK else 1)


def test_a_forked_worker_has_its_own_watchdog_and_leaves_the_parents_sockets_alone(pairs):
    # gunicorn forks its workers from the master: a watchdog thread of the master's does not run in a
    # worker, and a worker's copy of the master's deadlines must not shut the sockets they share.
    parents = pair(pairs)
    with RequestDeadline(0.3) as deadline:
        deadline.watch(parents)
        child = multiprocessing.get_context("fork").Process(target=_child_cuts_its_own_socket)
        child.start()
    child.join(WAIT + SLACK)
    assert child.exitcode == 0, child.exitcode  # None: still waiting for its cut
    assert not deadline.passed
    assert not is_shut(parents)
