"""Run by tests/e2e/test_database_keepalive.py in a network namespace of its own (`unshare --net`):
a real PostgreSQL on that namespace's loopback, the app's engine (webcall/db.py) pooling a connection
to it, and then the loopback taken down, so that every packet of the connection is lost without a
word, as behind a firewall or NAT that forgot it. (Taking the loopback down is the one way to lose
packets here: the kernel has no netfilter or tc qdiscs to drop one connection's.) Prints one JSON
object with what it saw.

The engine's keepalive values are made short (module attributes set before the engine is made) so
that it runs in seconds; the shipped values are tests/unit/test_db_keepalives.py's part.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.e2e.servers import postgres_server
from webcall import db

# How long a step may take before it counts as hung (TCP's own retransmissions take ~15 minutes).
BOUND_SECONDS = 15.0
TCP_ESTABLISHED = 1


def loopback(state: str) -> None:
    subprocess.run(["ip", "link", "set", "lo", state], check=True)


def tcp_state(sock: socket.socket) -> int:
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def pooled_socket(engine: Engine) -> socket.socket:
    """A copy of the socket of the connection the pool now holds (it was used, then given back)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        fileno = connection.connection.dbapi_connection.fileno()
    return socket.socket(fileno=os.dup(fileno))


def timed(step: Callable[[], object]) -> dict[str, Any]:
    """How `step` ended ("ok", "error" or "hung") and after how many seconds."""
    outcome: dict[str, Any] = {"ended": "hung"}
    started = time.monotonic()

    def run() -> None:
        try:
            step()
            outcome["ended"] = "ok"
        except Exception as error:
            outcome.update(ended="error", error=type(error).__name__)
        outcome["seconds"] = round(time.monotonic() - started, 1)

    thread = threading.Thread(target=run, daemon=True)  # daemon: a hung step must not hold the exit
    thread.start()
    thread.join(BOUND_SECONDS)
    return dict(outcome)


def select_one(engine: Engine) -> Callable[[], object]:
    def step() -> object:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()

    return step


def main() -> None:
    loopback("up")
    seen: dict[str, Any] = {}
    with postgres_server() as pg, tempfile.TemporaryDirectory() as root:
        db.KEEPALIVES_IDLE_SECONDS, db.KEEPALIVES_INTERVAL_SECONDS, db.KEEPALIVES_COUNT = 1, 1, 2
        db.TCP_USER_TIMEOUT_MS = 2000
        engine = db.engine_for(pg.url, Path(root))

        # 1. An idle pooled connection whose packets are lost: does the kernel close it while it waits?
        sock = pooled_socket(engine)
        loopback("down")
        started = time.monotonic()
        while tcp_state(sock) == TCP_ESTABLISHED and time.monotonic() - started < BOUND_SECONDS:
            time.sleep(0.1)
        seen["idle_closed_after"] = (
            None if tcp_state(sock) == TCP_ESTABLISHED else round(time.monotonic() - started, 1)
        )
        sock.close()
        loopback("up")
        # The next request: the pre-ping finds it dead and the pool makes a new one.
        seen["next_request"] = timed(select_one(engine))

        # 2. A request that meets a pooled connection just as its packets start being lost.
        pooled_socket(engine).close()
        loopback("down")
        seen["request_while_lost"] = timed(select_one(engine))
        loopback("up")
        seen["after"] = timed(select_one(engine))
        engine.dispose()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
