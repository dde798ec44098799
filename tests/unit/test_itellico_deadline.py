"""ITELLICOAI_TIMEOUT_SECONDS bounds a whole request to itellico: its headers and its body, however
slowly they come (README, docs/api.md), and the readiness check's is bounded the same way.

httpx's timeouts are per step (each read may take all of it): an itellico sending its answer a byte
at a time, or a chunked body that never ends, held a create (and a gunicorn thread) for as long as it
liked, 42 s for an 85-byte answer in the audit. Here a raw-socket "itellico" on loopback trickles
each byte well within the per-read timeout; the client's timeout is 1 s.

The size of an answer read into memory is bounded too (MAX_ANSWER_BYTES): a 200 MB answer was read
whole and taken as a call.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from webcall.itellico import ItellicoClient
from webcall.itellico_errors import MAX_ANSWER_BYTES, UpstreamError, UpstreamErrorKind
from webcall.itellico_types import WebCallRequest

pytestmark = pytest.mark.unit

ACCOUNT_ID = "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10"
AGENT_ID = "a0b1c2d3-0000-4000-8000-000000000001"
TIMEOUT = 1.0
GAP = 0.05  # between two trickled bytes: far within any per-read timeout
# Each trickled answer would take 10 s or more (for ever, chunked) without a deadline.
CREATED = b'{"id": "c1", "status": "queued", "join": {"token": "a.b.c", "livekit_url": "wss://x"}}'
PADDED = CREATED[:-1] + b" " * 200 + b"}"
ACCOUNT = b'{"id": "' + ACCOUNT_ID.encode() + b'", "name": "T"}'
# A join after the deadline: long enough for a slow machine, short of what a trickled answer takes.
WAIT = 6.0
# Ended by the deadline: the timeout and room for a busy machine (two test processes on 2 cores), far
# short of the 10 s and more a trickled answer takes without one.
BOUNDED = TIMEOUT + 2.5


@dataclass
class Upstream:
    """Answers each request with the next mode of `script` (then the last one again)."""

    script: list[str]
    port: int = 0
    requests: list[str] = field(default_factory=list)
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_mode(self, line: str) -> str:
        self.requests.append(line)
        return self.script[min(len(self.requests), len(self.script)) - 1]


def _read_request(conn: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(v)
            for k, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
            if k.lower() == b"content-length"
        ),
        0,
    )
    while len(rest) < length:
        rest += conn.recv(65536)
    return head.split(b"\r\n")[0].decode()


def _answer(upstream: Upstream, conn: socket.socket, mode: str, line: str) -> None:
    def trickle(data: bytes) -> None:
        for byte in data:
            if upstream.stop.wait(GAP):
                return
            conn.sendall(bytes([byte]))

    body = ACCOUNT if "/accounts/current" in line else PADDED
    head = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
        b"200 OK" if body is ACCOUNT else b"201 Created",
        len(body),
    )
    if mode == "ok":
        conn.sendall(head + b"\r\n" + body)
    elif mode == "trickle_body":
        conn.sendall(head + b"\r\n")
        trickle(body)
    elif mode == "trickle_headers":
        trickle(head + b"X-Pad: " + b"a" * 200 + b"\r\n\r\n")
        conn.sendall(body)
    elif mode == "chunked_forever":
        conn.sendall(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        while not upstream.stop.wait(GAP):
            conn.sendall(b"1\r\n \r\n")


def _serve(upstream: Upstream, listener: socket.socket) -> None:
    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                while (line := _read_request(conn)) is not None:
                    _answer(upstream, conn, upstream.next_mode(line), line)
            except OSError:
                pass  # the client gave up and closed the connection

    while not upstream.stop.is_set():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        upstream.connections += 1
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


@pytest.fixture
def upstream() -> Iterator[Callable[..., Upstream]]:
    started: list[tuple[Upstream, socket.socket]] = []

    def start(*script: str) -> Upstream:
        listener = socket.create_server(("127.0.0.1", 0))
        served = Upstream(list(script), port=listener.getsockname()[1])
        threading.Thread(target=_serve, args=(served, listener), daemon=True).start()
        started.append((served, listener))
        return served

    yield start
    for served, listener in started:
        served.stop.set()
        listener.close()


def client_of(url: str, **options: object) -> ItellicoClient:
    return ItellicoClient(
        url, "k", timeout=TIMEOUT, connect_timeout=TIMEOUT, sleep=lambda _s: None, **options
    )


def in_thread(work: Callable[[], object]) -> tuple[object, float]:
    """What `work` returned or raised, and how long it took; an AssertionError when it is still
    running WAIT seconds later (an unbounded request must fail the test, not hang it)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # the outcome under test
            outcome.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(WAIT)
    assert outcome, f"still waiting for itellico {WAIT} s after a timeout of {TIMEOUT} s"
    return outcome[0], time.monotonic() - started


def create(client: ItellicoClient) -> object:
    return client.create_web_call(WebCallRequest(agent_id=AGENT_ID, external_id="webcall-1"))


@pytest.mark.parametrize("mode", ["trickle_body", "trickle_headers", "chunked_forever"])
def test_a_trickled_answer_is_given_up_at_the_timeout(upstream, mode):
    slow = upstream(mode)
    client = client_of(slow.url, account_id=ACCOUNT_ID)
    error, took = in_thread(lambda: create(client))
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert took < BOUNDED, took
    assert len(slow.requests) == 1  # sent: never retried (itellico may have made the call)


def test_an_answer_over_a_kept_connection_is_bounded_too(upstream):
    # A connection kept from an earlier request is reused without a word to the new request's deadline
    # (httpx tells only of connections it makes), so the deadline takes its socket from the answer:
    # the second answer's body, trickled over it, still ends at the timeout. (Its headers are bounded
    # per read only: connecting afresh for each create would cost every visitor a TLS handshake.)
    slow = upstream("ok", "trickle_body")
    client = client_of(slow.url, account_id=ACCOUNT_ID)
    assert create(client).id == "c1"  # type: ignore[attr-defined]
    error, took = in_thread(lambda: create(client))
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert took < BOUNDED, took
    assert slow.connections == 1  # the second create went over the kept connection


def test_the_account_lookup_and_the_create_share_one_deadline():
    # The first create of a process looks the account up first: each had the whole timeout, so the
    # browser waited up to twice it. After a look-up that took 0.3 s the create has what is left.
    read_timeouts: dict[str, float] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        read_timeouts[request.method] = request.extensions["timeout"]["read"]
        if request.method == "GET":
            time.sleep(0.3)  # a slow look-up (the upstream's time, nothing to wait for)
            return httpx.Response(200, content=ACCOUNT)
        return httpx.Response(201, content=CREATED)

    client = client_of("https://api.example", transport=httpx.MockTransport(answer))
    create(client)
    assert read_timeouts["GET"] <= TIMEOUT
    assert read_timeouts["POST"] <= TIMEOUT - 0.3, read_timeouts


def test_a_create_whose_account_lookup_timed_out_says_nothing_was_sent(upstream):
    # The look-up times out and the create is never sent: no call can have been made, so the open-call
    # place is given back (webcall/api_limits.py), as it is not for a create that was sent.
    slow = upstream("trickle_body")
    client = client_of(slow.url)
    error, took = in_thread(lambda: create(client))
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert error.nothing_sent
    assert took < BOUNDED, took
    assert [line.split()[0] for line in slow.requests] == ["GET"]


def test_a_create_that_was_sent_may_have_made_a_call(upstream):
    slow = upstream("trickle_body")
    client = client_of(slow.url, account_id=ACCOUNT_ID)
    error, _took = in_thread(lambda: create(client))
    assert isinstance(error, UpstreamError) and not error.nothing_sent, error


def test_the_readiness_check_is_bounded_by_its_timeout(upstream):
    # /readyz waited 42 s for a trickled answer (docs/operations.md: "at worst about 4 s"), and every
    # other /readyz of the process waited behind it.
    slow = upstream("trickle_headers")
    client = client_of(slow.url, account_id=ACCOUNT_ID)
    error, took = in_thread(lambda: client.check(timeout=0.5, agent_id=AGENT_ID))
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert took < BOUNDED, took


class _Huge(httpx.SyncByteStream):
    """A body of 1 MiB chunks, eight times the limit (a client without one reads it all); counts the
    chunks read."""

    def __init__(self) -> None:
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(8 * MAX_ANSWER_BYTES // (1024 * 1024)):
            self.read += 1
            yield b" " * 1024 * 1024


def test_an_answer_larger_than_the_limit_is_not_read_whole():
    body = _Huge()
    transport = httpx.MockTransport(lambda _request: httpx.Response(201, stream=body))
    client = client_of("https://api.example", account_id=ACCOUNT_ID, transport=transport)
    with pytest.raises(UpstreamError) as info:
        create(client)
    assert info.value.kind is UpstreamErrorKind.BAD_RESPONSE
    assert body.read <= MAX_ANSWER_BYTES // (1024 * 1024) + 1


def test_an_answer_announced_larger_than_the_limit_is_not_read_at_all():
    body = _Huge()
    transport = httpx.MockTransport(
        lambda _request: httpx.Response(201, headers={"Content-Length": "200000000"}, stream=body)
    )
    client = client_of("https://api.example", account_id=ACCOUNT_ID, transport=transport)
    with pytest.raises(UpstreamError) as info:
        create(client)
    assert info.value.kind is UpstreamErrorKind.BAD_RESPONSE
    assert body.read == 0


def test_an_answer_within_the_limit_is_read():
    padded = CREATED[:-1] + b" " * (MAX_ANSWER_BYTES - len(CREATED)) + b"}"
    transport = httpx.MockTransport(lambda _request: httpx.Response(201, content=padded))
    client = client_of("https://api.example", account_id=ACCOUNT_ID, transport=transport)
    assert create(client).id == "c1"  # type: ignore[attr-defined]
