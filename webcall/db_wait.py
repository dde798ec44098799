"""At start, wait a bounded time for a database server that is not up yet.

A host that boots the app and PostgreSQL together, or a database restarted during a deploy, refused
the start's first connection: gunicorn and the task worker exited within a second, worded as a bad
setting, and systemd's restarts used up its start limit before the database came up. Now a start
whose connection the server never answered (refused, timed out, no such host or socket yet) or that
the server turned away for the moment (starting up, shutting down, too many clients) tries again for
up to WAIT_SECONDS, saying so every LOG_EVERY_SECONDS; then it stops with one line calling the
database unreachable. A server that answered with a refusal that will not change by waiting (a wrong
password, an unknown database or role, no pg_hba.conf entry) stops the start at once, with one line.
SQLite is a file: there is nothing to wait for.

While the app runs, UNAVAILABLE names the errors of a database that cannot be reached or answer now, which
the studio's 503 page (webcall/studio_unavailable.py), the public paths that read the database and the
task worker's tasks (webcall/tasks.py `unless_database_down`) answer without a traceback.

Lines name the database as host:port/name, never the URL (it may carry the password).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import URL, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .settings import SettingsError

log = logging.getLogger(__name__)

# How long a start waits for the database server before it gives up (then systemd's Restart= tries
# again, RestartSec later: docs/deployment.md). One attempt may take CONNECT_TIMEOUT_SECONDS more
# (webcall/db.py) against a server that takes the connection and says nothing.
WAIT_SECONDS = 60.0
PAUSE_SECONDS = 1.0
LOG_EVERY_SECONDS = 10.0

# The database cannot be reached or cannot answer now (a server stopped, starting or out of connection
# slots, an SQLite file that cannot be opened or stays locked, no pooled connection free in time).
# Other database errors are bugs: a 500 with their traceback.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)

# A server's answer that waiting may change (PostgreSQL's "the database system is starting up",
# "… is shutting down", "… is in recovery mode"; connection slots used up).
_WAIT_ANSWERS = ("the database system is", "too many clients", "remaining connection slots")
# A server's answer that waiting will not change. libpq prefixes the server's refusals with FATAL
# ("password authentication failed", "database … does not exist", "no pg_hba.conf entry"); the
# rest are other drivers' words for the same.
_FINAL_ANSWERS = ("fatal:", "access denied", "authentication", "does not exist", "unknown database")


class DatabaseUnreachable(SettingsError):
    """The database server did not answer within WAIT_SECONDS; `str()` is one line."""

    def __init__(self, where: str, waited: float, reason: str) -> None:
        problem = (
            f"the database at {where} is unreachable (tried for {waited:.0f} s): {reason}; "
            "start it, or correct WEBCALL_DATABASE_URL"
        )
        ValueError.__init__(self, problem)
        self.name = "WEBCALL_DATABASE_URL"
        self.problem = problem


def where(url: URL) -> str:
    """host:port/name of `url`: what a line may show of it."""
    host = url.host or url.query.get("host") or "the local socket"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def reason(error: SQLAlchemyError) -> str:
    """The driver's message in one line, without libpq's repeated prefixes: "Connection refused",
    'password authentication failed for user "webcall"'."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    text = lines[0].rpartition("failed: ")[2] or lines[0]
    return text.removeprefix("FATAL:").strip()


def described(error: SQLAlchemyError) -> str:
    """The error's type and the driver's message, for a line: "OperationalError: Connection refused"."""
    return f"{type(error).__name__}: {reason(error)}"


def may_pass(error: OperationalError) -> bool:
    """Whether trying again later may connect: the server was not reached, or it said to wait."""
    text = str(error.orig).lower()
    if any(answer in text for answer in _WAIT_ANSWERS):
        return True
    return not any(answer in text for answer in _FINAL_ANSWERS)


def wait_for(engine: Engine) -> None:
    """Return once `engine` connects; raise a SettingsError (one line) when it will not."""
    if engine.dialect.name == "sqlite":
        return
    started, logged_at = time.monotonic(), None
    while True:
        try:
            with engine.connect():
                pass
        except OperationalError as error:
            waited = time.monotonic() - started
            if not may_pass(error):
                raise SettingsError(
                    "WEBCALL_DATABASE_URL",
                    f"cannot connect to the database at {where(engine.url)}: {reason(error)}",
                ) from None
            if waited >= WAIT_SECONDS:
                raise DatabaseUnreachable(where(engine.url), waited, reason(error)) from None
            if logged_at is None or time.monotonic() - logged_at >= LOG_EVERY_SECONDS:
                log.warning(
                    "waiting for the database at %s (%s): %.0f s so far, trying again for up to %.0f s",
                    where(engine.url),
                    reason(error),
                    waited,
                    WAIT_SECONDS,
                )
                logged_at = time.monotonic()
            time.sleep(PAUSE_SECONDS)
        except SQLAlchemyError as error:  # not the server's (a driver's refusal of the URL): at once
            raise SettingsError(
                "WEBCALL_DATABASE_URL",
                f"cannot connect to the database at {where(engine.url)}: {reason(error)}",
            ) from None
        else:
            if logged_at is not None:
                log.info(
                    "the database at %s answered after %.0f s", where(engine.url), time.monotonic() - started
                )
            return
