"""An itellico failure as the browser's JSON API (webcall/api.py) answers it: the `ApiError` a visitor
may see, never upstream text, and the operator's log line for what only the operator can mend (the key,
the agent, the API's address)."""

from __future__ import annotations

import logging
import math

from .demos import DemoProfile
from .errors import ApiError, ErrorCode
from .itellico_errors import CHECK_BASE_URL, UpstreamError, UpstreamErrorKind

# The API's logger: these lines sit beside the create's and the summary's own (webcall/api.py).
log = logging.getLogger("webcall.calls")


def browser_error(error: UpstreamError, demo: DemoProfile | None, asked: str) -> ApiError:
    """Map an upstream failure to what a visitor may see; upstream text never passes through. `asked`:
    what the browser asked for (create, summary), as the log lines name it."""
    kind = error.kind
    if error.foreign:
        # A web page, a redirect or nothing where itellico's JSON belongs: not the key or the agent.
        log.error(
            "OPERATOR: itellico's address answered a %s with HTTP %s and no itellico JSON: %s.",
            asked,
            error.status,
            CHECK_BASE_URL,
        )
    if kind in (UpstreamErrorKind.UNAUTHORIZED, UpstreamErrorKind.FORBIDDEN) or (
        kind is UpstreamErrorKind.NOT_FOUND and demo is not None
    ):
        if not error.foreign:
            log.error(
                "OPERATOR: itellico refused the configured credentials or agent (%s, HTTP %s, code=%s)%s. "
                "Check ITELLICOAI_API_KEY, ITELLICOAI_ACCOUNT_ID and the demo's agent id.",
                kind.value,
                error.status,
                error.code,
                f" for demo {demo.slug!r}" if demo else "",
            )
        return ApiError(ErrorCode.MISCONFIGURED)
    if kind is UpstreamErrorKind.RATE_LIMITED:
        # Rounded up: a browser told 2 s for itellico's 2.5 s came back too early and was refused again.
        retry = max(1, math.ceil(error.retry_after)) if error.retry_after is not None else 5
        return ApiError(ErrorCode.RATE_LIMITED, retry_after=min(retry, 300))
    if kind is UpstreamErrorKind.TIMEOUT:
        return ApiError(ErrorCode.UPSTREAM_TIMEOUT)
    if kind is UpstreamErrorKind.REJECTED:
        log.error(
            "itellico rejected a %s (HTTP %s, code=%s): %s",
            asked,
            error.status,
            error.code,
            error.field_errors,
        )
        return ApiError(ErrorCode.UPSTREAM_REJECTED)
    if kind is UpstreamErrorKind.UNAVAILABLE and error.status == 503:
        return ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, status=503, retry_after=5)
    return ApiError(ErrorCode.UPSTREAM_UNAVAILABLE)
