"""`POST /webhooks/itellico`: itellico's conversation events, verified, stored, queued, answered.

Order matters: the signature is checked on the raw bytes before anything parses them (HMAC-SHA256 of
`<rawBody>.<timestamp>` with ITELLICOAI_WEBHOOK_SECRET, compared in constant time), and the signed
timestamp must be within WEBCALL_WEBHOOK_TOLERANCE_SECONDS of now, so a captured request cannot be
replayed later (and within the window the `event_id` dedupe catches it). Then the event is stored
(its `event_id` is unique) and its work is queued; the answer does not wait for the work.

Answers: 404 while no secret is set (the endpoint does not exist); 401 for a missing, wrong or stale
signature (nothing stored), 429 once a client IP is over REFUSALS_PER_IP of those; 413 over
WEBCALL_WEBHOOK_MAX_BYTES (1 MiB by default: the app-wide 64 KB body limit does not apply here), with a
Content-Length or sent chunked; 400 for a body that is not an event, or whose kept text cannot be
stored (a lone surrogate, NUL); 200 `ignored` for an event type we do not handle, 200 `duplicate` for
an event already stored, 202 `accepted` otherwise (counted as `unqueued` when the task queue was
unreachable). Server to server: no CSRF token (exempted here), no cookies, no CORS.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from limits import parse_many
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.exc import SQLAlchemyError

from . import metrics, open_calls, tasks
from .bodies import allow_one_more, whole_body
from .db import storable
from .itellico_types import MAX_ID_LENGTH, MAX_STATUS_LENGTH, call_seconds
from .ratelimit import client_ip, in_limit_storage, limiter
from .services import services
from .signing import signature
from .webhook_store import WebhookEvent, store
from .webhook_work import ENDED, KNOWN_EVENTS

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("webcall.webhooks")
# Refused deliveries (401) per client IP, in the limiter's storage (webcall/ratelimit.py). Each cost a
# read of up to WEBCALL_WEBHOOK_MAX_BYTES, an HMAC and a WARNING line, without limit. Counted once the
# signature is refused, so itellico's signed deliveries never count and are never limited.
REFUSALS_PER_IP = "10/minute"
_REFUSALS_SCOPE = "webhook-refused"


def init_app(app: Flask) -> None:
    from .studio_csrf import csrf  # the studio's CSRFProtect: this one endpoint is server to server

    csrf.exempt(bp)
    app.register_blueprint(bp)


def _answer(outcome: str, status: int, *, body: str | None = None) -> tuple[Response, int]:
    """The answer, with `outcome` counted once; `body`: what itellico is told, when it differs."""
    metrics.webhook_event(outcome)
    response = jsonify({"status": body or outcome})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.before_request
def _body_limit() -> None:
    # The app-wide 64 KB limit (webcall/bodies.py) is sized for browser forms; here it refused a long
    # `conversation.ended` with Werkzeug's HTML 413. This route's cap is WEBCALL_WEBHOOK_MAX_BYTES, read
    # whole or refused (never cut) by `whole_body`.
    allow_one_more(services().settings.webhook_max_bytes)


@bp.post("/webhooks/itellico")
def receive() -> tuple[Response, int]:
    settings = services().settings
    if not settings.webhook_secret:
        abort(404)
    body = whole_body(settings.webhook_max_bytes)
    if body is None:
        return _answer("too_large", 413)
    problem = _check_signature(
        (settings.webhook_secret, settings.webhook_secret_previous),
        body,
        request.headers.get(settings.webhook_signature_header, ""),
        request.headers.get(settings.webhook_timestamp_header, ""),
        settings.webhook_tolerance_seconds,
    )
    if problem:
        retry_after = _refusal_over_limit()
        if retry_after is not None:
            metrics.rate_limited(_REFUSALS_SCOPE)
            response, status = _answer(problem, 429, body="rate_limited")
            response.headers["Retry-After"] = str(retry_after)
            return response, status
        log.warning("webhook.refused reason=%s", problem)
        return _answer(problem, 401)
    event = _parse(body)
    if event is None:
        return _answer("malformed", 400)
    if event.event_type not in KNOWN_EVENTS:
        log.info("webhook.ignored event_type=%.64s", event.event_type)
        return _answer("ignored", 200)
    if event.event_type == ENDED and event.call_id:
        # A closed tab or a call that failed after its create reads no summary: without this its client's
        # open-call place stayed taken for the whole hold. Given back here, in a web process (the one that
        # took it, with memory:// limits), not by the task worker, which sees only Redis-kept places.
        open_calls.ended(event.call_id)
    try:
        fresh = store(services().calllog.engine, event)
    except SQLAlchemyError as error:
        # Not stored: a 5xx makes itellico deliver it again later.
        log.error("webhook.store failed: %s", type(error).__name__)
        return _answer("store_failed", 503)
    if not fresh:
        return _answer("duplicate", 200)
    # One outcome per request: stored and queued (`accepted`), or stored with the queue unreachable
    # (`unqueued`: the worker's sweep queues it). To itellico both are delivered.
    outcome = "accepted" if tasks.task_queue(current_app).enqueue_event(event.event_id) else "unqueued"
    log.info("webhook.%s event_id=%s event_type=%s", outcome, event.event_id, event.event_type)
    return _answer(outcome, 202, body="accepted")


def _refusal_over_limit() -> int | None:
    """Count this refused delivery against its client IP: None, or, over REFUSALS_PER_IP, the seconds
    until the address has a refusal left. Counted as it is refused, in one step of the storage (a
    Flask-Limiter decorator tests a limit before the view, so it would also hold back a signed delivery
    from an address whose refusals are used up)."""
    if not limiter.enabled:
        return None
    return in_limit_storage(_hit)


def _hit(storage: Storage) -> int | None:
    strategy = MovingWindowRateLimiter(storage)  # the Limiter's strategy (webcall/ratelimit.py)
    ip = client_ip()
    for item in parse_many(REFUSALS_PER_IP):
        if not strategy.hit(item, "webcall", ip, _REFUSALS_SCOPE):
            reset = strategy.get_window_stats(item, "webcall", ip, _REFUSALS_SCOPE).reset_time
            return min(max(1, math.ceil(reset - time.time())), item.get_expiry())
    return None


def _check_signature(
    secrets: tuple[str | None, ...], body: bytes, sent: str, timestamp: str, tolerance: int
) -> str | None:
    """None when `sent` signs `body` at a fresh `timestamp` with one of `secrets` (the current one and,
    during a rotation, ITELLICOAI_WEBHOOK_SECRET_PREVIOUS); else why not (bad_signature | stale)."""
    if not sent or not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 16:
        return "bad_signature"
    sent_bytes = sent.strip().removeprefix("sha256=").removeprefix("v1=").encode(errors="replace")
    # Every secret is compared (a list, not any()'s early exit): the time taken does not say which matched.
    matches = [hmac.compare_digest(sent_bytes, signature(s, body, timestamp).encode()) for s in secrets if s]
    if not any(matches):
        return "bad_signature"
    seconds = int(timestamp)
    if seconds > 10**11:  # milliseconds
        seconds //= 1000
    if abs(time.time() - seconds) > tolerance:
        return "stale"
    return None


def _parse(body: bytes) -> WebhookEvent | None:
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError: not JSON, not UTF-8, and also valid JSON with an integer of more than 4,300 digits
        # (Python's int-from-text limit). Each a 400: a 5xx is what itellico keeps retrying.
        return None
    if not isinstance(envelope, dict):
        return None
    event_id, event_type, data = envelope.get("event_id"), envelope.get("event_type"), envelope.get("data")
    if not _text(event_id, 128) or not _text(event_type, 64) or not isinstance(data, dict):
        return None
    call_id = data.get("conversation_uuid") or data.get("id") or data.get("call_id")
    duration = data.get("duration_seconds")
    created = envelope.get("created")
    event = WebhookEvent(
        event_id=event_id,
        event_type=event_type,
        call_id=call_id if _text(call_id, MAX_ID_LENGTH) else None,
        room_sid=data.get("room_sid") if _text(data.get("room_sid"), 128) else None,
        status=data.get("status") if _text(data.get("status"), MAX_STATUS_LENGTH) else None,
        duration_seconds=call_seconds(duration),
        occurred_at=str(created)[:64] if created is not None else None,
    )
    # JSON may carry a lone surrogate ("\ud800"), which cannot be written as UTF-8, and NUL, which
    # PostgreSQL's text refuses: either in what the event keeps made the store fail (a 5xx, retried
    # for ever). What is not kept (the messages) may hold anything.
    if not all(storable(value) for value in vars(event).values() if isinstance(value, str)):
        return None
    return event


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit
