"""Bring the database's schema to the newest revision (Alembic, webcall/migrations/), on start.

An install from before the migrations has the call-log tables but no `alembic_version`: it is
marked as the first revision (which is exactly those tables) and upgraded from there, so its call
log is kept. Several processes may start at once on one database (instances on PostgreSQL; the web
process and the task worker on one SQLite file): a lock (PostgreSQL's advisory lock, SQLite's write
lock) lets one of them migrate while the others wait. gunicorn builds the app once in its master
(gunicorn.conf.py, preload_app), so its workers never race each other here.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001_call_log"  # the tables the app created with create_all before it had migrations
_BASELINE_TABLES = frozenset({"webcall_calls", "webcall_links"})
_LOCK_KEY = 0x1731_C0DE  # any constant; PostgreSQL advisory locks are per database
_SQLITE_WAIT_MS = 60_000  # for the lock only: a migration that copies a large table can take a while


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def heads() -> set[str]:
    return set(ScriptDirectory.from_config(config()).get_heads())


def current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Migrate to every head in one transaction, one process at a time (PostgreSQL and SQLite run
    DDL transactionally, so a failed upgrade leaves the schema as it was)."""
    newest = heads()  # read from the migrations folder once
    with engine.begin() as connection:
        if current(connection) == newest:
            return  # most starts: nothing to change, so no lock to take (or wait for)
        _one_at_a_time(connection)
        cfg = config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and _BASELINE_TABLES <= tables:
            command.stamp(cfg, BASELINE)
        if current(connection) != newest:
            command.upgrade(cfg, "heads")


def _one_at_a_time(connection: Connection) -> None:
    """Take the database's lock for this transaction: the processes starting together wait here and
    then find the schema current (`upgrade` reads it again under the lock). Without it, `make serve`'s
    web process and task worker both created the tables of a new SQLite file and one of them failed
    to start (tests/unit/test_schema.py)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # Python's sqlite3 begins a transaction only before INSERT/UPDATE/DELETE, so without this
        # every CREATE TABLE commits on its own. IMMEDIATE takes the write lock now; the connection's
        # busy timeout is made long enough to wait out another process's migration, then put back.
        usual = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_WAIT_MS}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(usual or 0)}")
