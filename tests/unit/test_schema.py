"""Schema migrations (webcall/schema.py): a new database gets the newest schema, an install from
before the migrations keeps its call log, and the migrations build exactly what the code uses."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine, insert, inspect, select, text

from tests.schema_shape import tables_and_columns
from tests.starts import open_together
from webcall import create_app, schema
from webcall import db as webcall_db
from webcall.calllog import CallLog, calls
from webcall.db import all_tables, engine_for
from webcall.settings import SettingsError

pytestmark = pytest.mark.unit

PROCESSES = 4


def engine(tmp_path: Path) -> Engine:
    return engine_for("sqlite:///webcall.sqlite3", tmp_path)


def test_a_new_database_is_migrated_to_every_head(tmp_path: Path):
    CallLog.open("sqlite:///webcall.sqlite3", tmp_path)
    with engine(tmp_path).connect() as db:
        assert schema.current(db) == schema.heads()
        assert schema.heads()  # there is at least one revision


def test_the_history_has_one_head():
    # Revisions written side by side must be merged, or the next one has no single parent.
    assert len(schema.heads()) == 1


def test_the_migrations_build_what_the_code_uses(tmp_path: Path):
    CallLog.open("sqlite:///webcall.sqlite3", tmp_path)
    with engine(tmp_path).connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), all_tables())
    assert differences == []


def test_an_install_from_before_the_migrations_keeps_its_call_log(tmp_path: Path):
    # What the app made before it had migrations: revision 0001's tables (the code's tables have
    # grown since, so create_all would not do), then it logged calls.
    old = engine(tmp_path)
    with old.begin() as db:
        command.upgrade(schema.config(db), "0001_call_log")
        db.execute(text("DROP TABLE alembic_version"))
    made = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    with old.begin() as db:
        db.execute(
            insert(calls).values(call_id="c-1", demo="acme", mode="voice", outcome="created", created_at=made)
        )
    assert "alembic_version" not in inspect(old).get_table_names()

    log = CallLog.open("sqlite:///webcall.sqlite3", tmp_path)

    [kept] = log.calls()
    assert (kept.call_id, kept.demo, kept.created_at) == ("c-1", "acme", made)
    with log.engine.connect() as db:
        assert schema.current(db) == schema.heads()


def test_opening_again_changes_nothing(tmp_path: Path):
    log = CallLog.open("sqlite:///webcall.sqlite3", tmp_path)
    log.record(demo="acme", mode="text", outcome="created", call_id="c-2")
    again = CallLog.open("sqlite:///webcall.sqlite3", tmp_path)
    with again.engine.connect() as db:
        assert db.execute(select(calls.c.call_id)).scalars().all() == ["c-2"]


def test_processes_starting_together_on_a_new_sqlite_file_all_start(tmp_path: Path):
    # `make serve` starts gunicorn and the task worker at once, and each migrates on start: on a new
    # SQLite file both created the tables, and one failed ("table webcall_calls already exists"; seen
    # in a CI run on a busy machine). Several processes released together on a new file, a few times.
    for attempt in range(4):
        url = f"sqlite:///{tmp_path}/race-{attempt}.sqlite3"
        outcomes = open_together(url, tmp_path, PROCESSES)
        assert outcomes == ["ok"] * PROCESSES, f"attempt {attempt}: {outcomes}"
        with engine_for(url, tmp_path).connect() as db:
            assert schema.current(db) == schema.heads()


class _Cursor:
    """A DB-API cursor whose switch to WAL is refused `refusals` times, as SQLite refuses all but one of
    the processes switching a new file at once (seen: 2 in 100 starts of four processes on a busy box)."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.executed = refusals, []

    def execute(self, statement: str) -> None:
        if statement == "PRAGMA journal_mode=WAL" and self.refusals:
            self.refusals -= 1
            raise sqlite3.OperationalError("database is locked")
        self.executed.append(statement)

    def close(self) -> None:
        pass


class _Connection:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _Cursor:
        return self._cursor


def test_a_connection_refused_the_switch_to_wal_tries_again(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(webcall_db, "_WAL_PAUSE_SECONDS", 0)
    cursor = _Cursor(refusals=3)
    webcall_db._sqlite_pragmas(_Connection(cursor), None)
    assert cursor.executed == [
        "PRAGMA busy_timeout=5000",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
    ]

    # Another program holding the file for good: the start fails with the error, it does not hang.
    stuck = _Cursor(refusals=webcall_db._WAL_TRIES)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        webcall_db._sqlite_pragmas(_Connection(stuck), None)


def test_a_start_on_a_current_schema_takes_no_write_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A restart beside a running instance that is writing: nothing to migrate, so nothing to wait for
    # (with the lock, this start would wait for the writer; here the wait is cut to 0.1 s to show it).
    url = f"sqlite:///{tmp_path}/busy.sqlite3"
    CallLog.open(url, tmp_path)
    monkeypatch.setattr(schema, "_SQLITE_WAIT_MS", 100)
    writer = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock; readers go on (WAL)
    try:
        schema.upgrade(engine_for(url, tmp_path))
    finally:
        writer.rollback()
        writer.close()


# -- a database a newer release migrated (a rolling upgrade's old instances, a rollback) ----------

FUTURE = "0099_future"  # a revision this release does not know


def newer_release(url: str, tmp_path: Path, *changes: str) -> None:
    """What a later release's migrations leave: `changes` to the schema, and their revision."""
    webcall_db.open_database(url, tmp_path)
    with engine_for(url, tmp_path).begin() as db:
        for change in changes:
            db.exec_driver_sql(change)
        db.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{FUTURE}'")


def test_a_database_a_newer_release_migrated_starts_with_one_warning(settings, tmp_path, caplog):
    # Before: `cannot migrate the schema: CommandError: Can't locate revision identified by …`, exit 2:
    # the previous release could not run beside the new one, nor be rolled back to.
    url = f"sqlite:///{tmp_path}/newer.sqlite3"
    newer_release(
        url,
        tmp_path,
        "CREATE TABLE webcall_future (id INTEGER PRIMARY KEY, note TEXT NOT NULL)",
        "ALTER TABLE webcall_calls ADD COLUMN region TEXT",
        "ALTER TABLE webcall_calls ADD COLUMN tier INTEGER NOT NULL DEFAULT 0",
    )
    [head] = schema.heads()
    with caplog.at_level("WARNING", logger="webcall.schema"):
        app = create_app({"settings": replace(settings, database_url=url), "TESTING": True})
    warnings = [r.getMessage() for r in caplog.records if r.name == "webcall.schema"]
    assert warnings == [
        f"OPERATOR: the database is at revision {FUTURE}, newer than this release's {head} (a newer release "
        "migrated it): running on it; if this release is to stay, take the schema back with the newer "
        f"release's `flask --app app db downgrade {head}`"
    ]
    log = app.extensions["webcall"].calllog
    log.record(demo="acme", mode="text", outcome="created", call_id="c-old-code")  # inserts still work
    assert [c.call_id for c in log.calls()] == ["c-old-code"]
    with log.engine.connect() as db:
        assert schema.current(db) == {FUTURE}  # left as the newer release made it


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("ALTER TABLE webcall_calls ADD COLUMN tier INTEGER NOT NULL DEFAULT 0", None),
        (
            "ALTER TABLE webcall_calls ADD COLUMN region TEXT NOT NULL DEFAULT 'eu'",
            None,
        ),
        ("DROP TABLE webcall_link_refusals", "table webcall_link_refusals is gone"),
        ("ALTER TABLE webcall_calls DROP COLUMN mode", "column webcall_calls.mode is gone"),
    ],
)
def test_what_a_newer_schema_may_have_changed(tmp_path, change, problem):
    # Only what breaks this release's reads and writes stops its start; the rest it lives with.
    url = f"sqlite:///{tmp_path}/newer.sqlite3"
    newer_release(url, tmp_path, change)
    if problem is None:
        webcall_db.open_database(url, tmp_path)
        return
    with pytest.raises(SettingsError) as refused:
        webcall_db.open_database(url, tmp_path)
    [head] = schema.heads()
    assert str(refused.value) == (
        f"setting WEBCALL_DATABASE_URL: the database is at revision {FUTURE}, newer than this release's "
        f"{head}, and this release cannot run on it: {problem}; run the newer release, or take the "
        f"schema back with the newer release's `flask --app app db downgrade {head}`"
    )


def test_a_new_column_this_releases_inserts_leave_empty_stops_the_start(tmp_path):
    # SQLite cannot add a NOT NULL column without a default to a table, but a newer release's batch
    # migration can (it rebuilds the table): made here the same way, a new table in the old one's place.
    url = f"sqlite:///{tmp_path}/newer.sqlite3"
    webcall_db.open_database(url, tmp_path)
    with engine_for(url, tmp_path).begin() as db:
        db.exec_driver_sql("DROP TABLE webcall_link_refusals")
        db.exec_driver_sql(
            "CREATE TABLE webcall_link_refusals (link_id VARCHAR(32) PRIMARY KEY, opens INTEGER NOT NULL,"
            " first_at DATETIME NOT NULL, last_at DATETIME NOT NULL, reason TEXT NOT NULL)"
        )
        db.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{FUTURE}'")
    with pytest.raises(
        SettingsError, match=r"webcall_link_refusals\.reason needs a value this release does not give"
    ):
        webcall_db.open_database(url, tmp_path)


def _db_command(app: Flask, *args: str) -> Result:
    assert "db" in app.cli.commands, "create_app registers `flask db`"
    return app.test_cli_runner().invoke(args=["db", *args])


def test_the_downgrade_command_takes_the_schema_back_one_revision(settings, tmp_path):
    url = f"sqlite:///{tmp_path}/down.sqlite3"
    app = create_app({"settings": replace(settings, database_url=url), "TESTING": True})
    [head] = schema.heads()
    current = _db_command(app, "current")
    assert current.exit_code == 0, current.output
    previous = current.output.split("the one before: ")[1].rstrip(")\n")
    assert current.output == f"database: {head}\nthis release: {head} (the one before: {previous})\n"

    engine = engine_for(url, tmp_path)
    with engine.connect() as db:
        at_head = tables_and_columns(db)
    result = _db_command(app, "downgrade", previous)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"database: {head} -> {previous}"
    with engine.connect() as db:
        assert schema.current(db) == {previous}
        assert tables_and_columns(db) < at_head  # what the newest migration added is gone
    webcall_db.open_database(url, tmp_path)  # this release's next start migrates it forward again
    with engine.connect() as db:
        assert schema.current(db) == {head}


def test_the_downgrade_command_refuses_what_it_cannot_do(settings, tmp_path):
    url = f"sqlite:///{tmp_path}/down.sqlite3"
    newer_release(url, tmp_path)
    app = create_app({"settings": replace(settings, database_url=url), "TESTING": True})
    result = _db_command(app, "downgrade", "0007_notify_analysis")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database is at {FUTURE}, which this release does not know: run the downgrade with the "
        "release that migrated it\n"
    )
    with engine_for(url, tmp_path).begin() as db:
        db.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{schema.heads().pop()}'")
    result = _db_command(app, "downgrade", "0042_nothing")
    assert (result.exit_code, result.output) == (
        1,
        "Error: no revision '0042_nothing' in this release (`db current` names them)\n",
    )
