"""Bring the database's schema to the newest revision (Alembic, webcall/migrations/), on start.

An install from before the migrations has the call-log tables but no `alembic_version`: it is
marked as the first revision (which is exactly those tables) and upgraded from there, so its call
log is kept. Several processes may start at once on one database (instances on PostgreSQL; the web
process and the task worker on one SQLite file): a lock (PostgreSQL's advisory lock, SQLite's write
lock) lets one of them migrate while the others wait. gunicorn builds the app once in its master
(gunicorn.conf.py, preload_app), so its workers never race each other here.

A database already at a revision this release does not know was migrated by a newer release (a
rolling upgrade's instances still on the old one, or a rollback). The old code then starts on it with
one warning, unless the newer schema lacks a table or column this release uses, or has a column this
release's inserts would leave without a value: that stops the start with one line (`newer_problems`).
`flask --app app db downgrade REVISION`, run with the release that knows the newer revisions, takes the
schema back (webcall/db_cli.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from .db import all_tables
from .settings import SettingsError

log = logging.getLogger(__name__)

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


def known() -> set[str]:
    """Every revision of this release, the oldest to the heads."""
    return {script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()}


def current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def names(revisions: set[str]) -> str:
    """Revisions as a line says them (also `flask db`: webcall/db_cli.py)."""
    return ", ".join(sorted(revisions)) or "none"


def upgrade(engine: Engine) -> None:
    """Migrate to every head in one transaction, one process at a time (PostgreSQL and SQLite run
    DDL transactionally, so a failed upgrade leaves the schema as it was)."""
    newest = heads()  # read from the migrations folder once
    with engine.begin() as connection:
        at = current(connection)
        if at == newest:
            return  # most starts: nothing to change, so no lock to take (or wait for)
        if at - known():
            _run_on_newer(connection, at, newest)
            return
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


def downgrade(engine: Engine, revision: str) -> tuple[set[str], set[str]]:
    """Take the schema back to `revision`, one process at a time; the revisions before and after.
    Raises alembic's CommandError for a revision this release does not know."""
    with engine.begin() as connection:
        _one_at_a_time(connection)
        before = current(connection)
        command.downgrade(config(connection), revision)
        return before, current(connection)


def _run_on_newer(connection: Connection, at: set[str], newest: set[str]) -> None:
    """Start on a schema a newer release migrated, if this release can use it (module docstring)."""
    problems = newer_problems(connection)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SettingsError(
            "WEBCALL_DATABASE_URL",
            f"the database is at revision {names(at)}, newer than this release's {names(newest)}, "
            f"and this release cannot run on it: {problems[0]}{more}; run the newer release, or take "
            f"the schema back with the newer release's `flask --app app db downgrade {names(newest)}`",
        )
    log.warning(
        "OPERATOR: the database is at revision %s, newer than this release's %s (a newer release "
        "migrated it): running on it; if this release is to stay, take the schema back with the newer "
        "release's `flask --app app db downgrade %s`",
        names(at),
        names(newest),
        names(newest),
    )


def newer_problems(connection: Connection) -> list[str]:
    """What in a newer schema this release's code cannot live with: a table or column it uses that is
    gone, or a new column that its inserts would leave empty (NOT NULL without a server default).
    Added tables, added nullable or defaulted columns, new indexes and changed types it can."""
    inspector = inspect(connection)
    there = set(inspector.get_table_names())
    problems = []
    for table in all_tables().sorted_tables:
        if table.name not in there:
            problems.append(f"table {table.name} is gone")
            continue
        columns = {column["name"]: column for column in inspector.get_columns(table.name)}
        problems += [
            f"column {table.name}.{name} is gone" for name in table.columns.keys() if name not in columns
        ]
        problems += [
            f"column {table.name}.{name} needs a value this release does not give"
            for name, column in columns.items()
            if name not in table.columns
            and not column["nullable"]
            and column.get("default") is None
            and not column.get("identity")  # PostgreSQL fills an identity column itself
        ]
    return problems
