"""`POST /webhooks/itellico`: itellico's conversation events, verified, stored, queued, answered.

Order matters: the signature is checked on the raw bytes before anything parses them (HMAC-SHA256 of
`<rawBody>.<timestamp>` with ITELLICOAI_WEBHOOK_SECRET, compared in constant time), and the signed
timestamp must be within WEBCALL_WEBHOOK_TOLERANCE_SECONDS of now, so a captured request cannot be
replayed later (and within the window the `event_id` dedupe catches it). Then the event is stored
(its `event_id` is unique) and its work is queued; the answer does not wait for the work.

Answers: 404 while no secret is set (the endpoint does not exist); 401 for a missing, wrong or stale
signature (nothing stored); 413 over WEBCALL_WEBHOOK_MAX_BYTES (1 MiB by default: the app-wide 64 KB
body limit does not apply here), with a Content-Length or sent chunked; 400 for a body that is not an
event, or whose kept text cannot be stored (a lone surrogate, NUL); 200 `ignored` for an event type we
do not handle, 200 `duplicate` for an event already stored, 202 `accepted` otherwise. Server to
server: no CSRF token (exempted here), no cookies, no CORS.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from . import metrics, tasks
from .bodies import allow_one_more, whole_body
from .services import services
from .signing import signature
from .webhook_store import WebhookEvent, store
from .webhook_work import KNOWN_EVENTS

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("webcall.webhooks")


def init_app(app: Flask) -> None:
    from .auth import csrf  # the studio's CSRFProtect: this one endpoint is server to server

    csrf.exempt(bp)
    app.register_blueprint(bp)


def _answer(outcome: str, status: int) -> tuple[Response, int]:
    metrics.webhook_event(outcome)
    response = jsonify({"status": outcome})
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
        settings.webhook_secret,
        body,
        request.headers.get(settings.webhook_signature_header, ""),
        request.headers.get(settings.webhook_timestamp_header, ""),
        settings.webhook_tolerance_seconds,
    )
    if problem:
        log.warning("webhook.refused reason=%s", problem)
        return _answer(problem, 401)
    event = _parse(body)
    if event is None:
        return _answer("malformed", 400)
    if event.event_type not in KNOWN_EVENTS:
        log.info("webhook.ignored event_type=%.64s", event.event_type)
        return _answer("ignored", 200)
    try:
        fresh = store(services().calllog.engine, event)
    except SQLAlchemyError as error:
        # Not stored: a 5xx makes itellico deliver it again later.
        log.error("webhook.store failed: %s", type(error).__name__)
        return _answer("store_failed", 503)
    if not fresh:
        return _answer("duplicate", 200)
    if not tasks.task_queue(current_app).enqueue_event(event.event_id):
        metrics.webhook_event("unqueued")  # stored: the sweep queues it
    log.info("webhook.accepted event_id=%s event_type=%s", event.event_id, event.event_type)
    return _answer("accepted", 202)


def _check_signature(secret: str, body: bytes, sent: str, timestamp: str, tolerance: int) -> str | None:
    """None when `sent` signs `body` at a fresh `timestamp`; else why not (bad_signature | stale)."""
    if not sent or not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 16:
        return "bad_signature"
    sent = sent.strip().removeprefix("sha256=").removeprefix("v1=")
    if not hmac.compare_digest(sent.encode(errors="replace"), signature(secret, body, timestamp).encode()):
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
        call_id=call_id if _text(call_id, 64) else None,
        room_sid=data.get("room_sid") if _text(data.get("room_sid"), 128) else None,
        status=data.get("status") if _text(data.get("status"), 32) else None,
        duration_seconds=_seconds(duration),
        occurred_at=str(created)[:64] if created is not None else None,
    )
    # JSON may carry a lone surrogate ("\ud800"), which cannot be written as UTF-8, and NUL, which
    # PostgreSQL's text refuses: either in what the event keeps made the store fail (a 5xx, retried
    # for ever). What is not kept (the messages) may hold anything.
    if not all(_storable(value) for value in vars(event).values() if isinstance(value, str)):
        return None
    return event


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 10**7:
        return None
    return int(value)
