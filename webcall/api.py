"""The browser's JSON API: create a web call, read back its summary."""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from . import metrics, open_calls
from .api_limits import limit_creates, limit_summaries, mark_no_call, mark_upstream
from .browser_errors import browser_error
from .db_wait import UNAVAILABLE
from .demos import DemoProfile, page_variable_problems
from .device import device_fingerprint, remember_device
from .errors import ApiError, ErrorCode
from .handles import HANDLE_HEADER
from .itellico_errors import UpstreamError, UpstreamErrorKind
from .itellico_types import WebCallRequest
from .link_opens import from_a_rep
from .links import LinkStatus, ShareLink
from .prospect_lines import first_message_mark
from .security import allowed_api_origins, demo_origins, origin_allowed
from .services import services
from .studio_unavailable import database_down_error
from .validation import allowed_variables, json_body, parse_create_body

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger("webcall.calls")

# How much later than the page itellico ends a limited call (below).
UPSTREAM_LIMIT_SLACK_SECONDS = 5


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def refuse_other_sites() -> None:
    """What another site's page makes its visitors' browsers send without asking (a form post or a no-cors
    fetch to the create, an `<img>` on a summary) is refused here, before the views' limits count it: they
    count on arrival (so concurrent requests cannot pass them together), and counted, such requests spent
    the per-IP budgets of everyone that page was shown to (an audit). A script that sends them itself
    gains nothing. A summary read needs the call's handle header, which no page can send cross-origin
    without a preflight the app answers only for allowed origins."""
    if request.endpoint == "api.create_call":
        _check_origin(allowed_api_origins())
    elif request.endpoint == "api.call_summary" and not request.headers.get(HANDLE_HEADER):
        raise ApiError(ErrorCode.FORBIDDEN)


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, int, dict[str, str]]:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    return jsonify(error.body()), error.status, headers


@bp.post("/calls")
@limit_creates
@metrics.count_create
def create_call() -> tuple[Response, int]:
    started = time.monotonic()
    svc = services()  # the origin was checked before the limits (refuse_other_sites)
    body = parse_create_body(json_body())
    demo = svc.demos.get(body.demo)
    if demo is None:
        raise ApiError(ErrorCode.UNKNOWN_DEMO)
    metrics.note_demo(demo.slug)
    _check_origin(demo_origins(demo))
    link = _share_link(demo, body.link)
    # A rep's own try of a link is the demo's call, not the link's prospect's (link_opens.from_a_rep).
    logged_link = None if from_a_rep() else link
    mode = body.mode or demo.default_mode
    call_request = WebCallRequest(
        agent_id=demo.agent_id,
        external_id=f"webcall-{uuid.uuid4()}",
        initial_text=body.initial_text or demo.initial_text,
        audio_input_enabled=mode == "voice",
        audio_output_enabled=True,
        skip_greeting_on_initial_text=demo.skip_greeting_on_initial_text,
        device_fingerprint=device_fingerprint(),
        # The demo's fixed variables, then allowed page variables, then the link's (from its row).
        test_variables={
            **demo.test_variables,
            **allowed_variables(demo, body.variables),
            **(link.vars if link else {}),
        },
        overrides=demo.overrides,
        max_duration_seconds=upstream_limit(demo.max_call_seconds),  # the demo's: never the browser's
    )
    mark_upstream()
    try:
        call = svc.itellico.create_web_call(call_request)
    except UpstreamError as error:
        if error.nothing_sent:
            mark_no_call()
        api_error = browser_error(error, demo, "create")
        _log_create(demo, mode, f"failed:{api_error.code.value}", started, upstream=error)
        _record(demo, mode, f"failed:{api_error.code.value}", link=logged_link)
        raise api_error from None
    open_calls.opened(call.id)
    _log_create(demo, mode, "created", started, call_id=call.id)
    _record(
        demo,
        mode,
        "created",
        link=logged_link,
        call_id=call.id,
        status=call.status,
        first_message=first_message_mark(call_request.initial_text),
    )
    settings = svc.settings
    payload: dict[str, Any] = {
        "call_id": call.id,
        "token": call.join.token,
        "livekit_url": call.join.livekit_url,
        "agent_name": call.agent_name,
        "mode": mode,
        "handle": svc.handles.issue(call.id),
        "agent_join_timeout_ms": int(settings.agent_join_timeout_seconds * 1000),
        "max_call_seconds": demo.max_call_seconds,
    }
    if settings.rtc_no_ice_servers:
        payload["rtc_config"] = {"iceServers": []}
    response = jsonify(payload)
    remember_device(response)
    return response, 201


@bp.get("/calls/<call_id>")
@limit_summaries
def call_summary(call_id: str) -> Response:
    svc = services()
    _check_origin(allowed_api_origins())
    if not svc.handles.allows(request.headers.get(HANDLE_HEADER), call_id):
        raise ApiError(ErrorCode.FORBIDDEN)
    try:
        call = svc.itellico.get_call(call_id)
    except UpstreamError as error:
        if error.kind is UpstreamErrorKind.NOT_FOUND:
            raise ApiError(ErrorCode.NOT_FOUND, "The call is not known (yet).") from None
        log.warning("call.summary failed call_id=%s upstream=%s", call_id, error.kind.value)
        raise browser_error(error, None, "summary") from None
    _complete(call.id, call.status, call.duration_seconds)
    open_calls.seen(call.id, call.status)
    return jsonify(
        {
            "call_id": call.id,
            "status": call.status,
            "duration_seconds": call.duration_seconds,
            "started_at": call.started_at,
            "ended_at": call.ended_at,
            "messages": [
                {"role": m.role, "message": m.message, "timestamp": m.timestamp}
                for m in call.messages
                if m.role in ("user", "agent")
            ],
        }
    )


def _check_origin(allowed: tuple[str, ...]) -> None:
    if not origin_allowed(allowed):
        raise ApiError(ErrorCode.ORIGIN_NOT_ALLOWED)


def _share_link(demo: DemoProfile, token: str | None) -> ShareLink | None:
    """The valid share link sent with a create, or None for a public demo opened without one."""
    if token is None:
        if demo.link_only:
            raise ApiError(ErrorCode.LINK_REQUIRED)
        return None
    try:
        checked = services().links.check(token, demo.slug)  # its row: variables, expiry, revocation
    except UNAVAILABLE as error:  # a link whose revocation cannot be read opens nothing: 503
        raise database_down_error(log, "share link not checked", error) from None
    if checked.status is LinkStatus.REVOKED:
        raise ApiError(ErrorCode.LINK_REVOKED)
    if checked.status is LinkStatus.EXPIRED:
        raise ApiError(ErrorCode.LINK_EXPIRED)
    if not checked.valid or checked.link is None:
        raise ApiError(ErrorCode.LINK_INVALID)
    # The link's variables were allowed when it was made; the profile may have changed since.
    refused = page_variable_problems(demo, checked.link.vars)
    allowed = {k: v for k, v in checked.link.vars.items() if k not in refused}
    if refused:
        log.warning("share link %s has variables demo %s no longer allows", checked.link.link_id, demo.slug)
    return replace(checked.link, vars=allowed)


def _record(
    demo: DemoProfile,
    mode: str,
    outcome: str,
    *,
    link: ShareLink | None,
    call_id: str | None = None,
    status: str | None = None,
    first_message: str | None = None,
) -> None:
    # The call log must never cost a visitor the call.
    try:
        services().calllog.record(
            demo=demo.slug,
            mode=mode,
            outcome=outcome,
            call_id=call_id,
            link_id=link.link_id if link else None,
            status=status,
            first_message=first_message,
        )
    except SQLAlchemyError as error:
        metrics.calllog_write_failed("record")
        log.error("calllog.record failed call_id=%s error=%s", call_id or "-", type(error).__name__)


def _complete(call_id: str, status: str, duration_seconds: int | None) -> None:
    try:
        services().calllog.complete(call_id, status, duration_seconds)
    except SQLAlchemyError as error:
        metrics.calllog_write_failed("complete")
        log.error("calllog.complete failed call_id=%s error=%s", call_id, type(error).__name__)


def upstream_limit(max_call_seconds: int | None) -> int | None:
    """The demo's longest call as itellico is told it: later than the page ends it. The page counts from
    the agent's answer, which may come up to the agent join timeout after the create, and ends the call
    itself with its own words ("reached its maximum length"); itellico may count from the create, and
    ending first it read as "The agent ended the call." (1 of 3 sandbox calls). Its end binds a page
    that ignores its clock."""
    if max_call_seconds is None:
        return None
    join = math.ceil(services().settings.agent_join_timeout_seconds)
    return max_call_seconds + join + UPSTREAM_LIMIT_SLACK_SECONDS


def _log_create(
    demo: DemoProfile,
    mode: str,
    outcome: str,
    started: float,
    *,
    call_id: str | None = None,
    upstream: UpstreamError | None = None,
) -> None:
    # One line per create; the join token and the key are never part of it.
    log.info(
        "call.create outcome=%s call_id=%s demo=%s mode=%s latency_ms=%d%s",
        outcome,
        call_id or "-",
        demo.slug,
        mode,
        (time.monotonic() - started) * 1000,
        f" upstream={upstream.kind.value} upstream_status={upstream.status}" if upstream else "",
    )
