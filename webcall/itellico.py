"""A small typed client for the parts of the itellico API that web calls use.

One `httpx.Client` per process. Results are dataclasses; every failure is an `UpstreamError`
with a `kind` the app maps to its own error codes. Each request carries the id of the browser's
request (`X-Request-ID`, from `request_id`), and an optional `UpstreamObserver` hears each attempt's
outcome and duration and each retry (webcall/metrics.py counts them). Upstream bodies are parsed defensively:
itellico's `{code, message, detail, errors}`, a FastAPI-style `{detail}`, or no JSON at all.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

USER_AGENT = "itellico-webcall/0.1"
# Only these answers mean "not processed, try again"; anything else after sending is final.
RETRYABLE_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER_SECONDS = 3.0
# A Retry-After we pass on to the browser is capped; an hour is already "come back later".
MAX_RETRY_AFTER_ANSWERED = 3600.0
# Field errors are for the operator's log line; a flood of them is not.
MAX_FIELD_ERRORS = 20
MAX_FIELD_TEXT = 200


class UpstreamErrorKind(StrEnum):
    UNAUTHORIZED = "unauthorized"  # 401: key missing, revoked or expired
    FORBIDDEN = "forbidden"  # 402/403: plan, billing or permission
    NOT_FOUND = "not_found"  # 404
    REJECTED = "rejected"  # 400/409/410/422 and other 4xx: the request itself
    RATE_LIMITED = "rate_limited"  # 429
    UNAVAILABLE = "unavailable"  # 5xx, connection refused or reset
    TIMEOUT = "timeout"  # no answer in time
    BAD_RESPONSE = "bad_response"  # an answer we cannot use (not JSON, fields missing)


class UpstreamObserver(Protocol):
    """Hears what the client does; `operation` is one of the client's method names (a fixed set)."""

    def attempt(self, operation: str, outcome: str, seconds: float) -> None:
        """One HTTP request finished: outcome "ok" or an `UpstreamErrorKind` value."""

    def retry(self, operation: str, reason: str) -> None:
        """A failed attempt (reason: an `UpstreamErrorKind` value) is about to be retried."""


@dataclass(frozen=True)
class UpstreamError(Exception):
    kind: UpstreamErrorKind
    status: int | None = None
    code: str | None = None
    message: str = ""
    retry_after: float | None = None
    field_errors: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no HTTP answer"
        return f"itellico {self.kind.value} ({where}, code={self.code}): {self.message}"


@dataclass(frozen=True)
class JoinInfo:
    token: str = field(repr=False)
    livekit_url: str
    room_sid: str | None


@dataclass(frozen=True)
class WebCall:
    id: str
    status: str
    agent_id: str | None
    agent_name: str | None
    external_id: str | None
    join: JoinInfo


@dataclass(frozen=True)
class CallMessage:
    role: str
    message: str
    timestamp: str | None


@dataclass(frozen=True)
class CallDetails:
    id: str
    status: str
    type: str | None
    agent_name: str | None
    started_at: str | None
    ended_at: str | None
    duration_seconds: int | None
    messages: tuple[CallMessage, ...]
    # `capture.recording_url` (documented: "URL or path of the recording, when there is one").
    recording_url: str | None = None


@dataclass(frozen=True)
class Agent:
    id: str
    name: str


@dataclass(frozen=True)
class Account:
    id: str
    name: str | None


@dataclass(frozen=True)
class WebCallRequest:
    """The documented create-call body for `type: web`; None fields are left out."""

    agent_id: str
    external_id: str
    initial_text: str | None = None
    audio_input_enabled: bool | None = None
    audio_output_enabled: bool | None = None
    skip_greeting_on_initial_text: bool | None = None
    device_fingerprint: str | None = None
    test_variables: Mapping[str, str] | None = None
    overrides: Mapping[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "web"}
        for name in (
            "agent_id",
            "external_id",
            "initial_text",
            "audio_input_enabled",
            "audio_output_enabled",
            "skip_greeting_on_initial_text",
            "device_fingerprint",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.test_variables:
            body["test_variables"] = dict(self.test_variables)
        if self.overrides:
            body["overrides"] = dict(self.overrides)
        return body


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
        return Account(id=_str(data, "id"), name=_opt_str(data, "name"))

    def check(self, timeout: float = 2.0) -> None:
        """Raise UpstreamError unless the API answers an authenticated request within `timeout`."""
        try:
            response = self._http.get("/v1/accounts/current", timeout=timeout, headers=self._headers())
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
            id=_str(data, "id"),
            status=_opt_str(data, "status") or "unknown",
            agent_id=_opt_str(data, "agent_id"),
            agent_name=_opt_str(data, "agent_name"),
            external_id=_opt_str(data, "external_id"),
            join=JoinInfo(token=token, livekit_url=url, room_sid=_opt_str(join, "room_sid")),
        )

    def get_call(self, call_id: str) -> CallDetails:
        data = self._request("get_call", "GET", f"/v1/accounts/{self.account_id()}/calls/{call_id}")
        raw_messages = data.get("messages")
        messages = tuple(
            CallMessage(
                role=m["role"], message=_opt_str(m, "message") or "", timestamp=_opt_str(m, "timestamp")
            )
            for m in (raw_messages if isinstance(raw_messages, list) else [])
            if isinstance(m, dict) and isinstance(m.get("role"), str)
        )
        duration = data.get("duration_seconds")
        capture = data.get("capture")
        return CallDetails(
            id=_str(data, "id"),
            status=_opt_str(data, "status") or "unknown",
            type=_opt_str(data, "type"),
            agent_name=_opt_str(data, "agent_name"),
            started_at=_opt_str(data, "started_at"),
            ended_at=_opt_str(data, "ended_at"),
            duration_seconds=duration
            if isinstance(duration, int) and not isinstance(duration, bool)
            else None,
            messages=messages,
            recording_url=_opt_str(capture, "recording_url") if isinstance(capture, dict) else None,
        )

    def list_calls(self, **filters: str | int) -> tuple[int, list[dict[str, Any]]]:
        data = self._request("list_calls", "GET", f"/v1/accounts/{self.account_id()}/calls", params=filters)
        items = data.get("items")
        count = data.get("count")
        if not isinstance(items, list) or not isinstance(count, int):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 200, message="call list without count/items")
        return count, [item for item in items if isinstance(item, dict)]

    def list_agents(self) -> list[Agent]:
        data = self._request("list_agents", "GET", "/v1/accounts/me/agents")
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
            data = _json_or_none(response)
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


def error_from_response(response: httpx.Response) -> UpstreamError:
    status = response.status_code
    code, message, field_errors = _parse_error_body(response)
    return UpstreamError(
        kind=_kind_for_status(status),
        status=status,
        code=code,
        message=message or response.reason_phrase or "",
        retry_after=_retry_after(response.headers.get("Retry-After")),
        field_errors=field_errors,
    )


def _kind_for_status(status: int) -> UpstreamErrorKind:
    if status < 400:  # a redirect or other non-success: no answer we can use (redirects are not followed)
        return UpstreamErrorKind.BAD_RESPONSE
    if status == 401:
        return UpstreamErrorKind.UNAUTHORIZED
    if status in (402, 403):
        return UpstreamErrorKind.FORBIDDEN
    if status == 404:
        return UpstreamErrorKind.NOT_FOUND
    if status == 429:
        return UpstreamErrorKind.RATE_LIMITED
    if status >= 500:
        return UpstreamErrorKind.UNAVAILABLE
    return UpstreamErrorKind.REJECTED


def _parse_error_body(response: httpx.Response) -> tuple[str | None, str, tuple[str, ...]]:
    """Read whatever error body came back; any shape, never an exception (tests/fuzz)."""
    data = _json_or_none(response)
    if not isinstance(data, dict):
        return None, "", ()
    code = _opt_str(data, "code")
    message = _opt_str(data, "message") or ""
    detail = data.get("detail")
    fields: list[str] = []
    for item in _list(data.get("errors")):  # itellico: [{field, message}]
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            fields.append(f"{item['field']}: {_text(item.get('message'))}")
    if isinstance(detail, list):  # FastAPI: [{loc: [...], msg: "..."}]
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(_text(part) for part in _list(item.get("loc")))
                fields.append(f"{loc}: {_text(item.get('msg'))}")
    elif isinstance(detail, str) and not message:
        message = detail
    return code, message, tuple(fields[:MAX_FIELD_ERRORS])


def _json_or_none(response: httpx.Response) -> Any:
    # RecursionError: a deeply nested body exhausts the JSON parser's stack; it is not ValueError.
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A scalar as short text; anything else (objects, lists) is not worth a log line."""
    if isinstance(value, str):
        return value[:MAX_FIELD_TEXT]
    if isinstance(value, int | float | bool) or value is None:
        return str(value)
    return "?"


def _retry_after(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None  # an HTTP date: too far off to wait for inside one browser request
    # "inf", "nan" and "1e400" parse as floats too; none of them is a wait anybody can use.
    if not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER_ANSWERED)


def _str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, message=f"answer lacks {name}")
    return value


def _opt_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None
