"""Health endpoints for load balancers.

`/healthz`: the process is up and serving. `/readyz`: it can do its job right now: settings were
valid (or it would not have started), the itellico API answers within a short timeout, and the call
log's database answers. Each check reports a word, never an error text.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .itellico import UpstreamError
from .services import services

bp = Blueprint("health", __name__)
log = logging.getLogger("webcall.health")

UPSTREAM_CHECK_TIMEOUT_SECONDS = 2.0


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
    checks = {"settings": "ok", "upstream": "ok", "database": "ok"}
    try:
        svc.itellico.check(timeout=UPSTREAM_CHECK_TIMEOUT_SECONDS)
    except UpstreamError as error:
        checks["upstream"] = error.kind.value
    try:
        with svc.calllog.engine.connect() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        checks["database"] = "unavailable"
        log.warning("readiness: database unavailable (%s)", type(error).__name__)
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), 200 if ready else 503
