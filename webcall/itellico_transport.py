"""How the itellico client (webcall/itellico.py) sends a request: one `httpx.Client` per process, the
retries, and one deadline for the whole of it.

Each request carries the id of the browser's request (`X-Request-ID`, from `request_id`), and an
optional `UpstreamObserver` hears each attempt's outcome and duration and each retry
(webcall/metrics.py counts them).

The timeout is the whole request's, retries included: httpx's timeouts are per step (each read may
take all of it), so an answer trickling in a byte at a time, or a chunked body that never ends, held
a create for as long as the server liked. Each attempt has a `RequestDeadline` that shuts its socket
down when the time is up (webcall/notification_deadline.py, as for rep notifications): the socket of a
new connection as it connects, that of a kept one once its answer's headers are in. The host's name is
looked up within the connect timeout (`_BoundedLookup`): that lookup comes before any socket.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import httpcore
import httpx

from .itellico_errors import UpstreamError, UpstreamErrorKind, answer_object, read_body
from .notification_deadline import RequestDeadline

# The client's logger: its retries and its lines share one name (webcall/itellico.py).
log = logging.getLogger("webcall.itellico")

USER_AGENT = "itellico-webcall/0.1"
# Only these answers mean "not processed, try again"; anything else after sending is final.
RETRYABLE_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER_SECONDS = 3.0


LOOKUP_THREADS = 4  # a name lookup at a time each; the lookups of a hung resolver wait their turn


def _lookup_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="itellico-dns")  # threads start on use


_lookups = _lookup_pool()


def _forked() -> None:
    # A forked process (gunicorn's workers) has none of its parent's threads, but its copy of the pool
    # counts them as idle and would hand them its lookups: a pool of its own.
    global _lookups
    _lookups = _lookup_pool()


os.register_at_fork(after_in_child=_forked)


class _BoundedLookup(httpcore.SyncBackend):
    """httpcore's own connections, the host's name looked up within the connect timeout first: its
    `socket.create_connection` asks the system resolver with no timeout at all (its own retries take half
    a minute and more), so a resolver that did not answer held a create past ITELLICOAI_TIMEOUT_SECONDS."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        started = time.monotonic()
        lookup = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            found = lookup.result(timeout=timeout)
        except TimeoutError:
            lookup.cancel()  # still queued behind hung lookups: never start it
            raise httpcore.ConnectTimeout(f"no address for {host} in time") from None
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(str(error)) from None
        left = None if timeout is None else max(0.01, timeout - (time.monotonic() - started))
        errors: list[Exception] = []
        for address in dict.fromkeys(str(info[4][0]) for info in found):  # each once, the resolver's order
            try:  # as create_connection does: the next address when one does not connect
                return super().connect_tcp(address, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                errors.append(error)
        raise errors[0] if errors else httpcore.ConnectError(f"no address for {host}")


def _bounded_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()  # what httpx.Client makes when given none
    # httpx has no public way to hand httpcore a network backend; test_itellico_dns_deadline.py fails
    # if this stops taking effect.
    transport._pool._network_backend = _BoundedLookup()
    return transport


class UpstreamObserver(Protocol):
    """Hears what the client does; `operation` is one of the client's method names (a fixed set)."""

    def attempt(self, operation: str, outcome: str, seconds: float) -> None:
        """One HTTP request finished: outcome "ok" or an `UpstreamErrorKind` value."""

    def retry(self, operation: str, reason: str) -> None:
        """A failed attempt (reason: an `UpstreamErrorKind` value) is about to be retried."""


class ItellicoTransport:
    """Sends one request to itellico and reads its JSON object: retried when nothing was processed,
    within one deadline."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        timeout: float = 15.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        request_id: Callable[[], str | None] = lambda: None,
        observer: UpstreamObserver | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"X-API-Key": api_key, "User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport if transport is not None else _bounded_transport(),
            follow_redirects=False,
        )
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._request_id = request_id
        self._observer = observer

    def close(self) -> None:
        self._http.close()

    def _headers(self) -> dict[str, str]:
        request_id = self._request_id()
        return {"X-Request-ID": request_id} if request_id else {}

    def _request(
        self, operation: str, method: str, path: str, *, deadline: float | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The answer's JSON object; every attempt and wait ends by `deadline` (default: the timeout
        from now)."""
        if deadline is None:
            deadline = time.monotonic() + self._timeout
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                data = self._request_once(method, path, deadline, **kwargs)
            except UpstreamError as error:
                self._observe(operation, error.kind.value, started)
                delay = self._retry_delay(error, attempt)
                if delay is None or time.monotonic() + delay >= deadline:
                    raise
                log.info("itellico %s %s: %s; retrying in %.2fs", method, path, error.kind, delay)
                if self._observer is not None:
                    self._observer.retry(operation, error.kind.value)
                self._sleep(delay)
                attempt += 1
            else:
                self._observe(operation, "ok", started)
                return data

    def _observe(self, operation: str, outcome: str, started: float) -> None:
        if self._observer is not None:
            self._observer.attempt(operation, outcome, time.monotonic() - started)

    def _retry_delay(self, error: UpstreamError, attempt: int) -> float | None:
        if attempt >= self._max_retries:
            return None
        # A connect refused or timed out: nothing was sent, so a retry cannot make a second call.
        unreached = error.nothing_sent and error.kind in (
            UpstreamErrorKind.UNAVAILABLE,
            UpstreamErrorKind.TIMEOUT,
        )
        if error.status not in RETRYABLE_STATUSES and not unreached:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= MAX_RETRY_AFTER_SECONDS else None
        # Exponential backoff with full jitter keeps a burst of clients from retrying in step.
        return random.uniform(0, 0.25 * 2**attempt)

    def _request_once(self, method: str, path: str, deadline: float, **kwargs: Any) -> dict[str, Any]:
        remaining = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(remaining, connect=min(remaining, self._connect_timeout))
        cut_off = RequestDeadline(remaining)  # headers and body, however slowly they come
        try:
            with (
                cut_off,
                self._http.stream(
                    method,
                    path,
                    timeout=timeout,
                    headers=self._headers(),
                    extensions={"trace": cut_off.trace},
                    **kwargs,
                ) as response,
            ):
                # A connection kept from an earlier request (a create need not connect and hand-shake
                # TLS again: time the visitor waits) is named to the deadline only by the answer: its
                # body is bounded from here, its headers by httpx's per-read timeout.
                stream = response.extensions.get("network_stream")
                if stream is not None:
                    cut_off.watch(stream.get_extra_info("socket"))
                body = read_body(response)
        except httpx.InvalidURL:
            # Not an httpx.HTTPError: it escaped as a 500. Nothing was sent; ids are checked before
            # they make a path (is_id), so this is a bug of ours, not an answer worth retrying.
            log.error("itellico %s not sent: its URL is not valid", method)
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, message="invalid URL", nothing_sent=True
            ) from None
        except httpx.ConnectError as exc:
            # Refused, or the deadline cut the TLS handshake: nothing was sent.
            raise UpstreamError(
                UpstreamErrorKind.UNAVAILABLE, message=f"cannot connect: {exc}", nothing_sent=True
            ) from None
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection in time: a timeout, but nothing was sent (no call made, none kept).
            raise UpstreamError(
                UpstreamErrorKind.TIMEOUT, message=type(exc).__name__, nothing_sent=True
            ) from None
        except httpx.TimeoutException as exc:
            raise UpstreamError(UpstreamErrorKind.TIMEOUT, message=type(exc).__name__) from None
        except httpx.HTTPError as exc:
            if cut_off.passed:  # the deadline shut the socket down under the request
                raise UpstreamError(UpstreamErrorKind.TIMEOUT, message="deadline passed") from None
            # Sent, then the connection broke: the outcome is unknown, so this is never retried.
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, message=type(exc).__name__) from None
        return answer_object(response, body)
