"""Real receivers on loopback for the notification tests (unit and e2e). The HTTP one records each
request and answers with the next status of a script (then the last one again), optionally after a
delay; with a certificate it speaks HTTPS as `localhost` and records the TLS server name each client
asked for. The SMTP one (aiosmtpd) keeps each message it is given."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from webcall.settings import Settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)  # TLS SNI of each handshake
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The first `count` requests, once they arrived (an AssertionError after `timeout`)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} of {count} requests arrived in {timeout} s")
            return list(self.requests[:count])


@contextmanager
def webhook_receiver(
    statuses: list[int] | None = None, delay: float = 0.0, tls: tuple[Path, Path] | None = None
) -> Iterator[Receiver]:
    """`tls`: (certificate, key) PEM files; the URL then is https://localhost:<port>/…"""
    receiver = Receiver(url="", statuses=list(statuses or [200]), delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.arrived:
                index = len(receiver.requests)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                receiver.arrived.notify_all()
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        context.sni_callback = lambda _socket, name, _context: receiver.server_names.append(name)
        # The handshake runs in the request's own thread (not in accept), so a client that fails it
        # cannot stall the receiver.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.handle_error = lambda _request, _address: None  # a refused handshake is a test's point
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"https://localhost:{server.server_port}" if tls else f"http://127.0.0.1:{server.server_port}"
    receiver.url = f"{origin}/services/T000/B000/s3cretPath"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class Inbox:
    def __init__(self, rcpt_answer: str | None = None) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()
        self.rcpt_answer = rcpt_answer  # e.g. a greylisting server's "450 4.7.1 …" to every recipient

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if self.rcpt_answer is not None:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(
                (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
            )
            self.arrived.notify_all()
        return "250 OK"

    def wait_for_one(self, timeout: float) -> tuple[list[str], EmailMessage]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.messages, timeout), "no email arrived"
            return self.messages[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_receiver(
    tls: tuple[Path, Path] | None = None, rcpt_answer: str | None = None
) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1; with a certificate and key it offers STARTTLS and requires it; with
    `rcpt_answer` it answers every recipient so (a refusal)."""
    inbox, port = Inbox(rcpt_answer), _free_port()
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options = {"tls_context": context, "require_starttls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def plain_smtp(settings: Settings, port: int, host: str = "127.0.0.1") -> Settings:
    """`settings` sending email to an `smtp_receiver()` at `port`, without STARTTLS."""
    sender = "demos@example.com"
    return replace(settings, smtp_host=host, smtp_port=port, smtp_from=sender, smtp_starttls=False)
