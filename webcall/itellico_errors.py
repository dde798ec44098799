"""What itellico's answers mean when they are not what was asked for: every failure becomes an
`UpstreamError` with a `kind` the app maps to its own error codes (webcall/errors.py), and every
field read from an answer is checked (the rules: webcall/itellico_types.py). Bodies are read up to
MAX_ANSWER_BYTES and parsed defensively (tests/fuzz): itellico's `{code, message, detail, errors}`, a
FastAPI-style `{detail}`, or no JSON at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from .itellico_types import clean_text, is_id

# A Retry-After we pass on to the browser is capped; an hour is already "come back later".
MAX_RETRY_AFTER_ANSWERED = 3600.0
# Field errors are for the operator's log line; a flood of them is not.
MAX_FIELD_ERRORS = 20
MAX_FIELD_TEXT = 200
# The largest answer body read into memory. itellico's largest answer is a long call's transcript (tens
# of KB); a 200 MB body was read whole and taken as a call. Counted as decompressed: one network read
# of a gzip body (64 KB) may unpack to more before the count sees it, and reading stops there.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# What an operator reads when an answer is no itellico JSON at all (`UpstreamError.foreign`).
CHECK_BASE_URL = "check ITELLICOAI_BASE_URL (the API, e.g. https://api.itellico.ai)"


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
    # The answer was not itellico's JSON at all (an HTML page, nothing, a redirect): ITELLICOAI_BASE_URL
    # most likely names some other server. Only 5xx and 429 pages may come from a gateway in front.
    foreign: bool = False
    # The request never reached itellico (a connect refused or timed out; for a create, also its
    # account's look-up failing): it cannot have made a call, and trying again cannot make a second.
    nothing_sent: bool = False

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no HTTP answer"
        return f"itellico {self.kind.value} ({where}, code={self.code}): {self.message}"


def error_from_response(response: httpx.Response, body: bytes) -> UpstreamError:
    """The failure a non-success `response` with `body` (read by `read_body`) means."""
    status = response.status_code
    data = json_or_none(body)
    code, message, field_errors = _parse_error_body(data)
    return UpstreamError(
        kind=_kind_for_status(status),
        status=status,
        code=code,
        message=message or response.reason_phrase or "",
        retry_after=_retry_after(response.headers.get("Retry-After")),
        field_errors=field_errors,
        foreign=status < 500 and status != 429 and not isinstance(data, dict),
    )


def answer_object(response: httpx.Response, body: bytes | None) -> dict[str, Any]:
    """The JSON object a finished request was answered with (`body`: from `read_body`), or the
    UpstreamError the answer means."""
    if body is None:
        raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, response.status_code, message="answer too large")
    if not response.is_success:
        raise error_from_response(response, body)
    data = json_or_none(body)
    if not isinstance(data, dict):  # HTML, `null`, a list, nothing: no answer of itellico's API
        raise UpstreamError(
            UpstreamErrorKind.BAD_RESPONSE,
            response.status_code,
            message="answer is not a JSON object",
            foreign=True,
        )
    return data


def read_body(response: httpx.Response) -> bytes | None:
    """The whole body of a streamed `response`, or None once it passes MAX_ANSWER_BYTES (a
    Content-Length over it: before reading any of it). None, not an UpstreamError: this runs inside
    httpx's `stream()` context manager, which cannot re-raise a frozen exception (FrozenInstanceError)."""
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > MAX_ANSWER_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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


def _parse_error_body(data: Any) -> tuple[str | None, str, tuple[str, ...]]:
    """Read whatever error body came back (parsed); any shape, never an exception (tests/fuzz)."""
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


def json_or_none(body: bytes) -> Any:
    # As httpx's Response.json(): the bytes' own UTF-8/16/32. ValueError: not JSON, not text, or an
    # integer of more than 4,300 digits; RecursionError: nested deeper than the parser's stack.
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A scalar as short text; anything else (objects, lists) is not worth a log line."""
    if isinstance(value, str):
        return clean_text(value[:MAX_FIELD_TEXT])
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


def required_id(data: Mapping[str, Any], name: str) -> str:
    """The id `name` of an answer, or BAD_RESPONSE: an id that is no `is_id` names something we can
    neither keep in the call log nor ask about again."""
    value = data.get(name)
    if not is_id(value):
        raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, message=f"answer lacks a usable {name}")
    return value


def optional_str(data: Mapping[str, Any], name: str) -> str | None:
    """The text `name` of an answer, lone surrogates replaced (`clean_text`), or None."""
    value = data.get(name)
    return clean_text(value) if isinstance(value, str) else None
