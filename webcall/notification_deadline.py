"""A deadline for one HTTP request made with httpx or one SMTP conversation, whatever it is waiting for
(webcall/notification_send.py gives each webhook and email attempt one, webcall/itellico.py each
request to itellico). httpx's and smtplib's timeouts are per step: each read may take the whole
timeout, so a receiver answering a byte every few seconds was never timed out.

One watchdog thread per process keeps every deadline (a `threading.Timer` each was an OS thread per
request in flight). It starts with the first deadline; a forked process (gunicorn's workers are forked
from the master) starts its own, and forgets its parent's deadlines, whose sockets it shares.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class RequestDeadline:
    """Use as a context manager around the request, passing `trace` as httpx's `trace` extension: it
    hands over each connection made for the request, and at the deadline that connection's socket is
    shut down, which ends any read or write under way with an error. `passed` then says why."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._over = False
        self.passed = False

    def __enter__(self) -> RequestDeadline:
        _watchdog.add(time.monotonic() + self._seconds, self)  # counted from here, as the Timer was
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._over = True  # before the client closes the socket: never shut down once done
            self._socket = None  # the watchdog keeps a done deadline until its time: not its socket

    def trace(self, name: str, info: dict[str, Any]) -> None:
        if name not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        self.watch(stream.get_extra_info("socket") if stream is not None else None)

    def watch(self, sock: socket.socket | None) -> None:
        """The socket the conversation reads now (a TLS one after STARTTLS): shut down at the deadline."""
        with self._lock:
            self._socket = sock
            if self.passed:
                _shut(sock)

    def _cut(self) -> None:
        with self._lock:
            if self._over:
                return
            self.passed = True
            _shut(self._socket)


class _Watchdog:
    """The deadlines of this process in a heap, earliest first, and the one thread that cuts them when
    their time comes. A deadline left in time stays in the heap until then (it is marked done, see
    `RequestDeadline.__exit__`): removing it would cost a search of the heap on every request."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, RequestDeadline]] = []
        self._order = itertools.count()  # ties: never compare two deadlines
        self._thread: threading.Thread | None = None

    def add(self, at: float, deadline: RequestDeadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:  # a new earliest one: the thread waits for another
                self._wake.notify()

    def _run(self) -> None:
        while True:
            for deadline in self._due():
                try:
                    deadline._cut()  # outside the heap's lock: a cut takes the deadline's own
                except Exception:  # one odd socket must not end the thread that serves every request
                    log.exception("request deadline: cut failed")

    def _due(self) -> list[RequestDeadline]:
        """Waits until at least one deadline's time has come, and takes those off the heap."""
        with self._wake:
            while True:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    due = []
                    while self._heap and self._heap[0][0] <= now:
                        due.append(heapq.heappop(self._heap)[2])
                    return due
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = _Watchdog()


def _forked() -> None:
    # The child has no watchdog thread, and a lock a parent's thread held at the fork stays held; its
    # copy of the parent's deadlines is the parent's business (a shutdown would cut the shared socket).
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_forked)


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        # socket.socket's own shutdown, also for a TLS socket: ssl's drops its TLS state first, under
        # the feet of the thread reading it.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # closed already
