"""Rate limits on call creation, per client IP and per demo (Flask-Limiter).

Counters live in memory by default; `WEBCALL_RATE_LIMIT_STORAGE_URI=redis://…` shares them between
app instances. Over the limit the browser gets `429 rate_limited` with `Retry-After`, and nothing
goes upstream. Behind a proxy the client IP comes from ProxyFix (trusted hops only).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, jsonify, request
from flask_limiter import Limiter, RequestLimit

from .errors import ApiError, ErrorCode
from .services import EXTENSION

LIMITED_VIEW = "api.create_call"
SIGN_IN_VIEW = "sales.login"
# Password guesses at the sales index, per client IP (only POSTs count).
SIGN_IN_LIMIT = "5/minute;30/hour"


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _demo_key() -> str:
    body = request.get_json(silent=True, force=True)
    demo = body.get("demo") if isinstance(body, dict) else None
    # Anything that is not a plausible slug counts against the default demo's budget.
    return f"demo:{demo}" if isinstance(demo, str) and demo.isascii() and len(demo) <= 63 else "demo:default"


def _breached(limit: RequestLimit) -> Response:
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    error = ApiError(ErrorCode.RATE_LIMITED, retry_after=retry_after)
    response = jsonify(error.body())
    response.status_code = error.status
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in_breached(limit: RequestLimit) -> Response:
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    response = Response(
        f"Too many sign-in attempts. Try again in {retry_after} seconds.", status=429, mimetype="text/plain"
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> Limiter:
    settings = app.extensions[EXTENSION].settings
    # One Limiter per app (not a module global), so several apps in one process keep apart.
    limiter = Limiter(
        _client_ip,
        app=app,
        storage_uri=settings.rate_limit_storage_uri,
        strategy="moving-window",
        key_prefix="webcall",
        on_breach=_breached,
        # If Redis is down, limit in memory rather than fail every call.
        in_memory_fallback_enabled=settings.rate_limit_storage_uri != "memory://",
    )
    view = app.view_functions[LIMITED_VIEW]
    view = limiter.limit(settings.rate_limit_per_ip, methods=["POST"], scope="ip")(view)
    view = limiter.limit(settings.rate_limit_per_demo, key_func=_demo_key, methods=["POST"], scope="demo")(
        view
    )
    app.view_functions[LIMITED_VIEW] = view
    if SIGN_IN_VIEW in app.view_functions:
        app.view_functions[SIGN_IN_VIEW] = limiter.limit(
            SIGN_IN_LIMIT, methods=["POST"], scope="sign-in", on_breach=_sign_in_breached
        )(app.view_functions[SIGN_IN_VIEW])
    return limiter
