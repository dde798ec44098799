"""What itellico's answers mean when they are not what was asked for: every failure becomes an
`UpstreamError` with a `kind` the app maps to its own error codes (webcall/errors.py), and every
field read from an answer is checked. Bodies are parsed defensively (tests/fuzz): itellico's
`{code, message, detail, errors}`, a FastAPI-style `{detail}`, or no JSON at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

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
    data = json_or_none(response)
    if not isinstance(data, dict):
        return None, "", ()
    code = optional_str(data, "code")
    message = optional_str(data, "message") or ""
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


def json_or_none(response: httpx.Response) -> Any:
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


def required_str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, message=f"answer lacks {name}")
    return value


def optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None
