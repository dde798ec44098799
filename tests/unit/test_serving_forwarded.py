"""Who gunicorn says the client is, and whether a request came over https, behind a proxy or not.

The app believes `X-Forwarded-*` only from WEBCALL_TRUSTED_PROXY_HOPS trusted proxies (ProxyFix,
webcall/security.py). gunicorn has a trust of its own, `forwarded_allow_ips`, 127.0.0.1 and ::1 by
default: with hops 0 a request from loopback carrying `X-Forwarded-Proto: https` was https to the app
all the same (HSTS sent, `request.is_secure`), while the app logs that it ignores such headers.
gunicorn.conf.py now trusts no peer's forwarded headers: ProxyFix alone decides.

The access line's client is the address the app trusts: ProxyFix rewrites the request's REMOTE_ADDR,
which gunicorn's access line prints, so behind the shipped nginx (hops 1) it is the visitor's, and with
hops 0 the peer's, whatever X-Forwarded-For says.

A real gunicorn with gunicorn.conf.py, the request from loopback as nginx's would be: a few seconds."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.unit.test_serving_config import gunicorn_serving

pytestmark = pytest.mark.unit

VISITOR = "203.0.113.9"
FORWARDED = {"X-Forwarded-For": VISITOR, "X-Forwarded-Proto": "https"}


def access_line(log: Path, request_id: str) -> str:
    """gunicorn's access line of the request (written once the answer is sent)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in log.read_text().splitlines() if f"request_id={request_id}" in line]
        access = [line for line in lines if '"GET /healthz' in line]
        if access:
            return access[0]
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def test_without_a_trusted_proxy_forwarded_headers_from_loopback_change_nothing(tmp_path: Path) -> None:
    with gunicorn_serving(tmp_path, WEBCALL_TRUSTED_PROXY_HOPS="0") as (port, _):
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", headers=FORWARDED, timeout=10)
        assert answer.status_code == 200
        assert "Strict-Transport-Security" not in answer.headers  # not https: nobody vouched for it
        line = access_line(tmp_path / "gunicorn.log", answer.headers["X-Request-ID"])
    assert line.startswith("127.0.0.1 "), line
    assert VISITOR not in line


def test_behind_one_trusted_proxy_the_access_line_names_the_visitor(tmp_path: Path) -> None:
    with gunicorn_serving(tmp_path, WEBCALL_TRUSTED_PROXY_HOPS="1") as (port, _):
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", headers=FORWARDED, timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"  # the proxy's https
        line = access_line(tmp_path / "gunicorn.log", answer.headers["X-Request-ID"])
    assert line.startswith(f"{VISITOR} "), line
