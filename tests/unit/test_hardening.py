"""Small hardening: body size, nesting, content types, the session cookie name."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest

from webcall import create_app

pytestmark = pytest.mark.unit

SALES_PASSWORD = "hardening-password-1"
ADMIN_EMAIL = "admin@example.com"


def assert_error(response, status, code="invalid_request"):
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]


@pytest.fixture
def demos_client(settings):
    app = create_app(
        {
            "settings": replace(
                settings,
                demos_file="demos.toml",
                sales_password=SALES_PASSWORD,
                sales_admin_email=ADMIN_EMAIL,
            )
        }
    )
    return app.test_client()


def test_a_huge_body_is_refused_with_413_before_it_is_read(client, standin):
    huge = b'{"initial_text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/api/calls", data=huge, content_type="application/json")
    assert_error(response, 413)
    assert standin.creates() == []


@pytest.mark.parametrize("padding", ["before", "after"])
def test_a_chunked_body_over_the_limit_is_refused_not_cut(client, standin, padding):
    # Without a Content-Length (Transfer-Encoding: chunked; the WSGI server marks the stream
    # terminated) Werkzeug stopped reading at the 64 KB limit without a word: `{}` and 100,000 spaces
    # was cut to something that parsed and created a call (201); spaces first were "not valid JSON".
    spaces = b" " * 100_000
    raw = b"{}" + spaces if padding == "after" else spaces + b"{}"
    response = client.post(
        "/api/calls",
        input_stream=io.BytesIO(raw),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert_error(response, 413)
    assert standin.creates() == []
    # A chunked body within the limit is read whole, as before.
    fine = client.post(
        "/api/calls",
        input_stream=io.BytesIO(b"{}" + b" " * 60_000),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert fine.status_code == 201, fine.get_json()


def test_deeply_nested_json_is_a_400_not_a_500(client, standin):
    for raw in ("[" * 20_000, '{"demo": ' + "[" * 10_000 + "]" * 10_000 + "}"):
        assert_error(client.post("/api/calls", data=raw, content_type="application/json"), 400)
    assert standin.creates() == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_json_api_refuses_other_content_types(client, standin, content_type):
    # text/plain and form posts are "simple" requests: a foreign site could send them without a preflight.
    response = client.post("/api/calls", data="{}", content_type=content_type)
    assert_error(response, 415)
    assert standin.creates() == []


def test_the_session_cookie_is_named_webcall_session(demos_client):
    page = demos_client.get("/demos/login")
    cookies = page.headers.getlist("Set-Cookie")
    assert cookies and all(c.startswith("webcall_session=") for c in cookies), cookies
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    signed_in = demos_client.post(
        "/demos/login", data={"email": ADMIN_EMAIL, "password": SALES_PASSWORD, "csrf": token}
    )
    assert signed_in.status_code == 302
    # The session, and the cookie that marks this browser as one that signed in (known_browsers.py).
    set_cookies = signed_in.headers.getlist("Set-Cookie")
    assert any(c.startswith("webcall_session=") for c in set_cookies), set_cookies
    assert all(c.startswith("webcall_") for c in set_cookies), set_cookies
