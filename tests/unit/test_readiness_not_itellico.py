"""/readyz and a create when the itellico API's address answers, but not as itellico does.

An ITELLICOAI_BASE_URL that names a website, a single-page app or a captive proxy answers 200 with
HTML (or `null`, or 204) to everything: /readyz said `upstream: ok`, `ready`, while every call failed.
One whose server answers HTML 404 to everything was reported as `agent: unknown`, and the create's
OPERATOR line blamed the key, the account and the agent. Now an answer that is not itellico's JSON at
all is `upstream: bad_response` (not ready), and the OPERATOR line names ITELLICOAI_BASE_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from flask import Flask

from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import SECRET_KEY
from webcall import create_app
from webcall.itellico import ItellicoClient
from webcall.itellico_errors import UpstreamError, UpstreamErrorKind
from webcall.settings import Settings

pytestmark = pytest.mark.unit

ACCOUNT_ID = "7d0c5a8e-2b5e-4c1a-9f3e-0a6b2d4c8e10"
HTML = {"Content-Type": "text/html"}
Answer = Callable[[httpx.Request], httpx.Response]

NOT_ITELLICO: dict[str, Answer] = {
    "html_200": lambda _r: httpx.Response(200, content=b"<html><body>Welcome</body></html>", headers=HTML),
    "null": lambda _r: httpx.Response(200, content=b"null"),
    "list": lambda _r: httpx.Response(200, content=b"[]"),
    "no_content": lambda _r: httpx.Response(204),
    "html_404": lambda _r: httpx.Response(404, content=b"<html>Not Found</html>", headers=HTML),
    "redirect": lambda _r: httpx.Response(301, headers={"Location": "https://www.example/"}),
}


def client_answering(answer: Answer) -> ItellicoClient:
    return ItellicoClient(
        "https://www.example", "k", account_id=ACCOUNT_ID, transport=httpx.MockTransport(answer)
    )


@pytest.mark.parametrize("answer", NOT_ITELLICO.values(), ids=NOT_ITELLICO.keys())
def test_an_answer_that_is_not_itellicos_json_fails_the_check(answer, caplog):
    client = client_answering(answer)
    with caplog.at_level(logging.ERROR, logger="webcall.itellico"):
        for _ in range(3):
            with pytest.raises(UpstreamError) as info:
                client.check(agent_id=DEFAULT_AGENT_ID)
            assert info.value.kind is UpstreamErrorKind.BAD_RESPONSE  # never not_found: no agent's fault
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.itellico"]
    assert len(lines) == 1 and "ITELLICOAI_BASE_URL" in lines[0], lines  # once, not at every check


def test_the_operator_line_comes_again_after_the_check_passed_once(caplog):
    answers = iter([NOT_ITELLICO["html_200"], lambda _r: httpx.Response(200, json={"id": "a"})] * 2)
    client = client_answering(lambda request: next(answers)(request))
    with caplog.at_level(logging.ERROR, logger="webcall.itellico"):
        for _ in range(2):
            with pytest.raises(UpstreamError):
                client.check()
            client.check()
    assert len([r for r in caplog.records if "ITELLICOAI_BASE_URL" in r.getMessage()]) == 2


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (
            lambda _r: httpx.Response(404, json={"code": "not_found", "message": "Agent not found"}),
            "not_found",
        ),
        (lambda _r: httpx.Response(401, json={"detail": "Not authenticated"}), "unauthorized"),
        (lambda _r: httpx.Response(502, content=b"<html>bad gateway</html>", headers=HTML), "unavailable"),
    ],
    ids=["itellico_404", "itellico_401", "gateway_502"],
)
def test_itellicos_own_refusals_and_a_gateways_page_keep_their_meaning(answer, kind, caplog):
    with caplog.at_level(logging.ERROR, logger="webcall.itellico"), pytest.raises(UpstreamError) as info:
        client_answering(answer).check(agent_id=DEFAULT_AGENT_ID)
    assert info.value.kind.value == kind
    assert not caplog.records


def app_answering(answer: Answer) -> Flask:
    settings = Settings(api_key="not-itellico-key-0123", agent_id=DEFAULT_AGENT_ID, secret_key=SECRET_KEY)
    return create_app(
        {
            "settings": replace(settings, account_id=ACCOUNT_ID),
            "itellico_transport": httpx.MockTransport(answer),
            "itellico_sleep": lambda _seconds: None,
            "TESTING": True,
        }
    )


@pytest.mark.parametrize("name", ["html_200", "html_404", "no_content"])
def test_readyz_is_not_ready_when_the_address_is_not_itellicos(name):
    ready = app_answering(NOT_ITELLICO[name]).test_client().get("/readyz")
    assert ready.status_code == 503
    checks = ready.get_json()["checks"]
    assert (checks["upstream"], "agent" in checks) == ("bad_response", False)


def test_a_create_answered_by_something_else_names_the_base_url_not_the_key(caplog):
    client = app_answering(NOT_ITELLICO["html_404"]).test_client()
    with caplog.at_level(logging.ERROR, logger="webcall.calls"):
        created = client.post("/api/calls", json={})
    assert created.status_code == 503 and created.get_json()["error"]["code"] == "misconfigured"
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.calls"]
    assert len(lines) == 1 and "ITELLICOAI_BASE_URL" in lines[0] and "ITELLICOAI_API_KEY" not in lines[0]
