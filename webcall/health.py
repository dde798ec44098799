"""Health endpoints for load balancers.

`/healthz`: the process is up and serving. `/readyz`: it can do its job right now: settings were
valid (or it would not have started), the itellico API answers within a short timeout, and the call
log's database answers. Each check reports a word, never an error text.

The upstream answer is kept for a few seconds per process: a load balancer (or anyone) asking
`/readyz` in a loop must not spend the account's itellico rate limit.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .itellico_errors import UpstreamError
from .services import services

bp = Blueprint("health", __name__)
log = logging.getLogger("webcall.health")

UPSTREAM_CHECK_TIMEOUT_SECONDS = 2.0
UPSTREAM_CHECK_CACHE_SECONDS = 5.0
_PROBE = "webcall.upstream_probe"


@dataclass
class _UpstreamProbe:
    """The last upstream check of this app in this process; one probe at a time."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    result: str = ""
    checked_at: float = float("-inf")

    def result_now(self) -> str:
        with self.lock:  # concurrent askers wait for the one probe instead of sending their own
            if time.monotonic() - self.checked_at >= UPSTREAM_CHECK_CACHE_SECONDS:
                self.result = _probe_upstream()
                self.checked_at = time.monotonic()
            return self.result


def _probe_upstream() -> str:
    try:
        services().itellico.check(timeout=UPSTREAM_CHECK_TIMEOUT_SECONDS)
    except UpstreamError as error:
        return error.kind.value
    return "ok"


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    svc = services()
    probe: _UpstreamProbe = current_app.extensions.setdefault(_PROBE, _UpstreamProbe())
    checks = {"settings": "ok", "upstream": probe.result_now(), "database": "ok"}
    try:
        with svc.calllog.engine.connect() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        checks["database"] = "unavailable"
        log.warning("readiness: database unavailable (%s)", type(error).__name__)
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), 200 if ready else 503
