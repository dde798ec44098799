"""Prometheus metrics: the metric objects, their bounded labels, and `GET /metrics`.

Every label value comes from a fixed set, never from a request: demos are the configured demo slugs
(anything else is "unknown"), outcomes are "created" or an `ErrorCode`, upstream operations are the
client's method names, rate-limit scopes are those the app attaches (RATE_LIMIT_SCOPES). No call id,
IP or text.

With PROMETHEUS_MULTIPROC_DIR set before prometheus_client is imported, each process writes its
samples to files there and a scrape, whichever process answers it, adds them all up
(prometheus_client's multiprocess mode). gunicorn.conf.py makes one when none is set, for gunicorn's
workers. The task worker (webcall/worker.py) counts too (notifications, the GET-call fallback's
upstream requests and call-log writes), so `make run` and `make serve` make one directory for the app
and the worker before starting either, and under systemd both units name the same one
(docs/operations.md): the operator's existing scrape of /metrics then shows the worker's counters,
with no second endpoint to protect and scrape. A process without the variable (tests) uses the
default registry.

`/metrics` is served only with the bearer token (WEBCALL_METRICS_TOKEN) or to a client address in
WEBCALL_METRICS_ALLOW; with neither configured it is 404 for everyone. The address is the one
ProxyFix trusted (webcall/security.py), so behind a proxy it is the visitor's, not the proxy's.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException

from .errors import ApiError, ErrorCode
from .itellico_errors import UpstreamErrorKind
from .notification_store import CHANNELS
from .release import git_commit, package_version
from .services import services
from .settings import SettingsError

bp = Blueprint("metrics", __name__)

# Decided once, when prometheus_client chose how to store values (at its import).
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
MULTIPROCESS = MULTIPROCESS_DIR is not None
# Multiprocess mode has no `_created` series; one process serves the same shape without them.
disable_created_metrics()
UNKNOWN = "unknown"
# Seconds: a create is ~0.1-1 s when itellico is well; the timeout is 15 s.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0)
RATE_LIMIT_SCOPES = (
    "create-ip",
    "create-demo",
    "create-link",
    "create-open",
    "summary",
    "summary-ip",
    "link-check",
    "sign-in",
)
UPSTREAM_OPERATIONS = ("current_account", "create_call", "get_call", "list_calls", "list_agents")

CREATES = Counter(
    "webcall_call_creates",
    "POST /api/calls answered, by demo and outcome (created, or the error code the browser got)",
    ["demo", "outcome"],
)
CREATE_SECONDS = Histogram(
    "webcall_call_create_duration_seconds",
    "Time to answer POST /api/calls, itellico included, by result (created or failed)",
    ["result"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_SECONDS = Histogram(
    "webcall_upstream_request_duration_seconds",
    "Time of each HTTP request to the itellico API, by operation and outcome (ok or the failure kind)",
    ["operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_RETRIES = Counter(
    "webcall_upstream_retries",
    "itellico requests retried (429, 503 or connection refused), by operation and reason",
    ["operation", "reason"],
)
RATE_LIMITED = Counter(
    "webcall_rate_limited_requests",
    "Requests refused by our own rate limits (429), by limit scope",
    ["scope"],
)
CALLLOG_WRITE_FAILURES = Counter(
    "webcall_calllog_write_failures",
    "Call-log writes that failed (the visitor's call went on), by operation",
    ["operation"],
)
WEBHOOK_EVENTS = Counter(
    "webcall_webhook_events",
    "itellico webhook requests, by outcome (accepted, duplicate, ignored or why refused)",
    ["outcome"],
)
WEBHOOK_OUTCOMES = (
    "accepted",
    "duplicate",
    "ignored",
    "bad_signature",
    "stale",
    "malformed",
    "too_large",
    "unqueued",
    "store_failed",
)
NOTIFICATIONS = Counter(
    "webcall_notifications",
    "Rep notification attempts (webcall/notify.py), by channel and outcome (sent, retry, failed: the last)",
    ["channel", "outcome"],
)
NOTIFICATION_OUTCOMES = ("sent", "retry", "failed")
# "max": one series whatever the number of workers (the master sets it; workers report 0).
BUILD_INFO = Gauge(
    "webcall_build_info",
    "Always 1; the labels say which version and commit is running",
    ["version", "commit"],
    multiprocess_mode="max",
)
CALLLOG_OPERATIONS = ("record", "complete", "refresh", "add_link", "link_refusal")
_OUTCOMES = frozenset({"created", *(code.value for code in ErrorCode)})
_UPSTREAM_OUTCOMES = frozenset({"ok", *(kind.value for kind in UpstreamErrorKind)})

View = TypeVar("View", bound=Callable[..., Any])


# -- recording ----------------------------------------------------------------------------------


def note_demo(slug: str) -> None:
    """The create names this configured demo (only a resolved profile's slug ever becomes a label)."""
    g.metrics_demo = slug


def count_create(view: View) -> View:
    """Count and time the create view: its outcome is "created" or the code of the ApiError it raised."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        outcome = ErrorCode.INTERNAL_ERROR.value
        try:
            answer = view(*args, **kwargs)
            outcome = "created"
            return answer
        except ApiError as error:
            outcome = error.code.value
            raise
        except HTTPException:
            outcome = ErrorCode.INVALID_REQUEST.value
            raise
        finally:
            record_create(g.get("metrics_demo", UNKNOWN), outcome, time.monotonic() - started)

    return cast(View, wrapper)


def record_create(demo: str, outcome: str, seconds: float) -> None:
    outcome = outcome if outcome in _OUTCOMES else ErrorCode.INTERNAL_ERROR.value
    CREATES.labels(demo=demo, outcome=outcome).inc()
    CREATE_SECONDS.labels(result="created" if outcome == "created" else "failed").observe(seconds)


def rate_limited(scope: str) -> None:
    RATE_LIMITED.labels(scope=scope if scope in RATE_LIMIT_SCOPES else "other").inc()


def calllog_write_failed(operation: str) -> None:
    CALLLOG_WRITE_FAILURES.labels(operation=operation if operation in CALLLOG_OPERATIONS else "other").inc()


def webhook_event(outcome: str) -> None:
    WEBHOOK_EVENTS.labels(outcome=outcome if outcome in WEBHOOK_OUTCOMES else "other").inc()


def notification(channel: str, outcome: str) -> None:
    NOTIFICATIONS.labels(
        channel=channel if channel in CHANNELS else "other",
        outcome=outcome if outcome in NOTIFICATION_OUTCOMES else "other",
    ).inc()


class UpstreamMetrics:
    """The itellico client's observer (webcall/itellico_transport.py `UpstreamObserver`)."""

    def attempt(self, operation: str, outcome: str, seconds: float) -> None:
        outcome = outcome if outcome in _UPSTREAM_OUTCOMES else "other"
        UPSTREAM_SECONDS.labels(operation=_operation(operation), outcome=outcome).observe(seconds)

    def retry(self, operation: str, reason: str) -> None:
        reason = reason if reason in _UPSTREAM_OUTCOMES else "other"
        UPSTREAM_RETRIES.labels(operation=_operation(operation), reason=reason).inc()


def _operation(operation: str) -> str:
    return operation if operation in UPSTREAM_OPERATIONS else "other"


def process_exited(pid: int) -> None:
    """A process that wrote into the multiprocess directory is gone: its live gauges stop counting,
    its counters and histograms stay in the sums (gunicorn.conf.py's `child_exit` for gunicorn's
    workers; the task worker on its way out, and its launcher once it is reaped)."""
    if MULTIPROCESS:
        prometheus_multiprocess.mark_process_dead(pid)


def check_multiprocess_dir() -> None:
    """prometheus_client writes each process's samples into PROMETHEUS_MULTIPROC_DIR: a folder it
    cannot use would fail the first metric write (at start, then in requests) with a traceback."""
    if MULTIPROCESS_DIR is None:
        return
    folder = Path(MULTIPROCESS_DIR)
    if not folder.is_dir():
        raise SettingsError("PROMETHEUS_MULTIPROC_DIR", f"{MULTIPROCESS_DIR!r} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError("PROMETHEUS_MULTIPROC_DIR", f"{MULTIPROCESS_DIR!r} cannot be written")


def set_build_info(root: Path) -> None:
    BUILD_INFO.labels(version=package_version(), commit=git_commit(root)).set(1)


# -- serving ------------------------------------------------------------------------------------


@bp.get("/metrics")
def scrape() -> Response | tuple[Response, int]:
    settings = services().settings
    if not settings.metrics_token and not settings.metrics_allow:
        return _refused(ErrorCode.NOT_FOUND, "Metrics are off on this server.")
    if not (_token_ok(settings.metrics_token) or _address_ok(settings.metrics_allow)):
        return _refused(ErrorCode.FORBIDDEN, "Metrics need the bearer token or an allowed address.")
    response = Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)
    return registry


def monitor_request() -> bool:
    """The request comes from the operator's monitor: /metrics' bearer token or an allowed address."""
    settings = services().settings
    return _token_ok(settings.metrics_token) or _address_ok(settings.metrics_allow)


def _token_ok(token: str | None) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":  # schemes are case-insensitive (RFC 9110, 11.1)
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _address_ok(allowed: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network) for network in allowed)


def _refused(code: ErrorCode, message: str) -> tuple[Response, int]:
    error = ApiError(code, message)
    response = jsonify(error.body())
    response.headers["Cache-Control"] = "no-store"
    return response, error.status
