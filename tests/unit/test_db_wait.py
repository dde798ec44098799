"""A database server that is not up when the app starts (webcall/db_wait.py): waited for a bounded
time, then one line calling it unreachable; a refusal that waiting cannot change stops at once.
tests/e2e/test_database_start.py does the same with a real PostgreSQL that comes up late."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from webcall import db_wait
from webcall.db import open_database
from webcall.settings import SettingsError

pytestmark = pytest.mark.unit

PASSWORD = "s3cret-db-password"


def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_that_never_comes_up_is_waited_for_then_called_unreachable(
    tmp_path: Path, monkeypatch, caplog
):
    # Before: exit at once with `cannot migrate the schema: OperationalError: connection failed: …
    # Connection refused` and libpq's hint on a second line, worded as a bad setting.
    monkeypatch.setattr(db_wait, "WAIT_SECONDS", 1.0)  # 60 s as served
    monkeypatch.setattr(db_wait, "PAUSE_SECONDS", 0.1)
    monkeypatch.setattr(db_wait, "LOG_EVERY_SECONDS", 0.45)
    port = closed_port()
    with caplog.at_level(logging.INFO, logger="webcall.db_wait"), pytest.raises(SettingsError) as stopped:
        open_database(f"postgresql+psycopg://webcall:{PASSWORD}@127.0.0.1:{port}/calls", tmp_path)
    line = str(stopped.value)
    assert line.startswith(f"the database at 127.0.0.1:{port}/calls is unreachable (tried for 1 s): ")
    assert line.endswith(": Connection refused; start it, or correct WEBCALL_DATABASE_URL")
    assert "\n" not in line and PASSWORD not in line
    waits = [r.getMessage() for r in caplog.records if r.name == "webcall.db_wait"]
    assert 2 <= len(waits) <= 3, waits  # every LOG_EVERY_SECONDS, not every attempt (about ten)
    assert waits[0] == (
        f"waiting for the database at 127.0.0.1:{port}/calls (Connection refused): 0 s so far, "
        "trying again for up to 1 s"
    )
    assert PASSWORD not in caplog.text


class _Refusal(Exception):
    pass


def failed(message: str) -> OperationalError:
    return OperationalError("connect", {}, _Refusal(message))


@pytest.mark.parametrize(
    "message",
    [
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?",
        "failed to resolve host 'db.internal': [Errno -3] Temporary failure in name resolution",
        'connection is bad: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: '
        "No such file or directory",
        "connection timeout expired",
        'connection failed: connection to server at "10.0.0.7", port 5432 failed: FATAL:  the database '
        "system is starting up",
        'connection failed: connection to server at "10.0.0.7", port 5432 failed: FATAL:  sorry, too many '
        "clients already",
    ],
)
def test_what_waiting_may_fix_is_waited_for(message: str):
    assert db_wait.may_pass(failed(message))


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
            'authentication failed for user "webcall"',
            'password authentication failed for user "webcall"',
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database '
            '"calls" does not exist',
            'database "calls" does not exist',
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  no '
            'pg_hba.conf entry for host "10.0.0.9", user "webcall", database "calls", no encryption',
            'no pg_hba.conf entry for host "10.0.0.9", user "webcall", database "calls", no encryption',
        ),
    ],
)
def test_what_waiting_cannot_fix_is_not_waited_for(message: str, reason: str):
    assert not db_wait.may_pass(failed(message))
    assert db_wait.reason(failed(message)) == reason
