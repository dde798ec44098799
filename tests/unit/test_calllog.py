"""The call log: a real SQLite database, migrated on start, completed from GET call."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import OperationalError

from webcall import call_stats
from webcall import db as database
from webcall.calllog import CallLog, calls
from webcall.db import engine_for
from webcall.demos import DemoProfile
from webcall.links import ShareLinks
from webcall.settings import SettingsError

pytestmark = pytest.mark.unit

DEMO = DemoProfile("acme", "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41", allowed_variables={"name": 20})


@pytest.fixture
def log(tmp_path: Path) -> CallLog:
    return CallLog.open("sqlite:///calls.sqlite3", tmp_path)


def test_a_relative_sqlite_file_is_made_under_the_root_with_its_schema(tmp_path: Path):
    CallLog.open("sqlite:///instance/sub/log.sqlite3", tmp_path)
    db = tmp_path / "instance" / "sub" / "log.sqlite3"
    assert db.is_file()
    tables = set(inspect(engine_for(f"sqlite:///{db}", tmp_path)).get_table_names())
    assert {"webcall_calls", "webcall_links", "alembic_version"} <= tables


def test_bad_urls_name_the_setting(tmp_path: Path):
    with pytest.raises(
        SettingsError, match=r"^setting WEBCALL_DATABASE_URL: 'nonsense' is not a database URL$"
    ):
        CallLog.open("nonsense", tmp_path)
    with pytest.raises(SettingsError, match="WEBCALL_DATABASE_URL: cannot use it"):
        CallLog.open("nosuchdb://x/y", tmp_path)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SettingsError, match="WEBCALL_DATABASE_URL: cannot make"):
        CallLog.open("sqlite:///a-file/x.db", tmp_path)
    (tmp_path / "garbage.db").write_text("this is not a database, just text " * 100)
    with pytest.raises(SettingsError, match="WEBCALL_DATABASE_URL: cannot migrate the schema"):
        CallLog.open("sqlite:///garbage.db", tmp_path)


def test_record_then_complete(log: CallLog):
    log.record(demo="acme", mode="voice", outcome="created", call_id="c1", link_id="L1", status="in_progress")
    log.record(demo="acme", mode="text", outcome="failed:rate_limited")
    (failed, created) = log.calls()
    assert failed.call_id is None and failed.outcome == "failed:rate_limited" and not failed.open
    assert created.link_id == "L1" and created.open and created.created_at.tzinfo is not None
    log.complete("c1", "completed", 240)
    done = log.call("c1")
    assert done.status == "completed" and done.duration_seconds == 240 and not done.open


def test_refresh_asks_only_about_open_recent_calls_and_survives_failures(log: CallLog):
    for call_id in ("open-1", "open-2", "boom", "old"):
        log.record(demo="acme", mode="voice", outcome="created", call_id=call_id, status="in_progress")
    log.record(demo="acme", mode="voice", outcome="created", call_id="done", status="in_progress")
    log.complete("done", "completed", 10)
    with log.engine.begin() as db:
        db.execute(
            update(calls)
            .where(calls.c.call_id == "old")
            .values(created_at=datetime.now(UTC) - timedelta(days=3))
        )
    asked: list[str] = []

    def fetch(call_id: str) -> tuple[str, int | None]:
        asked.append(call_id)
        if call_id == "boom":
            raise RuntimeError("upstream down")
        return ("completed", 61) if call_id == "open-1" else ("in_progress", None)

    assert log.refresh_open(fetch) == 2
    assert sorted(asked) == ["boom", "open-1", "open-2"]
    assert log.call("open-1").duration_seconds == 61 and log.call("boom").status == "in_progress"
    assert log.call("old").status == "in_progress"


def test_refresh_stops_at_its_budget(log: CallLog):
    log.record(demo="acme", mode="voice", outcome="created", call_id="a")
    assert log.refresh_open(lambda _id: ("completed", 1), budget_seconds=-1) == 0


def test_links_and_their_stats(log: CallLog):
    link = ShareLinks("calllog-secret-0123456789abcdef").issue(DEMO, {"name": "Maria"}, 2_000_000_000)
    log.add_link(link, "Maria at Acme", created_by="cli")
    (stored,) = log.links("acme")
    assert stored.label == "Maria at Acme" and stored.variables == {"name": "Maria"}
    assert stored.token == link.token and stored.created_by == "cli" and not stored.expired
    log.record(demo="acme", mode="voice", outcome="created", call_id="c1", link_id=link.link_id)
    log.complete("c1", "completed", 100)
    log.record(demo="acme", mode="voice", outcome="created", call_id="c2", link_id=link.link_id)
    log.complete("c2", "completed", 240)
    log.record(demo="acme", mode="voice", outcome="failed:upstream_unavailable", link_id=link.link_id)
    log.record(demo="acme", mode="voice", outcome="created", call_id="c3")
    stats = call_stats.link_stats(log.engine)
    assert stats[link.link_id].calls == 2 and stats[link.link_id].total_seconds == 340
    assert stats[link.link_id].last_duration_seconds == 240
    assert stats[None].calls == 1
    assert call_stats.demo_stats(log.engine)["acme"].calls == 3
    assert call_stats.unlinked_stats(log.engine)["acme"].calls == 1


def test_nothing_of_the_conversation_is_stored(log: CallLog):
    assert {c.name for c in calls.columns} == {
        "id",
        "call_id",
        "demo",
        "link_id",
        "mode",
        "outcome",
        "created_at",
        "status",
        "duration_seconds",
        "checked_at",
        "ended_event_at",
        "analysis_at",
        "first_message",  # a digest of what the create sent for the visitor, never the words
    }
    # Webhook events keep what the call log needs, never the conversation's messages.
    from webcall.webhook_store import events

    assert {c.name for c in events.columns} == {
        "id",
        "event_id",
        "event_type",
        "call_id",
        "room_sid",
        "status",
        "duration_seconds",
        "occurred_at",
        "received_at",
        "processed_at",
    }
    with log.engine.connect() as db:
        assert db.execute(select(calls)).all() == []


def test_a_database_server_that_never_answers_fails_the_connect_instead_of_hanging(tmp_path, monkeypatch):
    """A PostgreSQL address that takes the TCP connection and then says nothing (a stuck server, a
    firewall that swallows packets, the wrong port behind a proxy) hung the app's start for ever."""
    monkeypatch.setattr(database, "CONNECT_TIMEOUT_SECONDS", 1)  # the default (10) is long for a test
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever reads or writes
        engine = engine_for(f"postgresql+psycopg://u:p@127.0.0.1:{silent.getsockname()[1]}/db", tmp_path)
        failed: list[OperationalError] = []

        def connect() -> None:
            try:
                engine.connect().close()
            except OperationalError as error:
                failed.append(error)

        attempt = threading.Thread(target=connect, daemon=True)  # daemon: a hang must not hold pytest
        attempt.start()
        attempt.join(8)
        assert failed, "still connecting after 8 s: no connect timeout"


def test_a_database_locked_at_start_is_one_line_naming_the_setting(settings, tmp_path):
    # The schema was there, so only the start's first writes (the demos' seed) met the lock: that was
    # an OperationalError traceback instead of the one line every other database problem gets.
    import sqlite3
    from dataclasses import replace

    from webcall import create_app

    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    database.open_database(url, tmp_path)
    holder = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, and taking its time
    try:
        with pytest.raises(SettingsError, match=r"^setting WEBCALL_DATABASE_URL: .*database is locked"):
            create_app({"settings": replace(settings, database_url=url, demos_file="demos.toml")})
    finally:
        holder.rollback()
        holder.close()


def test_one_calls_failing_write_does_not_stop_the_refresh_of_the_others(log: CallLog, caplog):
    # An audit: the first write that failed (an upstream value the column or the driver cannot take)
    # left the loop, and calls are taken newest first, so one poisoned call kept every older open call
    # from being completed for the whole REFRESH_WINDOW, run after run.
    for call_id in ("older", "poisoned", "newest"):
        log.record(demo="acme", mode="voice", outcome="created", call_id=call_id, status="queued")
    answers: dict[str, tuple[str, int | None]] = {
        "newest": ("completed", 2**70),  # SQLite: OverflowError (PostgreSQL: a DataError)
        "poisoned": ("\ud800", 5),  # a lone surrogate: UnicodeEncodeError
        "older": ("completed", 30),
    }
    failed: list[str] = []
    with caplog.at_level(logging.WARNING, logger="webcall.calllog"):
        assert log.refresh_open(answers.__getitem__, on_write_failure=failed.append) == 1
    assert (log.call("older").status, log.call("older").duration_seconds) == ("completed", 30)
    assert log.call("newest").status == "queued" and log.call("poisoned").status == "queued"
    assert sorted(failed) == ["newest", "poisoned"]
    lines = sorted(r.getMessage() for r in caplog.records if r.name == "webcall.calllog")
    assert lines == [
        "calllog.refresh write failed call_id=newest error=OverflowError",
        "calllog.refresh write failed call_id=poisoned error=UnicodeEncodeError",
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_a_database_gone_mid_refresh_stops_it_after_one_line(log: CallLog, caplog):
    """The database, not one call's values: every other write would fail too (each after SQLite's busy
    wait or PostgreSQL's connect timeout), so the refresh ends there; the next run tries again."""
    for call_id in ("older", "newer"):
        log.record(demo="acme", mode="voice", outcome="created", call_id=call_id, status="queued")

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    log.complete = down  # type: ignore[method-assign]
    failed: list[str] = []
    with caplog.at_level(logging.WARNING, logger="webcall.calllog"):
        assert log.refresh_open(lambda _id: ("completed", 1), on_write_failure=failed.append) == 0
    assert failed == ["newer"]
    assert [r.getMessage() for r in caplog.records if r.name == "webcall.calllog"] == [
        "calllog.refresh write failed call_id=newer error=OperationalError"
    ]
