"""The app's database: one SQLAlchemy `MetaData` for every table, and engines from
`WEBCALL_DATABASE_URL` (a SQLite file by default, or e.g. PostgreSQL).

Each module that owns tables defines them on `metadata` and is listed in TABLE_MODULES, so that the
migrations (webcall/migrations/env.py) and their test see every table.
"""

from __future__ import annotations

import importlib
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from alembic.util import CommandError
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from .settings import SettingsError

metadata = MetaData()


def storable(text: str) -> bool:
    """Whether the database can keep `text`: UTF-8 text (JSON may carry a lone surrogate, "\ud800",
    which no UTF-8 encoder takes) without NUL (PostgreSQL's text refuses it)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def names_no_row(key: str) -> bool:
    """Whether `key`, from an address or a form, to look a row up by (a call, a link, a demo, an owner),
    cannot name one: no stored text holds what the database cannot keep. PostgreSQL refuses a query that
    sends a NUL (a DataError: a 500), where any other unknown key finds nothing; so the look-ups ask
    nothing for it and answer as for an unknown key."""
    return not storable(key)


def now() -> datetime:
    """The time every table stores: UTC, timezone-aware."""
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A stored time as UTC: SQLite hands back naive datetimes for what was stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


TABLE_MODULES = (
    "webcall.calllog",
    "webcall.link_rows",
    "webcall.demo_rows",
    "webcall.accounts",
    "webcall.sessions",
    "webcall.lockout",
    "webcall.logos",
    "webcall.webhook_store",
    "webcall.notification_prefs_store",
    "webcall.notification_store",
    "webcall.link_opens",
)


def open_database(url: str, root: Path, *, migrate: bool = True) -> Engine:
    """An engine for `url` whose schema has been migrated to the newest revision (`migrate=False`: as
    it is, for the app's start to migrate when it knows it should: webcall/cli_start.py)."""
    from . import db_wait  # the migrations' environment imports this module

    engine = engine_for(url, root)
    db_wait.wait_for(engine)  # a server not up yet (booting with the app): waited for, a while
    if migrate:
        migrate_schema(engine)
    return engine


def migrate_schema(engine: Engine) -> None:
    """Migrate to the newest revision; a failure is a SettingsError (one line naming the setting)."""
    from . import schema  # the migrations' environment imports this module

    try:
        schema.upgrade(engine)
    except (SQLAlchemyError, CommandError) as error:
        problem = str(error.args[0]).strip().splitlines()[0]  # psycopg's run over two lines
        raise SettingsError(
            "WEBCALL_DATABASE_URL", f"cannot migrate the schema: {type(error).__name__}: {problem}"
        ) from None


@contextmanager
def starting() -> Iterator[None]:
    """Around the start's first reads and writes (seeding demos, the first admin): a database that
    fails them (locked by another program past the busy timeout, read-only, gone) stops the start with
    one line naming the setting, as a failed migration does, instead of a traceback."""
    try:
        yield
    except SQLAlchemyError as error:
        problem = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()[0]
        raise SettingsError("WEBCALL_DATABASE_URL", f"cannot use it at start: {problem}") from None


def all_tables() -> MetaData:
    """`metadata` with every module's tables on it."""
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return metadata


# Seconds a PostgreSQL connection may take to be made (libpq's connect_timeout; a URL's own wins).
CONNECT_TIMEOUT_SECONDS = 10
# TCP keepalives of every PostgreSQL connection (libpq's parameters; a URL's own win). A firewall or
# NAT that forgets an idle connection drops its packets without a word, and the next request's
# pre-ping waited for TCP's retransmissions to give up: about 15 minutes on Linux. libpq turns
# keepalives on by itself, but with the kernel's timings: a first probe after two hours. A probe every
# KEEPALIVES_IDLE_SECONDS of quiet keeps such a device's entry alive (their idle timeouts are minutes),
# and a connection whose probes go unanswered is closed by the kernel while it waits in the pool
# (within about a minute), so the pre-ping finds it dead at once and the pool replaces it
# (tests/e2e/test_database_keepalive.py).
KEEPALIVES_IDLE_SECONDS = 30
KEEPALIVES_INTERVAL_SECONDS = 10
KEEPALIVES_COUNT = 3
# Milliseconds what we sent may stay unacknowledged before the kernel gives the connection up: a
# request that meets a connection gone dead since its last probe fails in this time, not in ~15
# minutes. A slow statement is no matter: the server's kernel acknowledges it at once.
TCP_USER_TIMEOUT_MS = 30_000


def _postgresql_connect_args(query: Mapping[str, object]) -> dict[str, Any]:
    """libpq's connection parameters of ours that `query` (the URL's) does not set itself. psycopg (3),
    the driver of `postgresql+psycopg://`, hands them to libpq as they are."""
    ours = {
        # Without one, a server that takes the TCP connection and then says nothing (stuck, or a
        # firewall that swallows packets) hangs the start, and later every request, for ever.
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "keepalives": 1,
        "keepalives_idle": KEEPALIVES_IDLE_SECONDS,
        "keepalives_interval": KEEPALIVES_INTERVAL_SECONDS,
        "keepalives_count": KEEPALIVES_COUNT,
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    }
    return {name: value for name, value in ours.items() if name not in query}


def engine_for(url: str, root: Path) -> Engine:
    """An engine for `url`; a relative SQLite path is under `root`, and its folder is created."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError("WEBCALL_DATABASE_URL", f"{url!r} is not a database URL") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() != "sqlite":
        # A pooled connection outlives the server process it talks to: after a database restart (or
        # a server that ends idle sessions) each one failed its next request with a 500. The pool
        # now checks a connection as it hands it out (a round trip) and replaces a dead one
        # (tests/e2e/test_database_start.py). SQLite's connections are to a file: nothing to check.
        kwargs.update(pool_pre_ping=True)
    if parsed.get_backend_name() == "postgresql":
        kwargs.update(connect_args=_postgresql_connect_args(parsed.query))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database in (None, "", ":memory:"):
            # One shared in-memory database for every thread (tests).
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            path = Path(database)
            if not path.is_absolute():
                path = root / path
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise SettingsError("WEBCALL_DATABASE_URL", f"cannot make {path.parent}: {error}") from None
            parsed = parsed.set(database=str(path))
            kwargs.update(connect_args={"check_same_thread": False})
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as error:
        raise SettingsError("WEBCALL_DATABASE_URL", f"cannot use it: {error}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# How often a connection tries to switch a new file to WAL while another process does the same.
_WAL_TRIES = 50
_WAL_PAUSE_SECONDS = 0.1


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers and the one writer work at once (threads and gunicorn workers); waiting
    # briefly for the write lock beats failing a visitor's call-log write under load.
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    for attempt in range(1, _WAL_TRIES + 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            # Processes opening a new file together (`make serve`'s web process and task worker) each
            # switch it to WAL, and SQLite refuses all but one at once, without its busy timeout
            # (waiting there could deadlock). Once the file is in WAL, the switch is a no-op.
            if "locked" not in str(error) or attempt == _WAL_TRIES:
                raise
            time.sleep(_WAL_PAUSE_SECONDS)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
