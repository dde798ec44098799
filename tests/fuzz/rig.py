"""The app the fuzz tests drive: the real `create_app`, with itellico replaced by a function of the
request (no network, no waiting between retries) and the account lookup always answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
from flask import Flask

from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import SECRET_KEY
from webcall import create_app
from webcall.settings import Settings

ACCOUNT = {"id": "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10", "name": "Fuzz"}


def fuzz_app(answer: Callable[[httpx.Request], httpx.Response], **settings: Any) -> Flask:
    """`answer` gives itellico's reply to every request but the account lookup; `settings` override."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts/current"):
            return httpx.Response(200, json=ACCOUNT)
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
