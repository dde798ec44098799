"""The browser API's rate limits: which requests of `POST /api/calls` and `GET /api/calls/<id>` count
against which limit, under which key. The limiter, its storage and the amounts are webcall/ratelimit.py's.

- Call creation, per client IP: every request counts, valid or not (it is the sender's own budget).
- Call creation, per demo, all anonymous clients together (the demo's pool): only creates that really
  went upstream count (`deduct_when`), so bogus links or bad bodies from many addresses cannot lock a
  demo for everyone. The per-IP limit is checked first; the per-demo one is only tested before the view
  runs.
- Call creation through a share link signed for the demo (only signed-in reps make them): a budget per
  link (the per-IP one) instead of the pool, so anonymous traffic that uses the pool up does not shut a
  prospect out. Spend stays bounded: the pool plus one client's budget for each link reps made.
- Calls started and not yet over, per client IP or, for a create with a share link signed for its demo,
  per link (as the budgets above): at most WEBCALL_OPEN_CALLS_PER_IP at once, taken after the limits
  above let the create through and given back when the call is over (webcall/open_calls.py). One
  address within its rate used to hold every concurrent call of the account.
- The call summary, per call and per client IP: every read with a handle is an itellico GET, and
  handles pile up (one per create), so per call alone one address reached hundreds a minute.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from . import open_calls
from .calllog import OPEN_STATUSES
from .errors import ApiError, ErrorCode
from .itellico_errors import UpstreamError
from .metrics import rate_limited
from .ratelimit import (
    SUMMARY_LIMIT,
    breached,
    client_ip,
    limiter,
    per_demo_limit,
    per_ip_limit,
    per_ip_summary_limit,
    refusal,
)
from .services import services

log = logging.getLogger(__name__)
OPEN_CALLS_SCOPE = "create-open"
# A full client's calls asked about upstream per create (the cap is 2 by default), and the time all of
# those GETs together may take: the create waits for them.
MAX_ASKED = 4
ASK_SECONDS = 3.0
_UPSTREAM_FLAG = "create_went_upstream"
_NO_CALL_FLAG = "create_made_no_call"
_LINK_FLAG = "create_signed_link"
View = TypeVar("View", bound=Callable[..., object])


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
    settings = services().settings  # a link made before a key rotation is still a link here
    link = ShareLinks(settings.secret_key, fallbacks=settings.secret_key_fallbacks).check(token, slug).link
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


def mark_no_call() -> None:
    """Called by the view when its create failed before itellico could make a call (nothing of it was
    sent: a connect refused or timed out, the account's look-up failed): even a timeout then gives its
    open-call place back (`hold_open_call`)."""
    setattr(g, _NO_CALL_FLAG, True)


def went_upstream(_response: Response) -> bool:
    return bool(g.get(_UPSTREAM_FLAG, False))


def summary_key() -> str:
    call_id = (request.view_args or {}).get("call_id", "")
    return f"call:{str(call_id)[:100]}"


def limit_creates(view: View) -> View:
    """The limits of `POST /api/calls`. Flask-Limiter checks limits of one granularity in the order they
    were attached, innermost first: the per-IP limit (every request counts, on arrival, so that concurrent
    ones cannot pass it together; webcall/api.py refuses another site's before it) before the demo's pool or
    the link's budget (only upstream creates count). A create with a link signed for its demo spends
    its link's budget, any other the pool. Then, once all of them let it through, it takes an open-call
    place (`hold_open_call`)."""
    view = hold_open_call(view)
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


def open_calls_owner() -> str:
    """Whose open-call places a create takes: its share link's (signed for the demo it names), else its
    client IP's. A prospect is not refused for what others behind the same address hold."""
    return link_key() if has_signed_link() else f"ip:{client_ip()}"


def hold_open_call(view: View) -> View:
    """One of the owner's open-call places for the create (webcall/open_calls.py); none free: 429 before
    the view, nothing upstream. The view names the call it made (`open_calls.opened`); a create that made
    none gives the place back, unless it timed out after it was sent (itellico may have made the call):
    a connect that timed out sent nothing (`mark_no_call`). Two of those kept both places, and a
    visitor who pressed "Try again" twice while itellico was unreachable was told "Too many calls"
    for WEBCALL_OPEN_CALL_HOLD_SECONDS."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = services().settings
        if settings.open_calls_per_ip is None or not limiter.enabled:
            return view(*args, **kwargs)
        cap, hold = settings.open_calls_per_ip, settings.open_call_hold_seconds
        wait = open_calls.take(open_calls_owner(), cap, hold, _known_over)
        if wait is not None:
            rate_limited(OPEN_CALLS_SCOPE)
            return refusal(wait, ErrorCode.TOO_MANY_OPEN_CALLS)
        keep = False
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            keep = error.code is ErrorCode.UPSTREAM_TIMEOUT and not g.get(_NO_CALL_FLAG, False)
            raise
        finally:
            open_calls.settle(keep)

    return cast(View, wrapper)


def _known_over(call_ids: list[str]) -> list[str]:
    """Which of a full client's calls are over. First what the call log knows, which every process shares
    (another worker's summary read, the task worker's webhook or refresh). Then itellico, asked about the
    rest: a tab reloaded or closed mid-call, or a start abandoned after its create, reads no summary, and
    without webhooks nothing else tells; the visitor, with no call open, was refused for the whole hold
    (an audit). Asked only when the client has no place free: at most MAX_ASKED GETs per create, all
    within ASK_SECONDS, each answer written to the call log."""
    svc = services()
    try:
        over = svc.calllog.over(call_ids)
    except SQLAlchemyError as error:
        log.warning("open calls: the call log could not be asked error=%s", type(error).__name__)
        over = []
    deadline = time.monotonic() + ASK_SECONDS
    for call_id in [call_id for call_id in call_ids if call_id not in over][:MAX_ASKED]:
        try:
            call = svc.itellico.get_call(call_id, deadline=deadline)
        except UpstreamError:
            continue  # not known, or itellico not answering: the place stays
        try:
            svc.calllog.complete(call.id, call.status, call.duration_seconds)
        except SQLAlchemyError as error:
            log.warning(
                "open calls: calllog.complete failed call_id=%s error=%s", call_id, type(error).__name__
            )
        if call.status not in OPEN_STATUSES:
            over.append(call_id)
    return over


def limit_summaries(view: View) -> View:
    """The limits of `GET /api/calls/<id>`. Per client IP every read counts (a read without a handle is
    refused before, webcall/api.py), checked first: it bounds the itellico GETs one address can cause
    however many handles it holds."""
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
