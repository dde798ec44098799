"""Health endpoints for load balancers.

`/healthz`: the process is up and serving. `/readyz`: it can do its job right now: settings were
valid (or it would not have started), the itellico API answers within a short timeout, and the call
log's database answers. Each check reports a word, never an error text.

It also reports the task queue (`task_queue`: a PING to its Redis, or a read of the embedded SQLite
queue's file) and, when rate limits are shared through Redis, that Redis (`rate_limits`). Neither fails
readiness: with them down, calls still work. A dead queue delays itellico's webhooks and rep
notifications (both are stored first, and the worker's sweep queues them once the queue is back:
webcall/tasks.py); a dead rate-limit Redis makes each instance limit in memory (webcall/ratelimit.py).
Every instance shares the same Redis, so a 503 for it would let a load balancer that checks `/readyz`
take all of them out at once when Redis blinks, stopping calls to report a problem that does not stop
them. Such an answer is `200` with status `degraded` and the check's word, for the operator's alert.

When the app keeps files on this host (an SQLite database, the SQLite queue), `disk` says whether
their folders have LOW_DISK_BYTES free. The probes above only read, so a full disk, which fails every
write (call-log writes, stored webhooks: `store_failed`), left `/readyz` saying ready. A full disk does
not fail readiness either: a visitor's create writes the call log only after itellico answered and
carries on when the write fails, and these files are on one host, so there is no other instance a
balancer could send visitors to (docs/operations.md, readiness).

The words are the operator's: `/readyz` shows them to the operator's monitor (/metrics' bearer token,
an address in WEBCALL_METRICS_ALLOW) and to a client on this host, and the status alone to anyone else,
which is all a load balancer reads. Public, they told strangers when the service was degraded and why
(`agent: unknown`, `disk: low`; an audit).

The upstream and queue answers are kept for a few seconds per process: a load balancer (or anyone)
asking `/readyz` in a loop must not spend the account's itellico rate limit or open a Redis
connection per request. A Redis probe has a short timeout to connect and to read (one timeout for a
Redis that takes the connection and never answers), so the answer never hangs. A `task_queue` or
`rate_limits` check that changes its word logs one line with the error's type (never its message,
never the URL).
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import redis_ping
from .backlog import worker_word
from .itellico_errors import UpstreamError, UpstreamErrorKind
from .metrics import monitor_request
from .services import services
from .tasks import task_queue

bp = Blueprint("health", __name__)
log = logging.getLogger("webcall.health")

UPSTREAM_CHECK_TIMEOUT_SECONDS = 2.0
UPSTREAM_CHECK_CACHE_SECONDS = 5.0
# A Redis on the same network answers a PING in about a millisecond (the SQLite queue's read uses it too).
REDIS_CHECK_TIMEOUT_SECONDS = 1.0
REDIS_CHECK_CACHE_SECONDS = 5.0
# Free space below which `disk` says "low": a fixed amount, not a share of the disk, because what a
# write needs is an amount (SQLite's WAL grows by up to about 4 MiB between checkpoints), while 1 % is
# 20 GB of a 2 TB disk and 10 MiB of a 1 GB volume (docs/operations.md, readiness).
LOW_DISK_BYTES = 100 * 1024 * 1024
DISK_CHECK_CACHE_SECONDS = 5.0
# Reported, but not failing readiness (the module's docstring says why).
SOFT_CHECKS = frozenset({"agent", "worker", "task_queue", "rate_limits", "disk"})
_PROBES = "webcall.readiness_probes"

# A probe's word ("ok" or the failure) and, for the log, the error's type ("" when ok).
Outcome = tuple[str, str]
# What a probe answers: a word, or the upstream probe's two (_Upstream).
Answer = TypeVar("Answer")


class _Upstream(NamedTuple):
    """The upstream probe's answer: the API's word and, when the API answered, the agent's."""

    api: str
    agent: str | None = None  # None: not known, the API did not answer

    def soft_words(self) -> dict[str, str]:
        return {} if self.agent is None else {"agent": self.agent}


@dataclass
class _CachedProbe(Generic[Answer]):
    """The last answer of one check of this app in this process; one probe at a time."""

    name: str
    probe: Callable[[], tuple[Answer, str]]
    cache_seconds: float
    log_changes: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    result: Answer | None = None
    checked_at: float = float("-inf")

    def result_now(self) -> Answer:
        with self.lock:  # concurrent askers wait for the one probe instead of sending their own
            result = self.result
            if result is None or time.monotonic() - self.checked_at >= self.cache_seconds:
                result, why = self.probe()
                if self.log_changes and result != self.result:
                    if result != "ok":
                        log.warning("readiness: %s %s (%s)", self.name, result, why)
                    elif self.result is not None:
                        log.info("readiness: %s ok again", self.name)
                self.result = result
                self.checked_at = time.monotonic()
            return result


class _UpstreamProbe:
    """The itellico API, asked for the agent of the `/` page (ITELLICOAI_AGENT_ID): one authenticated
    request says both whether the API answers and whether it knows that agent. A mistyped or deleted
    agent answered ready while every call of that page failed `misconfigured`, and the OPERATOR line
    came only with the first visitor's call. It stays a soft check (`agent: unknown`): demo pages name
    agents of their own and still work, so taking every instance out of a balancer would stop them.
    Both words are its answer; what it keeps is only the agent's last word, to log its changes once."""

    def __init__(self) -> None:
        self._agent_before = "ok"

    def __call__(self) -> tuple[_Upstream, str]:
        svc = services()
        try:
            svc.itellico.check(timeout=UPSTREAM_CHECK_TIMEOUT_SECONDS, agent_id=svc.settings.agent_id)
        except UpstreamError as error:
            if error.kind is not UpstreamErrorKind.NOT_FOUND:
                return _Upstream(error.kind.value), error.kind.value
            agent = "unknown"
        else:
            agent = "ok"
        if agent != self._agent_before:
            if agent == "unknown":
                log.error("OPERATOR: itellico does not know ITELLICOAI_AGENT_ID: calls of the / page fail")
            else:
                log.info("readiness: agent ok again")
        self._agent_before = agent
        return _Upstream("ok", agent), ""


def _probe_worker() -> Outcome:
    try:
        return worker_word(services().calllog.engine)
    except SQLAlchemyError as error:  # the `database` check says so too
        return "unavailable", type(error).__name__


def _redis_outcome(error: Exception | None) -> Outcome:
    return ("ok", "") if error is None else ("unavailable", type(error).__name__)


def _queue_probe(app: Flask) -> Callable[[], Outcome]:
    url = services().settings.task_queue_url
    if url.startswith(("redis://", "rediss://")):
        return lambda: _redis_outcome(redis_ping.ping_failure(url, REDIS_CHECK_TIMEOUT_SECONDS))
    if not url.startswith("sqlite:///"):
        return lambda: ("ok", "")  # memory:// (tests): the queue is in this process
    # A fresh connection each time: the queue's own ones stay open and read their cached pages, so they
    # notice neither a removed file nor one that another program ruined.
    file_uri = Path(task_queue(app).huey.storage.filename).absolute().as_uri() + "?mode=rw"

    def probe() -> Outcome:
        try:
            with closing(sqlite3.connect(file_uri, uri=True, timeout=REDIS_CHECK_TIMEOUT_SECONDS)) as db:
                db.execute("SELECT 1 FROM task LIMIT 1").fetchall()
        except sqlite3.Error as error:
            return "unavailable", type(error).__name__
        return "ok", ""

    return probe


def _written_folders(app: Flask) -> tuple[Path, ...]:
    """The folders of this host where the app writes its files: the SQLite database's (the path
    webcall/db.py resolved) and the SQLite queue's (webcall/tasks.py's). PostgreSQL and Redis keep their
    data on their own hosts."""
    folders: list[Path] = []
    database = services().calllog.engine.url
    if database.get_backend_name() == "sqlite" and database.database not in (None, "", ":memory:"):
        folders.append(Path(database.database).parent)
    if services().settings.task_queue_url.startswith("sqlite:///"):
        folders.append(Path(task_queue(app).huey.storage.filename).absolute().parent)
    return tuple(dict.fromkeys(folders))


def _disk_probe(folders: tuple[Path, ...]) -> Callable[[], Outcome]:
    def probe() -> Outcome:
        for folder in folders:
            try:
                # What the app's (unprivileged) user may still write: without a file system's root reserve.
                free = shutil.disk_usage(folder).free
            except OSError as error:
                return "unavailable", type(error).__name__
            if free < LOW_DISK_BYTES:
                return "low", f"{free // (1024 * 1024)} MiB free in {folder}"
        return "ok", ""

    return probe


@dataclass(frozen=True)
class _Probes:
    """The app's checks: itellico's and the database's (failing readiness), and the soft ones
    (SOFT_CHECKS). The database is asked at every ask (cached 0 s) but, as the others, logs only its
    changes: anyone may ask, and a line per ask let a stranger's loop fill the log during an outage."""

    upstream: _CachedProbe[_Upstream]
    soft: dict[str, _CachedProbe[str]]
    database: _CachedProbe[str]


def _probes(app: Flask) -> _Probes:
    """The app's cached checks, made once: which ones depends on its settings."""
    probes = {
        "worker": _CachedProbe("worker", _probe_worker, REDIS_CHECK_CACHE_SECONDS, True),
        "task_queue": _CachedProbe("task_queue", _queue_probe(app), REDIS_CHECK_CACHE_SECONDS, True),
    }
    limits_uri = services().settings.rate_limit_storage_uri
    if limits_uri != "memory://":
        probes["rate_limits"] = _CachedProbe(
            "rate_limits",
            lambda: _redis_outcome(redis_ping.storage_failure(limits_uri, REDIS_CHECK_TIMEOUT_SECONDS)),
            REDIS_CHECK_CACHE_SECONDS,
            True,
        )
    folders = _written_folders(app)
    if folders:
        probes["disk"] = _CachedProbe("disk", _disk_probe(folders), DISK_CHECK_CACHE_SECONDS, True)
    return _Probes(
        _CachedProbe("upstream", _UpstreamProbe(), UPSTREAM_CHECK_CACHE_SECONDS),
        probes,
        _CachedProbe("database", _database_probe, 0.0, True),
    )


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    probes: _Probes = current_app.extensions.get(_PROBES) or current_app.extensions.setdefault(
        _PROBES, _probes(current_app)
    )
    upstream = probes.upstream.result_now()
    checks = {"settings": "ok", "upstream": upstream.api, "database": probes.database.result_now()}
    checks |= upstream.soft_words()
    checks |= {name: probe.result_now() for name, probe in probes.soft.items()}
    if any(value != "ok" for name, value in checks.items() if name not in SOFT_CHECKS):
        status, code = "not_ready", 503
    else:
        status, code = ("ready" if all(value == "ok" for value in checks.values()) else "degraded"), 200
    shown = _on_this_host() or monitor_request()
    return jsonify({"status": status, "checks": checks} if shown else {"status": status}), code


def _database_probe() -> Outcome:
    try:
        with services().calllog.engine.connect() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return "unavailable", type(error).__name__
    return "ok", ""


def _on_this_host() -> bool:
    """A client on this host (the operator's shell, a local agent). Behind a proxy whose hops are not
    trusted every request looks local: the app says so at start (webcall/security.py)."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
