"""PostgreSQL connections and a network that loses their packets without a word (webcall/db.py).

- The app's connections to a real PostgreSQL carry the keepalive values and the user timeout on their
  socket: read from the kernel (getsockopt) on the connection the pool holds. The server cannot tell:
  its `SHOW tcp_keepalives_idle` is its own end's (the kernel's default, 7200 s here).
- With the connection's packets lost (a namespace of its own whose loopback is taken down:
  tests/e2e/db_blackhole.py), an idle pooled connection is closed by the kernel within seconds and the
  next request gets a new one at once; a request that meets the loss fails within the user timeout.
  Before, the idle connection stayed open and the request hung on TCP's retransmissions (~15 minutes).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from webcall import ROOT, db

from .servers import Postgres, postgres_server


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def engine(pg: Postgres, tmp_path) -> Iterator[Engine]:
    engine = db.engine_for(pg.url, tmp_path)
    yield engine
    engine.dispose()


def test_the_connections_socket_has_the_keepalives_and_the_user_timeout(engine):
    with engine.connect() as connection:
        server_idle = connection.execute(text("SHOW tcp_keepalives_idle")).scalar()
        sock = socket.socket(fileno=os.dup(connection.connection.dbapi_connection.fileno()))
    with sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == db.KEEPALIVES_IDLE_SECONDS
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == db.KEEPALIVES_INTERVAL_SECONDS
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == db.KEEPALIVES_COUNT
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == db.TCP_USER_TIMEOUT_MS
    # The server reports its own end of the connection: the kernel's default, whatever the client asked.
    assert server_idle == Path("/proc/sys/net/ipv4/tcp_keepalive_time").read_text().strip()


def test_a_connection_whose_packets_are_lost_is_replaced_not_waited_for():
    ran = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "tests.e2e.db_blackhole"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    # The idle one: the kernel's probes went unanswered (1 s idle, 2 probes 1 s apart, 2 s user timeout).
    assert seen["idle_closed_after"] is not None, seen
    assert seen["idle_closed_after"] < 8, seen
    assert seen["next_request"] == {"ended": "ok", "seconds": seen["next_request"]["seconds"]}, seen
    # At once, not after a dead connection's wait: a bound far under the "hung" one (15 s) with room for a
    # busy CI machine to make the new connection.
    assert seen["next_request"]["seconds"] < 5, seen
    # The busy one: it fails (the new connection cannot get through either) within the user timeout
    # and the reconnect's, instead of hanging.
    assert seen["request_while_lost"]["ended"] == "error", seen
    assert seen["request_while_lost"]["error"] == "OperationalError", seen
    assert seen["request_while_lost"]["seconds"] < 10, seen
    assert seen["after"]["ended"] == "ok", seen
