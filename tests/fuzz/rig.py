"""The apps the fuzz tests drive, both the real `create_app`: `fuzz_app` with itellico replaced by a
function of the request (no network, no waiting between retries) and the account lookup always
answered; `studio_app` against the stand-in server over real HTTP with the studio on, and `sign_in`
to be its admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient

from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import SECRET_KEY, Standin
from webcall import create_app
from webcall.settings import Settings

ACCOUNT = {"id": "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10", "name": "Fuzz"}
STUDIO_PASSWORD = "fuzzing-password-123"
ADMIN_EMAIL = "admin@example.com"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def fuzz_app(
    answer: Callable[[httpx.Request], httpx.Response], *, account: Any = ACCOUNT, **settings: Any
) -> Flask:
    """`answer` gives itellico's reply to every request but the account lookup (answered `account`);
    `settings` override."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts/current"):
            return httpx.Response(200, json=account)
        return answer(request)

    base = Settings(api_key="fuzz-key-0123456789", agent_id=DEFAULT_AGENT_ID)
    return create_app(
        {
            "settings": replace(base, secret_key=SECRET_KEY, **settings),
            "itellico_transport": httpx.MockTransport(handler),
            "itellico_sleep": lambda _seconds: None,
            "TESTING": True,
        }
    )


def studio_app(standin: Standin, **settings: Any) -> Flask:
    """The app against `standin` (its `.key` and `.url`), the demos from demos.toml and the studio on
    with `ADMIN_EMAIL` as its admin; `settings` override (a database, rate limits, ...)."""
    base = Settings(
        api_key=standin.key,
        agent_id=DEFAULT_AGENT_ID,
        base_url=standin.url,
        secret_key=SECRET_KEY,
        demos_file="demos.toml",
        sales_password=STUDIO_PASSWORD,
        sales_admin_email=ADMIN_EMAIL,
    )
    return create_app({"settings": replace(base, **settings), "TESTING": True})


def sign_in(
    app: Flask, page: str = "/demos", email: str = ADMIN_EMAIL, password: str = STUDIO_PASSWORD
) -> tuple[FlaskClient, str]:
    """A client signed in to the studio, and the CSRF token read from `page`."""
    client = app.test_client()
    token = CSRF.search(client.get("/demos/login").get_data(as_text=True)).group(1)
    signed = {"email": email, "password": password, "csrf": token}
    assert client.post("/demos/login", data=signed).status_code == 302
    return client, CSRF.search(client.get(page).get_data(as_text=True)).group(1)
