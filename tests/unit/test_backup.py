"""`flask --app app backup FILE`: a copy of the app's SQLite database taken while the app runs, that
a new app starts on with every account, demo, link and call in it. Copying the file instead loses
what is still in its write-ahead log (WAL mode: the newest commits live in `-wal` until a checkpoint)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from webcall.calllog import calls

from .conftest import link_for

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def database_file(svc) -> Path:
    return Path(svc.calllog.engine.url.database)


def rows_in(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:  # no such table: it too is only in the -wal file
            return 0


def test_the_backup_has_what_a_copy_of_the_file_loses_and_an_app_starts_on_it(
    app, svc, tmp_path, make_sales_app
):
    link = link_for(svc, slug="alpenblick", name="Maria")
    svc.calllog.add_link(link, "Maria", created_by="web", owner="ann@example.com")
    svc.calllog.record(demo="alpenblick", mode="voice", outcome="created", call_id="c1", link_id=link.link_id)
    copied = tmp_path / "copied.sqlite3"
    shutil.copy(database_file(svc), copied)  # what `cp` takes while the app runs
    assert rows_in(copied, "webcall_calls") == 0  # the newest commits are still in the -wal file

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "backup.sqlite3" in result.output and "integrity ok" in result.output
    backup = tmp_path / "backup.sqlite3"
    assert rows_in(backup, "webcall_calls") == 1 and rows_in(backup, "webcall_links") == 1
    assert not list(tmp_path.glob("*.partial"))

    # Restored: an app on the backup has the admin, the demos and the link.
    restored = make_sales_app(database_url=f"sqlite:///{backup}").extensions["webcall"]
    assert restored.accounts.by_email("admin@example.com") is not None
    assert [stored.link_id for stored in restored.calllog.links()] == [link.link_id]
    assert {demo.slug for demo in restored.demos} == {demo.slug for demo in svc.demos}


def test_a_backup_taken_while_calls_are_written_is_whole(app, svc, tmp_path):
    stop = threading.Event()
    written = []

    def write() -> None:
        while not stop.is_set():
            svc.calllog.record(demo="northwind", mode="voice", outcome="created")
            written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for n in range(3):
            result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / f"b{n}.sqlite3")])
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        writer.join()
    assert written
    for n in range(3):
        with sqlite3.connect(tmp_path / f"b{n}.sqlite3") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with svc.calllog.engine.connect() as db:
        assert len(db.execute(select(calls.c.id)).all()) == len(written)


def test_it_never_overwrites_a_file(app, tmp_path):
    target = tmp_path / "keep.sqlite3"
    target.write_text("yesterday's backup")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "exists" in result.output and "\n" == result.output[-1]
    assert target.read_text() == "yesterday's backup"


def test_a_folder_that_is_not_there_is_one_line(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "nowhere" / "b.sqlite3")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "nowhere" in result.output


def test_postgresql_is_pointed_to_pg_dump(make_sales_app, monkeypatch):
    app = make_sales_app()
    from sqlalchemy import make_url

    monkeypatch.setattr(
        app.extensions["webcall"].calllog.engine, "url", make_url("postgresql+psycopg://u@h/db")
    )
    result = app.test_cli_runner().invoke(args=["backup", "out.sqlite3"])
    assert result.exit_code == 1 and "pg_dump" in result.output


def test_a_backup_lands_on_a_disk_without_hard_links(app, tmp_path, monkeypatch):
    # Backup disks are often exFAT or a network share, where a hard link is refused: the backup then
    # fell over at its last step. It is moved into place instead (still never over an existing file).
    def refused(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("webcall.backup_cli.os.link", refused)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "usb.sqlite3")])
    assert result.exit_code == 0, result.output
    assert rows_in(tmp_path / "usb.sqlite3", "webcall_users") == 1
    assert not list(tmp_path.glob(".*.partial"))


def test_a_database_without_accounts_or_calls_is_refused_as_not_the_apps(make_sales_app, tmp_path):
    """A mistyped WEBCALL_DATABASE_URL, or a cron job without the app's environment: the app makes a new,
    empty database there as it starts, and its backup had "succeeded" every night (integrity ok)."""
    app = make_sales_app(
        sales_password=None, sales_admin_email=None, database_url=f"sqlite:///{tmp_path}/mistyped.sqlite3"
    )
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite3")])
    assert result.exit_code == 1, result.output
    assert "mistyped.sqlite3" in result.output and "no studio accounts and no calls" in result.output
    assert "WEBCALL_DATABASE_URL" in result.output
    assert list(tmp_path.glob("*backup*")) == []


def test_the_backup_says_what_it_holds(app, svc, tmp_path):
    svc.calllog.record(demo="northwind", mode="voice", outcome="created")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "integrity ok; 1 studio account, 1 call)" in result.output


def test_the_backup_file_is_readable_by_its_owner_only(app, tmp_path):
    # It holds password hashes, sessions and the call log: it was made 0644, readable by every user.
    old_umask = os.umask(0o022)  # the usual one, under which a plain new file is world-readable
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite3")])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "backup.sqlite3").stat().st_mode) == 0o600


def test_the_backup_is_owner_only_on_a_disk_without_hard_links(app, tmp_path, monkeypatch):
    def refused(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("webcall.backup_cli.os.link", refused)
    old_umask = os.umask(0o022)
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "usb.sqlite3")])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "usb.sqlite3").stat().st_mode) == 0o600
