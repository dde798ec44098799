"""The agent list has a short deadline of its own (webcall/itellico.py AGENT_LIST_SECONDS): the studio's
demo editor asks for it to render its agent picker, and without it a slow or hung itellico held the
editor for the client's whole timeout (ITELLICOAI_TIMEOUT_SECONDS, 15 s by default) before it showed
the text field for the agent's id it falls back to.

The "itellico" is test_itellico_deadline.py's raw-socket one: it trickles an answer's headers a byte at
a time, far within any per-read timeout, for longer than any deadline here.
"""

from __future__ import annotations

import httpx
import pytest

from webcall import itellico
from webcall.itellico_errors import UpstreamError, UpstreamErrorKind

from .test_itellico_deadline import ACCOUNT_ID, in_thread, upstream  # noqa: F401 (a fixture)

pytestmark = pytest.mark.unit

CLIENT_TIMEOUT = 20.0  # far past in_thread's wait: a list bounded by it alone fails the test
SHORT = 0.5  # the agent list's deadline in these tests (AGENT_LIST_SECONDS is a few seconds)
SLACK = 2.5  # a busy machine (two test processes on 2 cores)

AGENTS = b'{"count": 1, "items": [{"id": "a0b1c2d3-0000-4000-8000-000000000001", "name": "Ava"}]}'


def client_of(url: str, timeout: float = CLIENT_TIMEOUT, **options: object) -> itellico.ItellicoClient:
    return itellico.ItellicoClient(
        url, "k", account_id=ACCOUNT_ID, timeout=timeout, sleep=lambda _s: None, **options
    )


def test_a_hung_agent_list_is_given_up_after_its_own_short_deadline(upstream, monkeypatch):  # noqa: F811
    monkeypatch.setattr(itellico, "AGENT_LIST_SECONDS", SHORT)
    slow = upstream("trickle_headers")
    error, took = in_thread(lambda: client_of(slow.url).list_agents())
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert took < SHORT + SLACK, took


def test_the_agent_list_waits_no_longer_than_its_deadline_per_read():
    # httpx's own per-read timeout is the deadline's too, not the client's whole timeout.
    read_timeouts: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, content=AGENTS)

    client = client_of("https://api.example", transport=httpx.MockTransport(answer))
    assert [agent.name for agent in client.list_agents()] == ["Ava"]
    assert read_timeouts and max(read_timeouts) <= itellico.AGENT_LIST_SECONDS < CLIENT_TIMEOUT


def test_a_client_timeout_shorter_than_the_agent_lists_deadline_still_bounds_it():
    read_timeouts: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, content=AGENTS)

    client = client_of("https://api.example", 1.0, transport=httpx.MockTransport(answer))  # the least allowed
    client.list_agents()
    assert max(read_timeouts) <= 1.0
