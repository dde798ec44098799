"""Schema migrations (webcall/schema.py): a new database gets the newest schema, an install from
before the migrations keeps its call log, and the migrations build exactly what the code uses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text

from webcall import schema
from webcall.calllog import CallLog, calls
from webcall.db import all_tables, engine_for

pytestmark = pytest.mark.unit


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
