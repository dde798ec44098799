"""/readyz and the agent of the `/` page (ITELLICOAI_AGENT_ID), against the stand-in API.

A mistyped or deleted agent answered `ready` while every call of the `/` page failed `misconfigured`
(an operator audit): the readiness request asks itellico for that agent (the same one request that
says the API answers), reports `agent: unknown` as `degraded` (200: demo pages name agents of their
own and still work) and logs one OPERATOR line when it turns unknown.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from tests.readiness import checks
from webcall import create_app

pytestmark = pytest.mark.unit

UNKNOWN_AGENT = "00000000-0000-4000-8000-000000000000"


def test_the_configured_agent_is_reported_ok(settings, standin):
    ready = create_app({"settings": settings}).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["checks"]["agent"] == "ok"


def test_an_agent_itellico_does_not_know_is_degraded_with_one_operator_line(settings, standin, caplog):
    client = create_app({"settings": replace(settings, agent_id=UNKNOWN_AGENT)}).test_client()
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"] == checks(agent="unknown")
    # The visitor's side of it: the / page's call fails for this reason.
    created = client.post("/api/calls", json={"mode": "text"})
    assert created.status_code == 503 and created.get_json()["error"]["code"] == "misconfigured"
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.health"]
    assert lines == ["OPERATOR: itellico does not know ITELLICOAI_AGENT_ID: calls of the / page fail"]
