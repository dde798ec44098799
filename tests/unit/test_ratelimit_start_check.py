"""A rate-limit Redis the app cannot reach is said at start, in one `OPERATOR:` line.

An operator's audit: `WEBCALL_RATE_LIMIT_STORAGE_URI=redis://127.0.0.1:18378/0` (nothing listening)
started without a word; Flask-Limiter fell back to counting in each process's memory, so with two
gunicorn workers one address got 12 creates through a 10/minute limit. The app still starts (calls
work without the Redis; webcall/ratelimit.py), but says so once, without the URI's password.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import replace

import pytest
import redis

from tests.e2e.servers import redis_server
from webcall import create_app

pytestmark = pytest.mark.unit

PASSWORD = "S3cretPW-ratelimit"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _operator_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith("OPERATOR:") and "WEBCALL_RATE_LIMIT_STORAGE_URI" in r.getMessage()
    ]


@pytest.mark.parametrize(
    "uri",
    ["redis://:{password}@127.0.0.1:{port}/0", "redis+sentinel://:{password}@127.0.0.1:{port}/mymaster"],
)
def test_an_unreachable_rate_limit_redis_is_one_operator_line_and_calls_still_work(settings, caplog, uri):
    uri = uri.format(password=PASSWORD, port=_closed_port())
    with caplog.at_level(logging.WARNING):
        app = create_app({"settings": replace(settings, rate_limit_storage_uri=uri)})
    lines = _operator_lines(caplog)
    assert len(lines) == 1, caplog.text
    assert "memory" in lines[0] and "ConnectionError" in lines[0]
    assert PASSWORD not in caplog.text  # nor any of the URI: a query may carry a password too
    # Not refused: creates are limited in memory meanwhile.
    assert app.test_client().post("/api/calls", json={"mode": "text"}).status_code == 201


def test_a_reachable_rate_limit_redis_says_nothing(settings, caplog, tmp_path):
    with redis_server(tmp_path) as url, caplog.at_level(logging.WARNING):
        create_app({"settings": replace(settings, rate_limit_storage_uri=url)})
    assert _operator_lines(caplog) == []


def test_memory_storage_says_nothing(settings, caplog):
    with caplog.at_level(logging.WARNING):
        create_app({"settings": replace(settings, rate_limit_storage_uri="memory://")})
    assert _operator_lines(caplog) == []


def test_a_sentinel_apps_storage_options_do_not_reach_the_next_apps_redis(settings, tmp_path):
    # One Limiter per process: Flask-Limiter adds each app's storage options to those it holds, so the
    # Sentinels' `sentinel_kwargs` of one app reached a later app's plain Redis client (a TypeError at
    # its first use: sign-ins answered 500). A process serves one app; tests build many.
    create_app(
        {
            "settings": replace(
                settings, rate_limit_storage_uri=f"redis+sentinel://127.0.0.1:{_closed_port()}/m"
            )
        }
    )
    with redis_server(tmp_path) as url:
        app = create_app({"settings": replace(settings, rate_limit_storage_uri=url)})
        assert app.test_client().post("/api/calls", json={"mode": "text"}).status_code == 201
        assert redis.Redis.from_url(url).keys("LIMITS*")  # counted in the Redis, not in memory
