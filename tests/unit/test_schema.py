"""Schema migrations (webcall/schema.py): a new database gets the newest schema, an install from
before the migrations keeps its call log, and the migrations build exactly what the code uses."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text

from tests.starts import open_together
from webcall import db as webcall_db
from webcall import schema
from webcall.calllog import CallLog, calls
from webcall.db import all_tables, engine_for

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
