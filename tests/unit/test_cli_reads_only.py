"""`flask --app app backup FILE` and `flask --app app db current` leave the database's schema as it is.

Every `flask --app app …` command built the app, and building it migrated: an operator backing up
"first" with the new release already on disk (docs/deployment.md, upgrades) had the live database
migrated (0009 -> 0010) before the copy, so the "pre-upgrade" backup held the new schema and the
instances still on the old release met it. Run here as the operator runs them, `python -m flask --app
app …` in the project folder, on a database one revision behind this release."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from webcall import ROOT, schema

from .conftest import ADMIN_EMAIL
from .process_start import clean_env

pytestmark = pytest.mark.unit


def revision(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT version_num FROM alembic_version")}


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def behind(make_sales_app, tmp_path) -> tuple[Path, set[str]]:
    """A database with its admin, taken back one revision: what the previous release ran on."""
    live = tmp_path / "live.sqlite3"
    engine = make_sales_app(database_url=f"sqlite:///{live}").extensions["webcall"].calllog.engine
    with engine.begin() as db:
        command.downgrade(schema.config(db), "-1")
    engine.dispose()
    previous = revision(live)
    assert previous and previous != schema.heads()
    return live, previous


def cli_env(live: Path) -> dict[str, str]:
    return clean_env(
        ITELLICOAI_API_KEY="placeholder-key-for-the-cli",
        ITELLICOAI_AGENT_ID="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        WEBCALL_SECRET_KEY="cli-reads-only-secret-key-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{live}",
        WEBCALL_TASK_QUEUE_URL="memory://",
    )


def test_a_backup_holds_the_schema_as_it_was_and_leaves_the_live_database_as_it_is(behind, tmp_path):
    live, previous = behind
    backup = tmp_path / "pre-upgrade.sqlite3"
    result = flask(cli_env(live), "backup", str(backup))
    assert result.returncode == 0, result.stderr
    assert "integrity ok; 1 studio account" in result.stdout
    assert revision(backup) == previous
    assert revision(live) == previous


def test_db_current_says_where_the_database_is_and_leaves_it_there(behind):
    live, previous = behind
    result = flask(cli_env(live), "db", "current")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"database: {schema.names(previous)}"
    assert revision(live) == previous


def test_a_command_that_writes_still_migrates_first(behind):
    live, _previous = behind
    result = flask(cli_env(live), "users", "list")
    assert result.returncode == 0, result.stderr
    assert ADMIN_EMAIL in result.stdout
    assert revision(live) == schema.heads()


def test_a_database_that_is_not_there_is_neither_made_nor_backed_up(tmp_path):
    # A mistyped WEBCALL_DATABASE_URL: the start made a new database there (and the backup refused it
    # as empty); without the start nothing is made, and the line says what is wrong.
    mistyped = tmp_path / "mistyped.sqlite3"
    result = flask(cli_env(mistyped), "backup", str(tmp_path / "backup.sqlite3"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {mistyped} does not exist: not backed up. Run backup with the app's environment "
        "(WEBCALL_DATABASE_URL)"
    )
    assert not mistyped.exists() and not (tmp_path / "backup.sqlite3").exists()
    sqlite3.connect(mistyped).close()  # there, but no database of the app's: refused as before
    result = flask(cli_env(mistyped), "backup", str(tmp_path / "backup.sqlite3"))
    assert result.returncode == 1 and "has no studio accounts and no calls: not backed up" in result.stderr


# Help and usage errors: click looks every command up to list them in the help (and `users --help`, a
# bare `demos` or a missing argument stop before the command runs), so the start ran at the look-up
# (an operator's audit: `flask --app app --help` migrated the live database). Only running does.
ONLY_LOOKED_UP = (
    ("--help",),
    (),
    ("users", "--help"),
    ("demos",),
    ("users", "list", "--help"),
    ("users", "add"),
    ("users", "nosuch"),
    ("demos", "link", "--expires"),
)


def test_help_and_usage_errors_leave_the_database_as_it_is_and_a_command_run_migrates(behind):
    live, previous = behind
    env = cli_env(live)
    for args in ONLY_LOOKED_UP:
        result = flask(env, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert revision(live) == previous, args
    current = flask(env, "db", "current")
    assert current.returncode == 0, current.stderr
    assert current.stdout.splitlines()[0] == f"database: {schema.names(previous)}"
    result = flask(env, "users", "list")
    assert result.returncode == 0, result.stderr
    assert ADMIN_EMAIL in result.stdout
    assert revision(live) == schema.heads()
