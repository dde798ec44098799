"""A deadline for one HTTP request made with httpx or one SMTP conversation, whatever it is waiting for
(webcall/notification_send.py gives each webhook and email attempt one, webcall/itellico.py each
request to itellico). httpx's and smtplib's timeouts are per step: each read may take the whole
timeout, so a receiver answering a byte every few seconds was never timed out.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class RequestDeadline:
    """Use as a context manager around the request, passing `trace` as httpx's `trace` extension: it
    hands over each connection made for the request, and at the deadline that connection's socket is
    shut down, which ends any read or write under way with an error. `passed` then says why."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._over = False
        self.passed = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> RequestDeadline:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._over = True  # before the client closes the socket: never shut down once done
        self._timer.cancel()

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


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        # socket.socket's own shutdown, also for a TLS socket: ssl's drops its TLS state first, under
        # the feet of the thread reading it.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # closed already
