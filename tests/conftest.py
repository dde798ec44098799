"""Shared fixtures: the stand-in API on a free loopback port, and the app pointed at it.

The stand-in here runs without livekit-server or agents (they belong to the e2e fixtures); the
app still reaches it over real HTTP, exactly as it would reach api.itellico.ai.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from sandbox.stack import DEFAULT_AGENT_ID
from sandbox.standin import StandinConfig, create_standin
from tests.lanes import pytest_xdist_make_scheduler  # noqa: F401  (make test's two processes)
from webcall import create_app
from webcall.settings import Settings

STANDIN_KEY = "sandbox-unit-test-key-7Qx2vPz9"
SECRET_KEY = "unit-test-secret-key-0123456789abcdef"


@dataclass
class Standin:
    url: str
    key: str
    app: Flask

    def fault(self, **fault: Any) -> None:
        r = httpx.post(f"{self.url}/_sandbox/faults", json=fault, headers={"X-API-Key": self.key})
        r.raise_for_status()

    def creates(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/_sandbox/creates", headers={"X-API-Key": self.key})
        return r.json()["creates"]

    def clear(self) -> None:
        state = self.app.extensions["standin"]
        state["faults"].clear()
        state["store"].creates.clear()


@pytest.fixture(scope="session")
def standin_server() -> Iterator[Standin]:
    app = create_standin(StandinConfig(api_key=STANDIN_KEY, start_agents=False))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Standin(url=f"http://127.0.0.1:{server.server_port}", key=STANDIN_KEY, app=app)
    server.shutdown()


@pytest.fixture
def standin(standin_server: Standin) -> Iterator[Standin]:
    standin_server.clear()
    yield standin_server
    standin_server.clear()


@pytest.fixture
def settings(standin: Standin) -> Settings:
    return Settings(
        api_key=standin.key,
        agent_id=DEFAULT_AGENT_ID,
        base_url=standin.url,
        secret_key=SECRET_KEY,
        create_timeout_seconds=2.0,
        connect_timeout_seconds=1.0,
    )


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app({"settings": settings, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
