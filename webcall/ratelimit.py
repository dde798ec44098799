"""Rate limits (Flask-Limiter), attached to the views with `@limiter.limit(...)` (the browser API's
through `limit_creates` and `limit_summaries` below).

- Call creation, per client IP: every request counts, valid or not (it is the sender's own budget).
- Call creation, per demo, all anonymous clients together (the demo's pool): only creates that really
  went upstream count (`deduct_when`), so bogus links or bad bodies from many addresses cannot lock a
  demo for everyone. The per-IP limit is checked first; the per-demo one is only tested before the view
  runs.
- Call creation through a share link signed for the demo (only signed-in reps make them): a budget per
  link (the per-IP one) instead of the pool, so anonymous traffic that uses the pool up does not shut a
  prospect out. Spend stays bounded: the pool plus one client's budget for each link reps made.
- The call summary, per call and per client IP: every read with a handle is an itellico GET, and
  handles pile up (one per create), so per call alone one address reached hundreds a minute.
- Sign-in (`POST /demos/login`), per client IP (only POSTs count): SIGN_IN_LIMIT, held by
  webcall/sign_in_limit.py in this limiter's storage (counted as each POST arrives, not by a decorator).
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
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

import limits
from flask import Flask, Response, g, jsonify, request
from flask_limiter import Limiter, RequestLimit
from redis.exceptions import RedisClusterException
from werkzeug.exceptions import HTTPException

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
_UPSTREAM_FLAG = "create_went_upstream"
_LINK_FLAG = "create_signed_link"
View = TypeVar("View", bound=Callable[..., object])
log = logging.getLogger("webcall.ratelimit")


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


def per_ip_summary_limit() -> str:
    """SUMMARY_READS_PER_CALL for each create WEBCALL_RATE_LIMIT_PER_IP allows, in the same windows
    (10/minute: 60/minute), so an office behind one address that may make its calls can read them."""
    items = limits.parse_many(per_ip_limit())
    return ";".join(str(type(item)(item.amount * SUMMARY_READS_PER_CALL, item.multiples)) for item in items)


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


def signed_link_id() -> str | None:
    """The id of the share link a create sends, if it is signed for the demo the body names, else None.
    Expired and revoked links count as signed: the view refuses them before anything goes upstream, so
    they never deduct. Only the signature is checked (no database read), once per request."""
    if _LINK_FLAG not in g:
        setattr(g, _LINK_FLAG, _signed_link_id())
    return g.get(_LINK_FLAG)


def _signed_link_id() -> str | None:
    from .demos import DEFAULT_SLUG
    from .links import ShareLinks
    from .validation import json_body

    try:
        body = json_body()
    except (ApiError, HTTPException):
        return None
    if not isinstance(body, dict):
        return None
    token, slug = body.get("link"), body.get("demo") or DEFAULT_SLUG
    if not isinstance(token, str) or not isinstance(slug, str):
        return None
    # The app's own links service also reads revocation from the database; the signature is enough
    # here (a forged token cannot name a link), and a database error must not look like a limit's.
    link = ShareLinks(services().settings.secret_key).check(token, slug).link
    return link.link_id if link is not None else None


def has_signed_link() -> bool:
    return signed_link_id() is not None


def anonymous_create() -> bool:
    return signed_link_id() is None


def link_key() -> str:
    return f"link:{signed_link_id()}"


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


def limit_creates(view: View) -> View:
    """The limits of `POST /api/calls`. Flask-Limiter checks limits of one granularity in the order they
    were attached, innermost first: the per-IP limit (every request counts) before the demo's pool or
    the link's budget (only upstream creates count). A create with a link signed for its demo spends
    its link's budget, any other the pool."""
    view = limiter.limit(per_ip_limit, scope="create-ip", on_breach=breached)(view)
    view = limiter.limit(
        per_demo_limit,
        key_func=demo_key,
        scope="create-demo",
        deduct_when=went_upstream,
        exempt_when=has_signed_link,
        on_breach=breached,
    )(view)
    return limiter.limit(
        per_ip_limit,  # a link may create as many calls as one client IP
        key_func=link_key,
        scope="create-link",
        deduct_when=went_upstream,
        exempt_when=anonymous_create,
        on_breach=breached,
    )(view)


def limit_summaries(view: View) -> View:
    """The limits of `GET /api/calls/<id>`. Per client IP every read counts (the sender's own budget),
    checked first: it bounds the itellico GETs one address can cause however many handles it holds."""
    view = limiter.limit(per_ip_summary_limit, scope="summary-ip", on_breach=breached)(view)
    return limiter.limit(
        SUMMARY_LIMIT,
        key_func=summary_key,
        scope="summary",
        on_breach=breached,
        # Only reads that showed the call's handle count: a call id is no secret (the studio, CSV,
        # logs), and a stranger's refused reads used up the limit the visitor's own page needs.
        deduct_when=lambda response: response.status_code != 403,
    )(view)
