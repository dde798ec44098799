"""A PostgreSQL connection asks the kernel for TCP keepalives and a user timeout (webcall/db.py).

A firewall or NAT that forgets an idle connection drops its packets without a word: the next request's
pre-ping (one round trip) then waited for TCP's retransmissions to give up (about 15 minutes on Linux).
What reaches libpq is read where SQLAlchemy hands it to the driver (the `do_connect` event); that the
kernel gets it is tests/e2e/test_database_keepalive.py's part, against a real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from webcall import db

pytestmark = pytest.mark.unit


class Captured(Exception):
    pass


def connect_params(url: str, root: Path) -> dict[str, Any]:
    """What the engine for `url` would hand the driver to connect (nothing connects)."""
    engine = db.engine_for(url, root)
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        seen.update(params)
        raise Captured

    with pytest.raises(Captured):
        engine.connect()
    return seen


def test_postgresql_connections_ask_for_keepalives_and_a_user_timeout(tmp_path):
    params = connect_params("postgresql+psycopg://u:p@db.internal:5432/webcall", tmp_path)
    assert params["keepalives"] == 1
    assert params["keepalives_idle"] == db.KEEPALIVES_IDLE_SECONDS
    assert params["keepalives_interval"] == db.KEEPALIVES_INTERVAL_SECONDS
    assert params["keepalives_count"] == db.KEEPALIVES_COUNT
    assert params["tcp_user_timeout"] == db.TCP_USER_TIMEOUT_MS
    assert params["connect_timeout"] == db.CONNECT_TIMEOUT_SECONDS


def test_the_values_find_a_dead_connection_within_a_minute():
    # An idle connection: the first probe after KEEPALIVES_IDLE_SECONDS, then COUNT probes apart.
    idle_death = db.KEEPALIVES_IDLE_SECONDS + db.KEEPALIVES_INTERVAL_SECONDS * db.KEEPALIVES_COUNT
    assert idle_death <= 60
    # A request on one: its unanswered packets for at most this long (libpq takes milliseconds).
    assert 5_000 <= db.TCP_USER_TIMEOUT_MS <= 60_000


def test_a_urls_own_values_win(tmp_path):
    params = connect_params(
        "postgresql+psycopg://u:p@db.internal/webcall?keepalives_idle=120&tcp_user_timeout=0&connect_timeout=3",
        tmp_path,
    )
    assert params["keepalives_idle"] == "120"
    assert params["tcp_user_timeout"] == "0"
    assert params["connect_timeout"] == "3"
    assert params["keepalives"] == 1  # the ones it does not name are still ours


def test_sqlite_gets_none_of_them(tmp_path):
    params = connect_params(f"sqlite:///{tmp_path / 'calls.sqlite3'}", tmp_path)
    assert not {"keepalives", "keepalives_idle", "tcp_user_timeout", "connect_timeout"} & params.keys()
