"""Rate limits (Flask-Limiter), attached to the views with `@limiter.limit(...)`.

- Call creation, per client IP: every request counts, valid or not (it is the sender's own budget).
- Call creation, per demo, all clients together: only creates that really went upstream count
  (`deduct_when`), so bogus links or bad bodies from many addresses cannot lock a demo for everyone.
  The per-IP limit is checked first; the per-demo one is only tested before the view runs.
- The call summary, per call: a handle cannot be used to spend the account's upstream rate limit.
- Sign-in at the sales index, per client IP (only POSTs count).
- A rep's test notifications, per rep.

Counters live in memory by default; `WEBCALL_RATE_LIMIT_STORAGE_URI=redis://…` shares them between
app instances. Over a limit the browser gets `429 rate_limited` with `Retry-After`, and nothing goes
upstream. Behind a proxy the client IP comes from ProxyFix (trusted hops only).

There is one Limiter per process (Flask-Limiter's init_app pattern); `create_app` binds it to the
app with that app's storage. Limits read the app's settings at request time. A process serves one
app; where tests build several, they share the Limiter: the last app built sets the storage (for
`memory://`, fresh counters), and the limits of each app apply to the shared counters.
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import Flask, Response, g, jsonify, request
from flask_limiter import Limiter, RequestLimit
from redis.exceptions import RedisClusterException
from werkzeug.exceptions import HTTPException

from .errors import ApiError, ErrorCode
from .metrics import rate_limited
from .services import EXTENSION, services
from .settings import SettingsError

# Password guesses at the sales index, per client IP (only POSTs count).
SIGN_IN_LIMIT = "5/minute;30/hour"
# Summary reads per call: the page polls a few times after hang-up (backoff over ~10 s).
SUMMARY_LIMIT = "20/minute"
# A rep's "Send a test" (each one a webhook and an email): ten clicks sent ten of each.
SEND_TEST_LIMIT = "5/minute"
_UPSTREAM_FLAG = "create_went_upstream"


def client_ip() -> str:
    """The client as the per-IP limits count it: an IPv4 address, or an IPv6 address's /64. One IPv6
    connection gets a whole /64 (2^64 addresses), so counted per address one visitor had no limit."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return address


limiter = Limiter(
    client_ip,
    strategy="moving-window",
    key_prefix="webcall",
    headers_enabled=False,
)


def per_ip_limit() -> str:
    return services().settings.rate_limit_per_ip


def per_demo_limit() -> str:
    return services().settings.rate_limit_per_demo


def demo_key() -> str:
    """The demo a create names. Only creates that went upstream count, so a body that fails
    validation may land on any key: it never deducts."""
    from .validation import json_body  # validation imports demos; keep this module light at import

    try:
        body = json_body()
    except (ApiError, HTTPException):
        return "demo:-"
    demo = body.get("demo") if isinstance(body, dict) else None
    return f"demo:{demo}" if isinstance(demo, str) and demo.isascii() and len(demo) <= 63 else "demo:default"


def mark_upstream() -> None:
    """Called by the view right before it asks itellico: from here on the create costs the demo."""
    setattr(g, _UPSTREAM_FLAG, True)


def went_upstream(_response: Response) -> bool:
    return bool(g.get(_UPSTREAM_FLAG, False))


def summary_key() -> str:
    call_id = (request.view_args or {}).get("call_id", "")
    return f"call:{str(call_id)[:100]}"


def _count(limit: RequestLimit) -> None:
    # Flask-Limiter tests a limit with [key prefix, key, "<endpoint>:<scope>"]; the scope names the
    # limit (the key is the client's IP: never a label).
    rate_limited(str(limit.request_args[-1]).rsplit(":", 1)[-1] if limit.request_args else "")


def _retry_after(limit: RequestLimit) -> int:
    """Whole seconds until the limit lets a request through again, within its window. The window's own
    reset time: `reset_at` is rounded a second past it (61 s for a 1-minute limit)."""
    return min(max(1, math.ceil(limit.window[0] - time.time())), limit.limit.get_expiry())


def breached(limit: RequestLimit) -> Response:
    retry_after = counted_breach(limit)
    error = ApiError(ErrorCode.RATE_LIMITED, retry_after=retry_after)
    response = jsonify(error.body())
    response.status_code = error.status
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def counted_breach(limit: RequestLimit) -> int:
    """Count a breach of `limit` (for a view that answers it itself); the seconds until it lets a
    request through again."""
    _count(limit)
    return _retry_after(limit)


def init_app(app: Flask) -> None:
    settings = app.extensions[EXTENSION].settings
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.rate_limit_storage_uri)
    # If Redis is down, limit in memory rather than fail every call.
    app.config.setdefault(
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", settings.rate_limit_storage_uri != "memory://"
    )
    # The one Limiter keeps its last `enabled` as the default for the next app: an app built with
    # RATELIMIT_ENABLED=False (a test) would leave every later app in the process unlimited.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    try:
        limiter.init_app(app)
    except RedisClusterException as error:
        # A Redis Cluster client connects while it is made (a plain redis:// one only when first used,
        # and then falls back to memory): one line, as for any setting the app cannot start with.
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SettingsError("WEBCALL_RATE_LIMIT_STORAGE_URI", f"cannot be reached: {problem}") from None
