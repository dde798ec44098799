"""Logging: one handler for the app's lines, and no secret in any line, whatever logs it.

Secrets reach log lines in ways no call site can foresee: itellico may echo our key in a field
error, a library may put a URL with a share link in an exception, an access log prints query
strings. So redaction does not rely on call sites. A log-record factory (the standard library's
hook that builds every `LogRecord`, for every logger: ours, werkzeug's, gunicorn's access and
error logs, httpx, livekit) renders each message and traceback as it is made and replaces:

- each configured secret (the itellico API key, the secret key, the sales password),
- anything shaped like a JWT (LiveKit join tokens),
- the value of a `link=` parameter (signed share links) in URLs and query strings.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
# LiveKit tokens are JWTs: three base64url parts, the first an encoded JSON header ("eyJ…").
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
SHARE_LINK = re.compile(r"(\blink=)[^&\s\"'#]+")
# Shorter strings would redact ordinary words; every secret the app holds is longer (settings.py).
MIN_SECRET_LENGTH = 8
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

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


def configure(level: int = logging.INFO) -> None:
    """Give the app's loggers a handler unless one up the hierarchy already prints them.

    `make run` configures the root logger (for the sandbox's lines too); gunicorn configures only
    its own loggers; pytest captures at the root. Adding a handler of our own where one already
    prints would print every line twice.
    """
    logger = logging.getLogger("webcall")
    if not _has_handler(logger):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)
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
