"""A small typed client for the parts of the itellico API that web calls use.

One `httpx.Client` per process. Results are dataclasses (webcall/itellico_types.py); every failure
is an `UpstreamError` (webcall/itellico_errors.py: what each answer means, read defensively). Each
request carries the id of the browser's request (`X-Request-ID`, from `request_id`), and an optional
`UpstreamObserver` hears each attempt's outcome and duration and each retry (webcall/metrics.py
counts them).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from .itellico_errors import (
    UpstreamError,
    UpstreamErrorKind,
    error_from_response,
    json_or_none,
    optional_str,
    required_str,
)
from .itellico_types import Account, Agent, CallDetails, CallMessage, JoinInfo, WebCall, WebCallRequest

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
        self._max_retries = max_retries
        self._sleep = sleep
        self._account_id = account_id
        self._account_lock = threading.Lock()
        self._request_id = request_id
        self._observer = observer

    def close(self) -> None:
        self._http.close()

    # -- endpoints -------------------------------------------------------------------------

    def current_account(self) -> Account:
        data = self._request("current_account", "GET", "/v1/accounts/current")
        return Account(id=required_str(data, "id"), name=optional_str(data, "name"))

    def check(self, timeout: float = 2.0, agent_id: str | None = None) -> None:
        """Raise UpstreamError unless the API answers an authenticated request within `timeout` (with
        `agent_id`: unless it knows that agent; a 404 is `not_found`). Once, never retried."""
        path = "/v1/accounts/current" if agent_id is None else f"{self._agents_path()}/{agent_id}"
        try:
            response = self._http.get(path, timeout=timeout, headers=self._headers())
        except httpx.TimeoutException:
            raise UpstreamError(UpstreamErrorKind.TIMEOUT, message="readiness check") from None
        except httpx.HTTPError:
            raise UpstreamError(UpstreamErrorKind.UNAVAILABLE, message="readiness check") from None
        if not response.is_success:
            raise error_from_response(response)

    def account_id(self) -> str:
        """The configured account, or the key's own, looked up once and kept."""
        if self._account_id is None:
            with self._account_lock:
                if self._account_id is None:
                    self._account_id = self.current_account().id
        return self._account_id

    def _agents_path(self) -> str:
        # The account the calls are made in: a parent account's key reaches its subaccounts, and `me`
        # is the key's own (../shared/reference/itellico-api.md). `me` until the account is known.
        return f"/v1/accounts/{self._account_id or 'me'}/agents"

    def create_web_call(self, request: WebCallRequest) -> WebCall:
        path = f"/v1/accounts/{self.account_id()}/calls"
        data = self._request("create_call", "POST", path, json=request.body())
        join = data.get("join")
        if not isinstance(join, dict):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 201, message="web call without join details")
        token, url = join.get("token"), join.get("livekit_url")
        if not isinstance(token, str) or not token or not isinstance(url, str) or not url:
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, 201, message="join lacks token or livekit_url"
            )
        return WebCall(
            id=required_str(data, "id"),
            status=optional_str(data, "status") or "unknown",
            agent_id=optional_str(data, "agent_id"),
            agent_name=optional_str(data, "agent_name"),
            external_id=optional_str(data, "external_id"),
            join=JoinInfo(token=token, livekit_url=url, room_sid=optional_str(join, "room_sid")),
        )

    def get_call(self, call_id: str) -> CallDetails:
        data = self._request("get_call", "GET", f"/v1/accounts/{self.account_id()}/calls/{call_id}")
        raw_messages = data.get("messages")
        messages = tuple(
            CallMessage(
                role=m["role"],
                message=optional_str(m, "message") or "",
                timestamp=optional_str(m, "timestamp"),
            )
            for m in (raw_messages if isinstance(raw_messages, list) else [])
            if isinstance(m, dict) and isinstance(m.get("role"), str)
        )
        duration = data.get("duration_seconds")
        capture = data.get("capture")
        return CallDetails(
            id=required_str(data, "id"),
            status=optional_str(data, "status") or "unknown",
            type=optional_str(data, "type"),
            agent_name=optional_str(data, "agent_name"),
            started_at=optional_str(data, "started_at"),
            ended_at=optional_str(data, "ended_at"),
            duration_seconds=duration
            if isinstance(duration, int) and not isinstance(duration, bool)
            else None,
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
            Agent(id=item["id"], name=str(item.get("name") or ""))
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]

    # -- transport -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        request_id = self._request_id()
        return {"X-Request-ID": request_id} if request_id else {}

    def _request(self, operation: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
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
        refused = error.kind is UpstreamErrorKind.UNAVAILABLE and error.status is None
        if error.status not in RETRYABLE_STATUSES and not refused:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= MAX_RETRY_AFTER_SECONDS else None
        # Exponential backoff with full jitter keeps a burst of clients from retrying in step.
        return random.uniform(0, 0.25 * 2**attempt)

    def _request_once(self, method: str, path: str, deadline: float, **kwargs: Any) -> dict[str, Any]:
        remaining = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(remaining, connect=min(remaining, self._http.timeout.connect or remaining))
        try:
            response = self._http.request(method, path, timeout=timeout, headers=self._headers(), **kwargs)
        except httpx.ConnectError as exc:
            # Nothing was sent, so a retry cannot create a second call.
            raise UpstreamError(UpstreamErrorKind.UNAVAILABLE, message=f"cannot connect: {exc}") from None
        except httpx.TimeoutException as exc:
            raise UpstreamError(UpstreamErrorKind.TIMEOUT, message=type(exc).__name__) from None
        except httpx.HTTPError as exc:
            # Sent, then the connection broke: the outcome is unknown, so this is never retried.
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, message=type(exc).__name__) from None
        if response.is_success:
            data = json_or_none(response)
            if data is None:
                raise UpstreamError(
                    UpstreamErrorKind.BAD_RESPONSE, response.status_code, message="answer is not JSON"
                )
            if not isinstance(data, dict):
                raise UpstreamError(
                    UpstreamErrorKind.BAD_RESPONSE, response.status_code, message="answer is not an object"
                )
            return data
        raise error_from_response(response)
