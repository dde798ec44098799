"""Logging: one handler for the app's lines, and no secret in any line, whatever logs it.

Secrets reach log lines in ways no call site can foresee: itellico may echo our key in a field
error, a library may put a URL with a share link in an exception, an access log prints query
strings. So redaction does not rely on call sites. A log-record factory (the standard library's
hook that builds every `LogRecord`, for every logger: ours, werkzeug's, gunicorn's access and
error logs, httpx, livekit) renders each message and traceback as it is made and replaces:

- each configured secret (the itellico API key, the secret key, the sales password),
- anything shaped like a JWT (LiveKit join tokens),
- the value of a `link=` parameter (signed share links) in URLs and query strings.

The same factory stamps each record with the id of the request being served (`request_id`, set by
webcall/request_id.py), so every line of one request can be found. Lines are text by default, or one
JSON object per line with `WEBCALL_LOG_FORMAT=json` (`JsonFormatter`; gunicorn.conf.py gives
gunicorn's own loggers the same one). Both formats print what the factory already redacted.

A text line is one line whatever it carries: its message's control characters are escaped (`\\n` for a
line break), since a logged value may be the visitor's (a decoded request path with `%0A` printed a
second, forged line). The JSON format needs nothing: json.dumps escapes them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"
# LiveKit tokens are JWTs: three base64url parts, the first an encoded JSON header ("eyJ…").
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
# `link=` after any non-letter, its `=` maybe percent-encoded: a redirector that encoded the `#` sends
# `/demo/<slug>%23link=…` (or `%23link%3D…`), which the app redirects (webcall/demo_page.py), and `\b`
# finds no word boundary between `3` and `l`.
SHARE_LINK = re.compile(r"((?<![A-Za-z_])link(?:=|%3[dD]))[^&\s\"'#]+")
# Shorter strings would redact ordinary words. Most secrets have a longer minimum (settings.py); an
# SMTP password or API key does not, and a short one is named at start (webcall/__init__.py).
MIN_SECRET_LENGTH = 8
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The id of the request this thread is serving; webcall/request_id.py sets and clears it.
current_request_id: ContextVar[str | None] = ContextVar("webcall_request_id", default=None)
# What ends or rewrites a line on a terminal or in a line reader (str.splitlines): C0 controls, DEL, C1
# controls (NEL, CSI) and the Unicode line and paragraph separators.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# gunicorn's access log runs after the app's request is over; its atoms carry the response headers.
_ACCESS_REQUEST_ID_ATOM = "{x-request-id}o"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_installed = False


def redact(text: str) -> str:
    """`text` with every known secret, JWT and share-link token replaced."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = JWT.sub(REDACTED, text)
    return SHARE_LINK.sub(rf"\g<1>{REDACTED}", text)


def add_secrets(values: Iterable[str | None]) -> None:
    """Redact these from every log line of this process from now on (several apps may add theirs)."""
    global _pattern
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
    install()


def too_short(secrets: Mapping[str, Iterable[str | None]]) -> list[str]:
    """The names whose set values are too short for `add_secrets` to hide: their lines show them."""
    return [name for name, values in secrets.items() if any(v and len(v) < MIN_SECRET_LENGTH for v in values)]


def install() -> None:
    """Wrap the process's log-record factory once; every record is redacted as it is made."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


_formatter = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    record.request_id = current_request_id.get() or _access_log_request_id(record)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: let logging report it as it always does
        return
    record.msg, record.args = redact(message), None
    # Handlers format tracebacks later and cache them in exc_text; fill the cache now, redacted.
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _access_log_request_id(record: logging.LogRecord) -> str | None:
    args = record.args
    if record.name == "gunicorn.access" and isinstance(args, Mapping):
        value = args.get(_ACCESS_REQUEST_ID_ATOM)
        return value if isinstance(value, str) and value not in ("", "-") else None
    return None


class TextFormatter(logging.Formatter):
    """LOG_FORMAT, with ` request_id=…` after the message of a line logged while serving a request.

    Times are UTC, ISO 8601 with a `Z` (`2026-05-04T09:12:03.418Z`), as in the JSON lines. The standard
    library's local time carries no offset: with TZ=Asia/Kolkata a line read 21:45 at 16:15 UTC, next to
    lines of other processes and the JSON ones in UTC (an operator's audit)."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The line before any traceback (logging.Formatter.format appends that after this, unescaped).
        text = escape_controls(super().formatMessage(record))
        request_id = getattr(record, "request_id", None)
        return f"{text} request_id={request_id}" if request_id else text


def escape_controls(text: str) -> str:
    """`text` on one line: each control character as its escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return CONTROLS.sub(lambda m: repr(m[0])[1:-1], text)  # repr's own escapes: \n, \r, \t, \x…


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, pid, exception.

    The message and traceback were redacted when the record was made; they are redacted again here
    because a JSON line is what log shippers index, and a secret there is the costliest leak."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class OncePerInterval(logging.Filter):
    """On a logger: the first record of each message passes, then at most one per `seconds`, saying how
    many like it were held back. With its Redis queue gone, Huey's worker logged a traceback per poll
    (40 in 10 s), drowning every other line."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = self._clock()
        with self._lock:
            last, held = self._seen.get(key, (None, 0))
            if last is not None and now - last < self._seconds:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
        if held and last is not None and isinstance(record.msg, str):
            record.msg = f"{record.msg} ({held} more like it in the last {round(now - last)} s)"
        return True


def formatter(log_format: str = "text") -> logging.Formatter:
    """The formatter of WEBCALL_LOG_FORMAT ("text" or "json")."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(level: str = "info", log_format: str = "text") -> None:
    """Give the app's loggers a handler unless one up the hierarchy already prints them, and their level
    (WEBCALL_LOG_LEVEL's name, checked in webcall/setting_checks.py: gunicorn's lines follow it too).

    `make run` configures the root logger (for the sandbox's lines too); gunicorn configures only
    its own loggers (and, for JSON, the root: gunicorn.conf.py); pytest captures at the root. Adding
    a handler of our own where one already prints would print every line twice.
    """
    logger = logging.getLogger("webcall")
    if not _has_handler(logger):
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(log_format))
        logger.addHandler(handler)
    if log_format == "json":
        # A Python warning would otherwise be a plain-text line in a stream of JSON.
        logging.captureWarnings(True)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.getLevelNamesMapping()[level.upper()])
    # httpx logs each request URL at INFO; keep it quiet (URLs are harmless, but noise is not).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _has_handler(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None:
        if current.handlers:
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False
