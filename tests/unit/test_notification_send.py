"""Sending a webhook and an email (webcall/notification_send.py `post_webhook`, `send_email`): the DNS
lookup is bounded by the notification timeout, so is a whole webhook attempt whose answer trickles in,
and over real TLS the connection goes to the address
that was checked, yet TLS keeps the name: the receiver is asked for it (SNI) and its certificate must
be valid for it, never for the bare address; a certificate for another name, or one no trusted
authority vouches for, fails the delivery as `tls_error`, retried like a connect error. The same
holds for the SMTP server's certificate after STARTTLS.

The receivers are real HTTPS and SMTP (aiosmtpd) servers on loopback with certificates made by
`openssl`; the trust store is the one an operator sets for a private CA (`SSL_CERT_FILE`, read by
httpx)."""

from __future__ import annotations

import email.utils
import itertools
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.receivers import plain_smtp, smtp_receiver, webhook_receiver
from webcall import notification_send, notification_text
from webcall.notification_send import Failure, post_webhook, send_email
from webcall.settings import Settings

pytestmark = pytest.mark.unit


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate valid only for the DNS name `name` (no IP address in it)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
    subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("certs")
    made = {"localhost": certificate(folder, "localhost"), "other": certificate(folder, "other.example")}
    stranger = folder / "stranger"
    stranger.mkdir()
    made["stranger"] = certificate(stranger, "localhost")  # right name, nobody trusts it
    trusted = folder / "trusted.pem"
    trusted.write_bytes(made["localhost"][0].read_bytes() + made["other"][0].read_bytes())
    made["trusted"] = (trusted, trusted)
    return made


@pytest.fixture
def notify_settings(
    settings: Settings, certificates: dict[str, tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["trusted"][0]))
    notification_send._tls.cache_clear()  # the context is made once per process: make it again here
    yield replace(settings, notify_allow_private_targets=True, notify_timeout_seconds=2.0)
    notification_send._tls.cache_clear()


def test_a_https_webhook_is_sent_to_the_checked_address_under_its_name(notify_settings, certificates):
    with webhook_receiver(tls=certificates["localhost"]) as receiver:
        assert receiver.url.startswith("https://localhost:")
        assert post_webhook(notify_settings, receiver.url, notification_text.test_notice(7, "uid-7")) is None
        (got,) = receiver.wait_for(1)
    assert receiver.server_names == ["localhost"]  # SNI: the name, though the socket went to 127.0.0.1
    assert got.headers["Host"] == receiver.url.split("/")[2]
    assert got.path == "/services/T000/B000/s3cretPath"
    assert json.loads(got.body)["delivery_id"] == 7


@pytest.mark.parametrize("served", ["other", "stranger"])
def test_a_certificate_not_valid_for_the_name_fails_as_tls_error(notify_settings, certificates, served):
    with webhook_receiver(tls=certificates[served]) as receiver:
        failure = post_webhook(notify_settings, receiver.url, notification_text.test_notice(8, "uid-8"))
        assert receiver.requests == []
    assert failure == Failure("tls_error", retry=True)


def test_a_plain_http_receiver_behind_an_https_url_fails_as_tls_error(notify_settings):
    with webhook_receiver() as receiver:
        url = receiver.url.replace("http://127.0.0.1", "https://localhost")
        assert post_webhook(notify_settings, url, notification_text.test_notice(9, "uid-9")) == Failure(
            "tls_error", retry=True
        )


@pytest.fixture
def hung_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], threading.Event]]:
    """The system resolver made to hang (up to 10 s) and record the names asked; the event answers.
    The system resolver's own timeouts can add up to half a minute per lookup (unit: the resolver is
    the one piece replaced here; no DNS server is reachable from the tests)."""
    answer = threading.Event()
    asked: list[str] = []

    def hung(host: str, *_args: object, **_kwargs: object) -> list[object]:
        asked.append(host)
        answer.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hung)
    yield asked, answer
    answer.set()


def test_a_dns_lookup_that_never_answers_is_given_up_after_the_timeout(settings, hung_resolver):
    asked, answer = hung_resolver
    quick = replace(settings, notify_timeout_seconds=0.2)
    failure = post_webhook(quick, "https://hooks.example.com/x", notification_text.test_notice(10, "uid-10"))
    assert not answer.is_set() and asked == ["hooks.example.com"]  # given up, not answered
    assert failure == Failure("dns_timeout", retry=True)


def test_the_smtp_hosts_lookup_that_never_answers_is_given_up_after_the_timeout(settings, hung_resolver):
    """The same bound for email: the SMTP host's name is looked up like a webhook's, not by smtplib."""
    asked, answer = hung_resolver
    quick = replace(
        settings, smtp_host="mail.example.com", smtp_from="demos@example.com", notify_timeout_seconds=0.2
    )
    failure = send_email(quick, "rep@example.com", notification_text.test_notice(11, "uid-11"))
    assert not answer.is_set() and asked == ["mail.example.com"]  # given up, not answered
    assert failure == Failure("dns_timeout", retry=True)


def test_email_goes_to_the_smtp_host_by_its_name(settings):
    with smtp_receiver() as (inbox, port):
        local = plain_smtp(settings, port, host="localhost")
        assert send_email(local, "rep@example.com", notification_text.test_notice(12, "uid-12")) is None
        to, message = inbox.wait_for_one(5)
    assert to == ["rep@example.com"] and message["Subject"] == "Test notification"
    # The headers RFC 5322 asks of every message: without a Date and a Message-ID, a relay that does
    # not add them (Postfix adds them only for its local clients) sends a message Gmail refuses or
    # files as spam.
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert sent.tzinfo is not None and abs((datetime.now(UTC) - sent).total_seconds()) < 60
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", message["Message-ID"] or "")


@pytest.mark.parametrize(
    ("answer", "failure"),
    [
        # Greylisting: a server refuses an unknown sender's first try for a while; trying later passes.
        ("450 4.7.1 Greylisted, try again later", Failure("smtp_recipient_refused", retry=True)),
        ("550 5.1.1 No such user", Failure("smtp_recipient_refused", retry=False)),
    ],
)
def test_a_recipient_refused_for_now_is_tried_again_and_for_good_is_not(settings, answer, failure):
    with smtp_receiver(rcpt_answer=answer) as (inbox, port):
        local = plain_smtp(settings, port)
        assert send_email(local, "rep@example.com", notification_text.test_notice(13, "uid-13")) == failure
    assert inbox.messages == []


def test_starttls_checks_the_smtp_hosts_certificate_against_its_name(notify_settings, certificates):
    email = replace(notify_settings, smtp_host="localhost", smtp_from="demos@example.com")
    with smtp_receiver(tls=certificates["localhost"]) as (inbox, port):
        assert (
            send_email(
                replace(email, smtp_port=port), "rep@example.com", notification_text.test_notice(13, "uid-13")
            )
            is None
        )
        to, _message = inbox.wait_for_one(5)
    assert to == ["rep@example.com"]


@pytest.mark.parametrize("served", ["other", "stranger"])
def test_starttls_to_a_certificate_not_valid_for_the_name_fails_as_tls_error(
    notify_settings, certificates, served
):
    # Before, STARTTLS took any certificate (smtplib's default context checks none): whoever sat
    # between the app and the mail relay could read the notifications and the SMTP password.
    email = replace(notify_settings, smtp_host="localhost", smtp_from="demos@example.com")
    with smtp_receiver(tls=certificates[served]) as (inbox, port):
        failure = send_email(
            replace(email, smtp_port=port), "rep@example.com", notification_text.test_notice(14, "uid-14")
        )
        assert inbox.messages == []
    assert failure == Failure("tls_error", retry=True)


def test_a_label_with_line_breaks_is_one_line_in_the_email_and_adds_no_header(settings):
    # A link label is a rep's text (a crafted form or the CLI can give it line breaks); in a header
    # it made EmailMessage raise, so the delivery failed on every retry, and it must never add one.
    label = "Maria\r\nBcc: someone@example.com\nX-Evil: 1"
    notice = notification_text.call_notice(
        delivery_id=15,
        delivery_uid="uid-15",
        call={"call_id": "c-15", "demo": "northwind", "link_id": "L1", "status": "completed"},
        link_label=label,
        call_url="/demos/calls/c-15",
    )
    with smtp_receiver() as (inbox, port):
        assert send_email(plain_smtp(settings, port), "rep@example.com", notice) is None
        to, message = inbox.wait_for_one(5)
    assert to == ["rep@example.com"] and message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Call ended: northwind · Maria Bcc: someone@example.com X-Evil: 1"


def test_a_message_that_cannot_be_written_fails_at_once_not_on_every_retry(settings, monkeypatch):
    bad = notification_text.Notice(subject="fine", text="fine", fields={"delivery_id": 16})
    local = replace(settings, smtp_host="127.0.0.1", smtp_port=9, smtp_from="bad\nfrom@example.com")
    assert send_email(local, "rep@example.com", bad) == Failure("bad_message", retry=False)


class _Dripping(BaseHTTPRequestHandler):
    """Answers a byte at a time, each well within the per-step timeout: the answer takes half an hour."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10_000:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.mark.parametrize("tls", [False, True])
def test_an_answer_trickling_in_a_byte_at_a_time_is_given_up_at_the_timeout(
    notify_settings, certificates, tls
):
    # httpx's timeouts are per step (each read), so an answer that kept trickling in was never timed
    # out: one rep's receiver could hold a worker thread for as long as it liked.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dripping)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificates["localhost"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"{'https' if tls else 'http'}://localhost:{server.server_port}/hook"
    outcome: list[object] = []
    sender = threading.Thread(
        target=lambda: outcome.append(
            post_webhook(notify_settings, url, notification_text.test_notice(1, "uid-1"))
        ),
        daemon=True,
    )
    try:
        sender.start()
        sender.join(timeout=15.0)  # several times the timeout (2 s); the whole answer would take 30 min
        assert outcome, "the attempt was still waiting long after its timeout"
    finally:
        server.shutdown()
        server.server_close()
    assert outcome == [Failure("timeout")]


@contextmanager
def full_listener() -> Iterator[int]:
    """A port whose accept queue is full (nothing accepts): the kernel drops further connection
    attempts, as a receiver behind a black hole does; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    held = [socket.socket() for _ in range(8)]
    for sock in held:
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
    try:
        yield port
    finally:
        for sock in held:
            sock.close()
        listener.close()


def test_a_receiver_that_never_takes_the_connection_is_given_up_long_before_the_timeout(settings):
    # The connect had the whole timeout (10 s by default, 30 here); a receiver that has not taken the
    # connection after a few seconds will not, and the worker's thread has other reps' work.
    slow = replace(settings, notify_allow_private_targets=True, notify_timeout_seconds=30.0)
    with full_listener() as port:
        started = time.monotonic()
        failure = post_webhook(
            slow, f"http://127.0.0.1:{port}/hook", notification_text.test_notice(1, "uid-1")
        )
        waited = time.monotonic() - started
    assert failure == Failure("timeout")
    assert waited < slow.notify_timeout_seconds / 3, waited


@contextmanager
def dripping_smtp() -> Iterator[int]:
    """An SMTP server that greets a byte every 0.2 s and never finishes: each read gets a byte well
    within any per-step timeout. Yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            for byte in itertools.cycle(b"220-mail.example.com slowly\r\n"):
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def test_an_smtp_server_trickling_its_answers_is_given_up_within_the_attempts_deadline(settings):
    # smtplib's timeout is per socket operation, so a server that kept trickling held a worker thread
    # for as long as it liked, and past the delivery's claim (which then sent it again).
    quick = replace(settings, notify_timeout_seconds=0.5)
    outcome: list[object] = []
    with dripping_smtp() as port:
        sender = threading.Thread(
            target=lambda: outcome.append(
                send_email(
                    plain_smtp(quick, port), "rep@example.com", notification_text.test_notice(2, "uid-2")
                )
            ),
            daemon=True,
        )
        sender.start()
        sender.join(timeout=10.0)  # several times the attempt's deadline (1.5 s here)
        assert outcome, "the email attempt was still waiting long after its deadline"
    assert outcome == [Failure("timeout")]


@dataclass
class Flood:
    """What an endless answer's sender saw: the bytes of body it got out, and when it stopped."""

    url: str
    sent: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)


@contextmanager
def flooding_receiver(status: int) -> Iterator[Flood]:
    """A receiver that answers `status` with a chunked body that never ends, sent as fast as the
    client takes it, until the client closes the connection (a rep's URL of a large download)."""
    flood = Flood(url="")
    chunk = b"x" * 65_536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(framed)
                    flood.sent += len(chunk)
            except OSError:  # the client closed the connection
                pass
            finally:
                flood.stopped.set()
                self.close_connection = True

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flood.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield flood
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "failure"), [(200, None), (500, Failure("http_500", retry=True))])
def test_an_endless_answer_body_is_not_read_only_its_status(settings, status, failure):
    # Only the status is used, but the whole body was read into the worker's memory until the
    # attempt's deadline (the audit's F9: 1 GB in 3 s from a local receiver; a rep's link to a large
    # file was downloaded on each of the six attempts, and an OOM kill took the worker down).
    quick = replace(settings, notify_allow_private_targets=True, notify_timeout_seconds=5.0)
    with flooding_receiver(status) as flood:
        started = time.monotonic()
        outcome = post_webhook(quick, flood.url, notification_text.test_notice(3, "uid-3"))
        took = time.monotonic() - started
        assert flood.stopped.wait(10.0), "the receiver was still sending: the client kept reading"
    assert outcome == failure
    assert took < quick.notify_timeout_seconds / 2, took  # answered by its status, not cut off
    assert flood.sent < 32 * 2**20, flood.sent  # what the sockets' buffers held at most, not the flood


@pytest.mark.parametrize(
    "url", ["http://example.com:abc/", "https://example.com:99999/hook", "https://bücher.example:x/"]
)
def test_a_saved_url_with_a_bad_port_fails_once_as_bad_url(settings, url):
    # Saved before the check on save refused such ports: urlsplit takes them, and reading the port
    # raised ValueError outside the check, so the attempt ended as a bug (internal_error), six times.
    assert post_webhook(settings, url, notification_text.test_notice(4, "uid-4")) == Failure(
        "bad_url", retry=False
    )
