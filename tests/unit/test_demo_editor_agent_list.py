"""The demo editor's agent list (webcall/studio_demos.py) with a slow or failing itellico: read once a
minute per process, not at every render of the editor, and a failed read keeps the list read before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Response, request
from werkzeug.serving import make_server

from sandbox.api_errors import api_error
from sandbox.standin import StandinConfig, create_standin
from webcall import studio_demos

from .conftest import sign_in
from .demo_editor_helpers import post_form

pytestmark = pytest.mark.unit

KEY = "sandbox-unit-test-key-slow-agents"
AVA = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
DELAY = 2.0  # how slowly the stand-in lists its agents: each render that asks waits at least this
NO_LIST = "The agent list could not be loaded from itellico"


@dataclass
class AgentsAnswer:
    """How the stand-in answers `GET …/agents`: after `delay` seconds, or 500 while `failing`; `asked`
    counts the requests."""

    delay: float = 0.0
    failing: bool = False
    asked: int = 0


@pytest.fixture
def agents() -> AgentsAnswer:
    return AgentsAnswer()


@pytest.fixture
def standin_url(agents: AgentsAnswer) -> Iterator[str]:
    standin = create_standin(StandinConfig(api_key=KEY, start_agents=False))

    @standin.before_request
    def slow_agents() -> Response | tuple[Response, int] | None:
        if not request.path.endswith("/agents"):
            return None
        agents.asked += 1
        if agents.failing:
            return api_error(500, "internal_error", "The agent list failed on purpose")
        time.sleep(agents.delay)  # itellico answering slowly (the fault under test)
        return None

    server = make_server("127.0.0.1", 0, standin, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def app(make_sales_app, standin_url: str):
    return make_sales_app(base_url=standin_url, api_key=KEY, create_timeout_seconds=10.0)


def timed_get(client, url: str) -> tuple[str, float]:
    started = time.monotonic()
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True), time.monotonic() - started


def test_a_slow_agent_list_holds_one_render_not_each_one(app, rep, agents):
    agents.delay = DELAY
    page, _ = timed_get(rep, "/demos/new")
    assert f'<option value="{AVA}">Ava' in page and agents.asked == 1
    # Opening another editor and a refused save no longer wait for itellico: the list read above serves.
    page, took = timed_get(rep, "/demos/alpenblick/edit")
    assert f'<option value="{AVA}"' in page and took < DELAY, took
    started = time.monotonic()
    refused = post_form(rep, "/demos/alpenblick/edit", {"title": ""})
    assert refused.status_code == 400 and f'<option value="{AVA}"' in refused.get_data(as_text=True)
    assert time.monotonic() - started < DELAY
    assert agents.asked == 1


def test_a_failed_refresh_keeps_the_list_read_before(app, rep, agents, monkeypatch):
    monkeypatch.setattr(studio_demos, "AGENT_LIST_SECONDS", 0.0, raising=False)  # each render asks again
    page, _ = timed_get(rep, "/demos/new")
    assert f'<option value="{AVA}">Ava' in page
    agents.failing = True
    page, _ = timed_get(rep, "/demos/new")
    assert agents.asked >= 2  # it was asked, and failed
    assert f'<option value="{AVA}">Ava' in page and NO_LIST not in page
    assert 'name="agent_id" type="text"' not in page


def test_a_list_that_cannot_be_read_is_asked_again_only_after_a_while(app, rep, agents, monkeypatch):
    agents.failing = True
    page, _ = timed_get(rep, "/demos/new")
    assert NO_LIST in page and 'name="agent_id" type="text"' in page
    asked = agents.asked
    page, _ = timed_get(rep, "/demos/alpenblick/edit")
    assert NO_LIST in page and agents.asked == asked  # not asked at every render
    agents.failing = False
    monkeypatch.setattr(studio_demos, "AGENT_LIST_SECONDS", 0.0, raising=False)  # the minute has passed
    page, _ = timed_get(rep, "/demos/new")
    assert f'<option value="{AVA}">Ava' in page and NO_LIST not in page


def test_each_app_has_a_list_of_its_own(make_sales_app, standin_url, agents):
    # Another app in the same process (another itellico account, or a test's own) reads its own list.
    for _ in range(2):
        client = make_sales_app(base_url=standin_url, api_key=KEY).test_client()
        sign_in(client)
        timed_get(client, "/demos/new")
    assert agents.asked == 2
