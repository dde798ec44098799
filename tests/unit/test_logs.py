"""No log line carries a secret, whoever logs it; the app's lines are printed once."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from webcall import ROOT, logs

pytestmark = pytest.mark.unit

KEY = "itellico-key-for-the-log-tests-4f9a"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCIsInZpZGVvIjp7fX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.fixture
def captured():
    """A handler on a logger that is not ours, as a library's would be; returns what it printed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.LOG_FORMAT))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logs.add_secrets([KEY])
    yield logger, stream
    logger.removeHandler(handler)


def test_redact_replaces_secrets_tokens_and_share_links():
    logs.add_secrets([KEY, "short"])
    text = logs.redact(f"key {KEY} token {JWT} GET /demo/acme?link=abc.DEF-123_x&x=1 HTTP/1.1 short")
    assert KEY not in text and JWT not in text and "abc.DEF-123_x" not in text
    assert "link=[redacted]&x=1" in text
    assert "short" in text  # too short to be one of our secrets; redacting it would eat words


@pytest.mark.parametrize(
    "path",
    [
        # A redirector encoded the `#` (the app redirects it to the fragment form: webcall/demo_page.py):
        # the token is in the path of the access line, after `%23`, not after a word boundary.
        "/demo/acme%23link=abc.DEF-123_x",
        "/embed/acme%23link%3Dabc.DEF-123_x",  # the `=` encoded too: Flask decodes both
        "/demo/acme%23link%3dabc.DEF-123_x?mode=text",
        "/demo/acme?mode=text&link=abc.DEF-123_x",
    ],
)
def test_share_link_tokens_in_encoded_paths_are_redacted(path):
    text = logs.redact(f'127.0.0.1 - - "GET {path} HTTP/1.1" 303 -')
    assert "abc.DEF-123_x" not in text, text
    assert "/acme" in text and logs.REDACTED in text


def test_a_library_logging_the_key_in_args_and_exceptions_prints_no_key(captured):
    logger, stream = captured
    logger.info("upstream said %s", {"errors": [{"field": "agent_id", "message": f"bad key {KEY}"}]})
    try:
        raise ValueError(f"rejected {KEY} with token {JWT}")
    except ValueError:
        logger.exception("request failed")
    logger.warning("GET /embed/acme?link=%s 200", "signed.link-token")
    out = stream.getvalue()
    assert KEY not in out and JWT not in out and "signed.link-token" not in out
    assert out.count(logs.REDACTED) >= 4
    assert "ValueError: rejected [redacted]" in out  # the traceback is kept, redacted


def test_app_lines_print_once_when_the_root_logger_already_prints(monkeypatch):
    """`make run` configures the root logger; the app must not add a second handler for its lines."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    webcall_logger = logging.getLogger("webcall")
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(webcall_logger, "handlers", [])
    logs.configure()
    logging.getLogger("webcall.calls").warning("call.create outcome=created")
    assert stream.getvalue().count("call.create outcome=created") == 1
    assert webcall_logger.handlers == []


def test_app_lines_get_a_handler_when_nothing_prints_them(monkeypatch):
    """Under gunicorn nothing configures the root logger: the app brings its own handler."""
    webcall_logger = logging.getLogger("webcall")
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(webcall_logger, "handlers", [])
    logs.configure()
    assert len(webcall_logger.handlers) == 1


def test_a_failure_repeated_every_poll_is_logged_once_a_minute_with_a_count():
    # With its Redis queue gone, the task worker logged Huey's "Error reading from queue" traceback
    # about four times a second (40 in 10 s), drowning every other line.
    from webcall.logs import OncePerInterval

    clock = {"now": 0.0}
    logger = logging.getLogger("test.repeats")
    logger.propagate = False
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    logger.addHandler(Keep())
    logger.addFilter(OncePerInterval(60, clock=lambda: clock["now"]))
    for _ in range(40):
        logger.error("Error reading from queue")
        clock["now"] += 0.25
    logger.error("something else")
    assert [r.getMessage() for r in kept] == ["Error reading from queue", "something else"]
    clock["now"] = 61.0
    logger.error("Error reading from queue")
    assert kept[-1].getMessage() == "Error reading from queue (39 more like it in the last 61 s)"


_LOG_ONE_LINE = """
import logging, time
from webcall import logs
logs.configure()
print(time.time(), flush=True)
logging.getLogger("webcall.tz").warning("one line")
"""


def test_text_lines_carry_utc_times_whatever_the_machine_zone():
    # An operator's audit: with TZ=Asia/Kolkata text lines read 21:45:31 while UTC was 16:15, next to
    # Huey's lines in UTC and JSON lines in UTC. A time without its zone cannot be put next to others.
    env = {**os.environ, "TZ": "Asia/Kolkata"}
    result = subprocess.run(
        [sys.executable, "-c", _LOG_ONE_LINE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    logged_at = float(result.stdout.strip())
    (line,) = [line for line in result.stderr.splitlines() if line.endswith("WARNING webcall.tz one line")]
    stamp = line.split(" ", 1)[0]
    assert stamp.endswith("Z"), line
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(when.timestamp() - logged_at) < 5, (line, datetime.fromtimestamp(logged_at, UTC))


@pytest.mark.parametrize("environment", ["production", "development"])
def test_a_secret_too_short_to_redact_is_named_at_start_in_production(settings, caplog, environment):
    """Log lines hide secrets of 8 characters or more (shorter ones would hide ordinary words too); an
    SMTP password or API key has no minimum length of its own, so a short one would show in a line."""
    from dataclasses import replace

    from webcall import create_app

    short = replace(
        settings,
        environment=environment,
        public_url="https://demo.example.com",
        smtp_host="mail.example.com",
        smtp_from="demos@example.com",
        smtp_user="demos",
        smtp_password="hunter2",
    )
    with caplog.at_level(logging.WARNING):
        create_app({"settings": short})
    named = [r.getMessage() for r in caplog.records if "WEBCALL_SMTP_PASSWORD" in r.getMessage()]
    if environment == "production":
        assert len(named) == 1 and named[0].startswith("OPERATOR:") and "hunter2" not in named[0], named
        assert f"shorter than {logs.MIN_SECRET_LENGTH} characters" in named[0]
    else:
        assert named == []  # `make run`, tests: no such password reaches a real mail server
    assert not any("ITELLICOAI_API_KEY" in r.getMessage() for r in caplog.records)  # the sandbox's is long


@pytest.fixture
def printed():
    """A webcall logger printing through the formatter WEBCALL_LOG_FORMAT chose; returns a function
    that logs one record with it and gives back what was printed."""
    logger = logging.getLogger("webcall.test_forging")
    logger.propagate = False

    def log(log_format: str, *args: object, exc_info: bool = False) -> str:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logs.formatter(log_format))
        logger.handlers = [handler]
        logger.warning(*args, exc_info=exc_info)
        return stream.getvalue()

    yield log
    logger.handlers = []
    logger.propagate = True


FORGED = "2026-12-07T02:00:00.000Z WARNING webcall.sales sales.login refused code=account_locked"


@pytest.mark.parametrize(
    ("control", "shown"),
    [
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\r\n", "\\r\\n"),
        ("\x1b[2K", "\\x1b[2K"),
        ("\x00", "\\x00"),
        ("\x85", "\\x85"),
        ("\u2028", "\\u2028"),
    ],
)
def test_a_text_line_cannot_be_forged_through_a_logged_value(printed, control, shown):
    # An audit: a request path with `%0A` is decoded by Flask, and `answered 503 on %s` printed a second,
    # fully formed line of the attacker's making (webcall/studio_unavailable.py, webcall/__init__.py).
    out = printed("text", "answered 503 on %s", f"/demos/calls/x{control}{FORGED}")
    assert out.count("\n") == 1 and out.endswith("\n")  # one line, the handler's own terminator
    assert len(out[:-1].splitlines()) == 1
    assert f"/demos/calls/x{shown}{FORGED}" in out  # still readable: escaped, not dropped


def test_a_text_lines_traceback_keeps_its_lines(printed):
    try:
        raise ValueError("first\nsecond")
    except ValueError:
        out = printed("text", "task failed on %s", "a\nb", exc_info=True)
    first, *rest = out.splitlines()
    assert first.endswith("task failed on a\\nb") and rest[0] == "Traceback (most recent call last):"
    assert "ValueError: first" in rest and "second" in rest  # Python's own lines, not forged ones


def test_a_json_line_escapes_controls_itself(printed):
    import json

    out = printed("json", "answered 503 on %s", f"/x\r\n{FORGED}\x1b")
    (line,) = out.splitlines()
    assert json.loads(line)["message"] == f"answered 503 on /x\r\n{FORGED}\x1b"  # intact, one line
