"""`flask --app app backup FILE`: a copy of the app's SQLite database (accounts, demos, links, logos,
the call log, notification settings), taken while the app and the worker run.

Copying the file is not a backup: in WAL mode (webcall/db.py) the newest commits, at first even the
tables, live in `<file>-wal` until a checkpoint, and a copy made during a write can be torn. SQLite's
online backup reads one consistent snapshot while writers go on. The copy is checked (`PRAGMA
integrity_check`) and appears under FILE only when whole; an existing FILE is never overwritten. It is
made readable by its owner only (0600): it holds password hashes, sessions and the call log.
A database with no studio account and no call is refused: it is almost surely not the app's (a
mistyped WEBCALL_DATABASE_URL, or cron without the app's environment), and its nightly backup would say
"integrity ok" for ever. So is a file that is not there (no empty one is made in its place).
The database is copied as it is: this command leaves out the start's work (webcall/cli_start.py), which
migrates, so a backup taken before an upgrade, with the new release on disk, holds the old schema and
the live database keeps it too.
PostgreSQL has its own tool, pg_dump (docs/operations.md#backups).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import click
from flask.cli import with_appcontext

from .accounts import users
from .calllog import calls
from .cli_start import keeps_schema
from .services import services

OWNER_ONLY = 0o600


@keeps_schema
@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the app's SQLite database to TARGET (a new file) while the app runs."""
    url = services().calllog.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"the database is {url.get_backend_name()}: back it up with its own tool (pg_dump for "
            "PostgreSQL; docs/operations.md#backups)"
        )
    if url.database in (None, "", ":memory:"):
        raise click.ClickException("the database is in memory: there is nothing on disk to back up")
    if not Path(url.database).is_file():
        raise click.ClickException(
            f"{url.database} does not exist: not backed up. Run backup with the app's environment "
            "(WEBCALL_DATABASE_URL)"
        )
    if target.exists():
        raise click.ClickException(_exists(target))
    partial = target.with_name(f".{target.name}.partial")
    try:
        size, (accounts, calls_held) = _copy(Path(url.database), partial)
        if not accounts and not calls_held:
            raise click.ClickException(
                f"{url.database} has no studio accounts and no calls: not backed up. Is it the app's "
                "database? Run backup with the app's environment (WEBCALL_DATABASE_URL)"
            )
        held = f"{_count(accounts, 'studio account')}, {_count(calls_held, 'call')}"
        _place(partial, target)
    except FileExistsError:
        raise click.ClickException(_exists(target)) from None
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"cannot back up to {target}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"backed up {url.database} to {target} ({size // 1024} KB, integrity ok; {held})")


def _exists(target: Path) -> str:
    return f"{target} exists; name a new file (a backup never overwrites one)"


def _copy(source: Path, partial: Path) -> tuple[int, tuple[int, int]]:
    """SQLite's online backup of `source` into `partial`, checked; returns its size in bytes and how
    many studio accounts and calls it holds."""
    partial.unlink(missing_ok=True)  # left by a backup that was killed
    # SQLite makes a new database file 0644 (less the umask): world-readable. Made here first, owner-only,
    # SQLite writes into it (an empty file is an empty database) and gives its journal the same mode.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
        problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its integrity check: {problem}")
        there = {name for (name,) in dst.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        accounts, calls_held = (
            dst.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0] if table.name in there else 0
            for table in (users, calls)
        )
    return partial.stat().st_size, (accounts, calls_held)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _place(partial: Path, target: Path) -> None:
    """`partial` becomes `target`, never over a file there: a hard link fails if one appeared meanwhile.
    A disk without hard links (exFAT, many network shares) gets a move after one more look."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(partial, target)
