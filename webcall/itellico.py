"""A small typed client for the parts of the itellico API that web calls use.

One `httpx.Client` per process. Results are dataclasses (webcall/itellico_types.py); every failure
is an `UpstreamError` (webcall/itellico_errors.py: what each answer means, read defensively). Each
request carries the id of the browser's request (`X-Request-ID`, from `request_id`), and an optional
`UpstreamObserver` hears each attempt's outcome and duration and each retry (webcall/metrics.py
counts them).

The timeout is the whole request's, retries included: httpx's timeouts are per step (each read may
take all of it), so an answer trickling in a byte at a time, or a chunked body that never ends, held
a create for as long as the server liked. Each attempt has a `RequestDeadline` that shuts its socket
down when the time is up (webcall/notification_deadline.py, as for rep notifications): the socket of a
new connection as it connects, that of a kept one once its answer's headers are in.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import httpx

from .itellico_errors import (
    CHECK_BASE_URL,
    UpstreamError,
    UpstreamErrorKind,
    answer_object,
    optional_str,
    read_body,
    required_id,
)
from .itellico_types import (
    Account,
    Agent,
    CallDetails,
    CallMessage,
    JoinInfo,
    WebCall,
    WebCallRequest,
    call_seconds,
    call_status,
    clean_text,
    is_id,
)
from .notification_deadline import RequestDeadline

log = logging.getLogger(__name__)

USER_AGENT = "itellico-webcall/0.1"
# Only these answers mean "not processed, try again"; anything else after sending is final.
RETRYABLE_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER_SECONDS = 3.0


class UpstreamObserver(Protocol):
    """Hears what the client does; `operation` is one of the client's method names (a fixed set)."""

    def attempt(self, operation: str, outcome: str, seconds: float) -> None:
        """One HTTP request finished: outcome "ok" or an `UpstreamErrorKind` value."""

    def retry(self, operation: str, reason: str) -> None:
        """A failed attempt (reason: an `UpstreamErrorKind` value) is about to be retried."""


class ItellicoClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        account_id: str | None = None,
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
            transport=transport,
            follow_redirects=False,
        )
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._account_id = account_id
        self._account_lock = threading.Lock()
        self._request_id = request_id
        self._observer = observer
        self._foreign_logged = False  # the readiness check's OPERATOR line, once until it passes

    def close(self) -> None:
        self._http.close()

    # -- endpoints -------------------------------------------------------------------------

    def current_account(self, deadline: float | None = None) -> Account:
        data = self._request("current_account", "GET", "/v1/accounts/current", deadline=deadline)
        return Account(id=required_id(data, "id"), name=optional_str(data, "name"))

    def check(self, timeout: float = 2.0, agent_id: str | None = None) -> None:
        """Raise UpstreamError unless the API answers an authenticated request with a JSON object within
        `timeout`, the whole answer (with `agent_id`: unless it knows that agent; a 404 is `not_found`).
        Once, never retried. An answer that is not itellico's JSON at all (a web page, `null`, nothing)
        is `bad_response`, never `not_found`, and logs one OPERATOR line naming ITELLICOAI_BASE_URL."""
        path = "/v1/accounts/current" if agent_id is None else f"{self._agents_path()}/{agent_id}"
        try:
            self._request_once("GET", path, time.monotonic() + timeout)
        except UpstreamError as error:
            if not error.foreign:
                raise
            if not self._foreign_logged:
                self._foreign_logged = True
                log.error(
                    "OPERATOR: the itellico API's address answered HTTP %s without itellico's JSON: %s",
                    error.status,
                    CHECK_BASE_URL,
                )
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, error.status, message="not itellico's answer", foreign=True
            ) from None
        self._foreign_logged = False

    def account_id(self, deadline: float | None = None) -> str:
        """The configured account, or the key's own, looked up once and kept."""
        if self._account_id is None:
            with self._account_lock:
                if self._account_id is None:
                    self._account_id = self.current_account(deadline).id
        return self._account_id

    def _agents_path(self) -> str:
        # The account the calls are made in: a parent account's key reaches its subaccounts, and `me`
        # is the key's own (itellico's docs, "API keys"). `me` until the account is known.
        return f"/v1/accounts/{self._account_id or 'me'}/agents"

    def create_web_call(self, request: WebCallRequest) -> WebCall:
        # One deadline for the account's look-up (a process's first create) and the create itself.
        deadline = time.monotonic() + self._timeout
        try:
            account = self.account_id(deadline)
        except UpstreamError as error:
            # Only the look-up failed (it may have timed out): the create itself was never sent.
            raise replace(error, nothing_sent=True) from None
        path = f"/v1/accounts/{account}/calls"
        data = self._request("create_call", "POST", path, json=request.body(), deadline=deadline)
        join = data.get("join")
        if not isinstance(join, dict):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 201, message="web call without join details")
        token, url = join.get("token"), join.get("livekit_url")
        if not isinstance(token, str) or not token or not isinstance(url, str) or not url:
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, 201, message="join lacks token or livekit_url"
            )
        return WebCall(
            id=required_id(data, "id"),
            status=call_status(data.get("status")),
            agent_id=optional_str(data, "agent_id"),
            agent_name=optional_str(data, "agent_name"),
            external_id=optional_str(data, "external_id"),
            join=JoinInfo(token=token, livekit_url=url, room_sid=optional_str(join, "room_sid")),
        )

    def get_call(self, call_id: str, *, deadline: float | None = None) -> CallDetails:
        """`deadline` (time.monotonic()): when to give up, if sooner than the timeout."""
        if not is_id(call_id):
            # No call of itellico's has such an id (a create's answer with one is refused), and as a
            # URL it would name another path or none (httpx.InvalidURL): nothing is sent.
            raise UpstreamError(UpstreamErrorKind.NOT_FOUND, message="not a call id")
        path = f"/v1/accounts/{self.account_id()}/calls/{call_id}"
        data = self._request("get_call", "GET", path, deadline=deadline)
        raw_messages = data.get("messages")
        messages = tuple(
            CallMessage(
                role=clean_text(m["role"]),
                message=optional_str(m, "message") or "",
                timestamp=optional_str(m, "timestamp"),
            )
            for m in (raw_messages if isinstance(raw_messages, list) else [])
            if isinstance(m, dict) and isinstance(m.get("role"), str)
        )
        capture = data.get("capture")
        return CallDetails(
            id=required_id(data, "id"),
            status=call_status(data.get("status")),
            type=optional_str(data, "type"),
            agent_name=optional_str(data, "agent_name"),
            started_at=optional_str(data, "started_at"),
            ended_at=optional_str(data, "ended_at"),
            duration_seconds=call_seconds(data.get("duration_seconds")),
            messages=messages,
            recording_url=optional_str(capture, "recording_url") if isinstance(capture, dict) else None,
        )

    def list_calls(self, **filters: str | int) -> tuple[int, list[dict[str, Any]]]:
        data = self._request("list_calls", "GET", f"/v1/accounts/{self.account_id()}/calls", params=filters)
        items = data.get("items")
        count = data.get("count")
        if not isinstance(items, list) or not isinstance(count, int):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 200, message="call list without count/items")
        return count, [item for item in items if isinstance(item, dict)]

    def list_agents(self) -> list[Agent]:
        data = self._request("list_agents", "GET", self._agents_path())
        items = data.get("items")
        if not isinstance(items, list):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 200, message="agent list without items")
        return [
            Agent(id=item["id"], name=optional_str(item, "name") or "")
            for item in items
            if isinstance(item, dict) and is_id(item.get("id"))
        ]

    # -- transport -------------------------------------------------------------------------

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
