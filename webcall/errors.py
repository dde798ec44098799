"""Error codes the browser API answers with: the one place that names them.

Errors are values: every failure the browser can see is an `ApiError` carrying a stable
`code` that the UI translates, an HTTP status and a plain English fallback message. Every JSON error
body is made by `ApiError.body()`, which also names the request (`request_id`, webcall/request_id.py),
so a visitor can quote it and an operator can find it in the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .request_id import current as current_request_id


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    UNKNOWN_DEMO = "unknown_demo"
    LINK_REQUIRED = "link_required"
    LINK_INVALID = "link_invalid"
    LINK_EXPIRED = "link_expired"
    LINK_REVOKED = "link_revoked"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_OPEN_CALLS = "too_many_open_calls"  # webcall/open_calls.py: calls still open, not a rate
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_REJECTED = "upstream_rejected"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    MISCONFIGURED = "misconfigured"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"


# Status and fallback text per code; the browser shows its own translation of the code.
_DEFAULTS: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.INVALID_REQUEST: (400, "The request is not valid."),
    ErrorCode.UNKNOWN_DEMO: (404, "There is no such demo."),
    ErrorCode.LINK_REQUIRED: (403, "This demo opens only from the link you were sent."),
    ErrorCode.LINK_INVALID: (403, "This demo link is not valid. Please ask for a new one."),
    ErrorCode.LINK_EXPIRED: (410, "This demo link has expired. Please ask for a new one."),
    ErrorCode.LINK_REVOKED: (410, "This demo link was withdrawn. Please ask your contact for a new one."),
    ErrorCode.ORIGIN_NOT_ALLOWED: (403, "Calls are not allowed from this website."),
    ErrorCode.RATE_LIMITED: (429, "Too many calls right now. Please try again shortly."),
    ErrorCode.TOO_MANY_OPEN_CALLS: (429, "Too many calls from this network or link are still open."),
    ErrorCode.UPSTREAM_UNAVAILABLE: (502, "The voice service is not available right now."),
    ErrorCode.UPSTREAM_REJECTED: (502, "The voice service could not start this call."),
    ErrorCode.UPSTREAM_TIMEOUT: (504, "The voice service did not answer in time."),
    ErrorCode.MISCONFIGURED: (503, "This site's voice calls are not set up correctly."),
    ErrorCode.NOT_FOUND: (404, "Not found."),
    ErrorCode.FORBIDDEN: (403, "You may not see this call."),
    ErrorCode.METHOD_NOT_ALLOWED: (405, "Method not allowed."),
    ErrorCode.INTERNAL_ERROR: (500, "Something went wrong on our side."),
}


@dataclass(frozen=True)
class ApiError(Exception):
    code: ErrorCode
    message: str = ""
    status: int = 0
    retry_after: int | None = None

    def __post_init__(self) -> None:
        status, message = _DEFAULTS[self.code]
        if not self.status:
            object.__setattr__(self, "status", status)
        if not self.message:
            object.__setattr__(self, "message", message)

    def body(self) -> dict[str, dict[str, str]]:
        error = {"code": self.code.value, "message": self.message}
        request_id = current_request_id()
        if request_id:
            error["request_id"] = request_id
        return {"error": error}
