"""Rate limits (Flask-Limiter): the one Limiter, its storage, every limit's amount and the 429 answer.
The limits are attached to the views with `@limiter.limit(...)` where the views are: the browser API's
in webcall/api_limits.py (call creation per client IP, per demo and per share link; the call summary;
and, in this limiter's storage, the calls a client has open at once: webcall/open_calls.py),
the share-link check in webcall/embed.py, a rep's test notifications in webcall/notification_prefs.py,
and the sign-in's SIGN_IN_LIMIT in webcall/sign_in_limit.py (held in this limiter's storage, counted
as each POST arrives, not by a decorator).

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
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

import limits
from flask import Flask, Response, jsonify, request
from flask_limiter import Limiter, RequestLimit
from limits.storage import MemoryStorage, Storage
from redis.exceptions import RedisClusterException

from .errors import ApiError, ErrorCode
from .metrics import rate_limited
from .redis_ping import bounded, storage_failure
from .services import EXTENSION, services
from .settings import SettingsError

# Password guesses at the sales index, per client IP (only POSTs count).
SIGN_IN_LIMIT = "5/minute;30/hour"
# Summary reads per call: the page polls a few times after hang-up (backoff over ~10 s).
SUMMARY_LIMIT = "20/minute"
# Summary reads per client IP, each one an itellico GET, per call the client may create: the page reads
# at most five times after a hang-up (static/js/api-client.js pollCall), one more to spare.
SUMMARY_READS_PER_CALL = 6
# A rep's "Send a test" (each one a webhook and an email): ten clicks sent ten of each.
SEND_TEST_LIMIT = "5/minute"
log = logging.getLogger("webcall.ratelimit")
T = TypeVar("T")


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


# Counts of in_limit_storage while the limiter's storage cannot be reached: this process's own.
_fallback = MemoryStorage()


def in_limit_storage(operation: Callable[[Storage], T], name: str | None = None) -> T:
    """`operation` on the limiter's storage as it is now (Flask-Limiter's in-memory one once its own check
    found the Redis down); when that storage cannot be reached (it raises its `base_exceptions`), on this
    process's fallback instead, with a warning naming `name` (None: no line).

    For what is counted outside Flask-Limiter's decorators (webcall/sign_in_limit.py, webcall/webhooks.py,
    webcall/open_calls.py): Flask-Limiter turns to memory only when one of its own checks fails, so without
    this a Redis that went away made each of them a 500 while the decorated limits still worked."""
    storage = limiter.limiter.storage
    try:
        return operation(storage)
    except storage.base_exceptions as error:
        if name is not None:
            log.warning(
                "%s: the rate-limit storage cannot be reached (%s); counting in this process",
                name,
                type(error).__name__,
            )
        return operation(_fallback)


def per_ip_limit() -> str:
    return services().settings.rate_limit_per_ip


def per_ip_summary_limit() -> str:
    """SUMMARY_READS_PER_CALL for each create WEBCALL_RATE_LIMIT_PER_IP allows, in the same windows
    (10/minute: 60/minute), so an office behind one address that may make its calls can read them."""
    items = limits.parse_many(per_ip_limit())
    return ";".join(str(type(item)(item.amount * SUMMARY_READS_PER_CALL, item.multiples)) for item in items)


def per_demo_limit() -> str:
    return services().settings.rate_limit_per_demo


def _count(limit: RequestLimit) -> None:
    # Flask-Limiter tests a limit with [key prefix, key, "<endpoint>:<scope>"]; the scope names the
    # limit (the key is the client's IP: never a label).
    rate_limited(str(limit.request_args[-1]).rsplit(":", 1)[-1] if limit.request_args else "")


def _retry_after(limit: RequestLimit) -> int:
    """Whole seconds until the limit lets a request through again, within its window. The window's own
    reset time: `reset_at` is rounded a second past it (61 s for a 1-minute limit)."""
    return min(max(1, math.ceil(limit.window[0] - time.time())), limit.limit.get_expiry())


def breached(limit: RequestLimit) -> Response:
    return refusal(counted_breach(limit))


def refusal(retry_after: int, code: ErrorCode = ErrorCode.RATE_LIMITED) -> Response:
    """The 429 of every rate limit of the browser API, and of a client with no open-call place free
    (webcall/api_limits.py, `too_many_open_calls`: the rate limits' words, "Calls are limited to a few a
    minute", told a visitor whose calls were still open, in another tab, the wrong cause)."""
    error = ApiError(code, retry_after=retry_after)
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


# A Redis on the same network answers in about a millisecond.
STORAGE_TIMEOUT_SECONDS = 1.0


def _bounded_storage(uri: str) -> dict[str, object]:
    options = bounded(STORAGE_TIMEOUT_SECONDS)
    if uri.startswith("redis+sentinel"):
        # `limits` hands the Sentinels themselves only `sentinel_kwargs` (by default none: no timeout).
        return {**options, "sentinel_kwargs": dict(options)}
    return options


def init_app(app: Flask) -> None:
    settings = app.extensions[EXTENSION].settings
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.rate_limit_storage_uri)
    # If Redis is down, limit in memory rather than fail every call.
    app.config.setdefault(
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", settings.rate_limit_storage_uri != "memory://"
    )
    if settings.rate_limit_storage_uri != "memory://":
        # A Redis that takes the connection and never answers is "down" only once a read times out:
        # without a timeout each limited request waited for it (5-10 s, measured), with one it falls back
        # to memory in STORAGE_TIMEOUT_SECONDS. No retries: a retry is one more timeout.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", _bounded_storage(settings.rate_limit_storage_uri))
    # The one Limiter keeps its last `enabled` as the default for the next app: an app built with
    # RATELIMIT_ENABLED=False (a test) would leave every later app in the process unlimited.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    # Likewise its finding that the last app's storage was dead: the next app would limit in memory
    # without ever trying its own (Flask-Limiter sets the flag in __init__ only).
    limiter._storage_dead = False
    # And its storage options: init_app adds each app's to those it holds, so a Sentinel app's
    # `sentinel_kwargs` reached the next app's plain Redis client (a TypeError at its first use).
    limiter._storage_options = {}
    try:
        limiter.init_app(app)
    except RedisClusterException as error:
        # A Redis Cluster client connects while it is made (a plain redis:// one only when first used,
        # and then falls back to memory): one line, as for any setting the app cannot start with.
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SettingsError("WEBCALL_RATE_LIMIT_STORAGE_URI", f"cannot be reached: {problem}") from None
    if settings.rate_limit_storage_uri != "memory://":
        _say_if_unreachable(settings.rate_limit_storage_uri)


def _say_if_unreachable(uri: str) -> None:
    """One PING at start. A plain redis:// storage connects only when first used and then falls back to
    each process's memory without a word: with two gunicorn workers one address got 12 creates through a
    10/minute limit (an operator's audit). Calls still work without it, so the app starts and says so;
    the task worker, which cannot work without its Redis, refuses to (webcall/worker.py)."""
    failure = storage_failure(uri, STORAGE_TIMEOUT_SECONDS)
    if failure is None:
        return
    # The setting's name and the error's type, as /readyz logs it (webcall/health.py): never the URI, which
    # may carry a password in its query as well as before the host.
    log.warning(
        "OPERATOR: cannot reach the rate-limit Redis of WEBCALL_RATE_LIMIT_STORAGE_URI (%s): calls still "
        "work, but until it answers each process counts the rate limits in its own memory, so together "
        "they allow more than WEBCALL_RATE_LIMIT_PER_IP",
        type(failure).__name__,
    )
