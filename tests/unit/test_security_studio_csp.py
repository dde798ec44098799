"""The studio's pages (/demos…) show share-link tokens, prospects' names and transcripts, and connect to
nothing but the app: their CSP allows connections to the app only, not the call pages' `wss:`/`https:`
(and WEBCALL_CSP_CONNECT_SRC) that LiveKit needs (a security audit). The call pages keep theirs."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.unit

LIVEKIT = "ws://127.0.0.1:7880"


@pytest.fixture
def app(make_sales_app):
    return make_sales_app(extra_connect_src=(LIVEKIT,))


def directive(csp: str, name: str) -> list[str]:
    found = re.search(rf"(?:^|;)\s*{name}\s+([^;]*)", csp)
    assert found, f"no {name} in {csp!r}"
    return found.group(1).split()


def csp_of(client, path: str) -> str:
    response = client.get(path)
    assert response.mimetype == "text/html", (path, response.status_code)
    return response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/demos", "/demos/new", "/demos/alpenblick/edit", "/demos/calls", "/demos/account", "/demos/x/y"]
)
def test_a_studio_page_connects_to_the_app_only(rep, path):
    csp = csp_of(rep, path)
    assert directive(csp, "connect-src") == ["'self'"]
    for broad in ("wss:", "https:", "blob:", "mediastream:", LIVEKIT):
        assert broad not in " ".join(directive(csp, "connect-src") + directive(csp, "default-src")), csp
    assert "blob:" not in csp and "mediastream:" not in csp  # no call, no recording: nothing to play
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp


def test_the_sign_in_page_connects_to_the_app_only(app):
    assert directive(csp_of(app.test_client(), "/demos/login"), "connect-src") == ["'self'"]


@pytest.mark.parametrize("path", ["/", "/demo/northwind"])
def test_a_call_page_still_reaches_livekit(app, path):
    connect = directive(csp_of(app.test_client(), path), "connect-src")
    assert connect == ["'self'", "wss:", "https:", LIVEKIT]


def policy(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


def test_the_studios_policy_is_the_call_pages_less_their_connections_and_media(rep):
    # One builder (webcall/security.py): a directive tightened for the call pages reaches the studio too.
    calls, studio = policy(csp_of(rep, "/")), policy(csp_of(rep, "/demos"))
    expected = {name: value for name, value in calls.items() if name not in ("media-src", "worker-src")}
    assert studio == expected | {"connect-src": "'self'"}
