"""A demo's longest call reaches itellico in the create (`overrides.agent.max_duration_seconds`), so
the call ends upstream even when the page's own clock (static/js/call-clock.js) is altered or bypassed;
and the stand-in checks that value and hands it to the call's agent as itellico would."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from sandbox import standin as standin_module
from sandbox.call_store import CallStore
from sandbox.dispatch import CallOptions
from sandbox.stack import DEFAULT_AGENT_ID
from sandbox.standin import SANDBOX_ACCOUNT_ID, StandinConfig, create_standin
from webcall import create_app
from webcall.api import UPSTREAM_LIMIT_SLACK_SECONDS
from webcall.itellico_types import MAX_DURATION_SECONDS, WebCallRequest

pytestmark = pytest.mark.unit

ADMIN = {"agent": {"initial_message": {"mode": "user_first"}}, "amd_mode": "text"}


def sent_overrides(overrides: dict[str, Any] | None, limit: int | None) -> Any:
    request = WebCallRequest(
        agent_id=DEFAULT_AGENT_ID, external_id="x", overrides=overrides, max_duration_seconds=limit
    )
    return request.body().get("overrides")


def test_the_limit_is_merged_into_the_admins_overrides_keeping_every_other_key():
    assert sent_overrides(ADMIN, 300) == {
        "agent": {"initial_message": {"mode": "user_first"}, "max_duration_seconds": 300},
        "amd_mode": "text",
    }
    assert ADMIN == {"agent": {"initial_message": {"mode": "user_first"}}, "amd_mode": "text"}  # untouched
    assert sent_overrides(None, 90) == {"agent": {"max_duration_seconds": 90}}


@pytest.mark.parametrize(("admins", "demos", "sent"), [(120, 300, 120), (900, 300, 300), (300, 300, 300)])
def test_the_smaller_of_the_admins_and_the_demos_limit_wins(admins, demos, sent):
    overrides = {"agent": {"max_duration_seconds": admins, "note": "kept"}}
    assert sent_overrides(overrides, demos) == {"agent": {"max_duration_seconds": sent, "note": "kept"}}


@pytest.mark.parametrize(("admins", "demos"), [(None, 9000), (9000, 8000), (7201, 7300)])
def test_never_above_itellicos_maximum(admins, demos):
    overrides = {"agent": {"max_duration_seconds": admins}} if admins else {}
    assert sent_overrides(overrides, demos) == {"agent": {"max_duration_seconds": MAX_DURATION_SECONDS}}
    assert MAX_DURATION_SECONDS == 7200


@pytest.mark.parametrize("odd", ["60", True, 0, -5, 1.5, None, [30]])
def test_an_admins_value_that_is_no_length_gives_way_to_the_demos(odd):
    assert sent_overrides({"agent": {"max_duration_seconds": odd}}, 120) == {
        "agent": {"max_duration_seconds": 120}
    }


def test_an_agent_override_that_is_no_object_gives_way_to_the_limit():
    assert sent_overrides({"agent": "nonsense", "amd_mode": "ml"}, 60) == {
        "agent": {"max_duration_seconds": 60},
        "amd_mode": "ml",
    }


def test_a_demo_without_a_limit_sends_nothing_new():
    assert sent_overrides(None, None) is None
    assert sent_overrides({}, None) is None
    assert sent_overrides(ADMIN, None) == ADMIN
    big = {"agent": {"max_duration_seconds": 9000}}
    assert sent_overrides(big, None) == big  # the admin's own, as it always went


# -- through the app: the demo decides, the browser cannot --------------------------------------


def test_a_create_carries_the_demos_limit_upstream(settings, standin, tmp_path):
    demos = tmp_path / "demos.toml"
    demos.write_text(
        '[demos.default]\ntitle = "Plain"\n\n'
        '[demos.short]\ntitle = "Short"\nmax_call_minutes = 2\n'
        '[demos.short.overrides.agent]\nmax_duration_seconds = 90\nnote = "admin"\n\n'
        '[demos.long]\ntitle = "Long"\nmax_call_minutes = 5\n'
        "[demos.long.overrides.agent]\nmax_duration_seconds = 600\n",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path}/calls.sqlite3"
    app = create_app(
        {
            "settings": replace(
                settings, demos_file=str(demos), database_url=db, agent_join_timeout_seconds=15
            ),
            "TESTING": True,
        }
    )
    client = app.test_client()
    for demo in ("default", "short", "long"):
        assert client.post("/api/calls", json={"demo": demo}).status_code == 201
    plain, short, long = standin.creates()
    assert "overrides" not in plain  # no limit anywhere: nothing new
    assert short["overrides"] == {"agent": {"max_duration_seconds": 90, "note": "admin"}}
    # The demo's 5 minutes, after the page's own end: the join timeout and a few seconds later.
    assert long["overrides"] == {"agent": {"max_duration_seconds": 300 + 15 + UPSTREAM_LIMIT_SLACK_SECONDS}}


def test_the_default_demo_takes_webcall_max_call_seconds(settings, standin):
    app = create_app(
        {"settings": replace(settings, max_call_seconds=45, agent_join_timeout_seconds=12.5), "TESTING": True}
    )
    response = app.test_client().post("/api/calls", json={})
    assert response.status_code == 201 and response.get_json()["max_call_seconds"] == 45
    (sent,) = standin.creates()
    assert sent["overrides"] == {"agent": {"max_duration_seconds": 45 + 13 + UPSTREAM_LIMIT_SLACK_SECONDS}}


@pytest.mark.parametrize(
    "body", [{"max_call_seconds": 7200}, {"overrides": {"agent": {"max_duration_seconds": 7200}}}]
)
def test_the_browser_cannot_set_the_limit(settings, standin, body):
    app = create_app(
        {"settings": replace(settings, max_call_seconds=45, agent_join_timeout_seconds=12.5), "TESTING": True}
    )
    response = app.test_client().post("/api/calls", json=body)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_request"
    assert standin.creates() == []


# -- the stand-in: what it accepts, what it tells the agent, how the call ends ------------------

KEY = "call-length-unit-key"


def standin_create(app, overrides: Any) -> Any:
    return app.test_client().post(
        f"/v1/accounts/{SANDBOX_ACCOUNT_ID}/calls",
        json={"type": "web", "agent_id": DEFAULT_AGENT_ID, "overrides": overrides},
        headers={"X-API-Key": KEY},
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Input should be greater than or equal to 1"),
        (7201, "Input should be less than or equal to 7200"),
        ("60", "Input should be a valid integer"),
        (True, "Input should be a valid integer"),
        (12.5, "Input should be a valid integer"),
    ],
)
def test_the_standin_refuses_a_length_itellico_would(value, message):
    app = create_standin(StandinConfig(api_key=KEY, start_agents=False))
    response = standin_create(app, {"agent": {"max_duration_seconds": value}})
    assert response.status_code == 422
    assert response.get_json() == {
        "code": "validation_error",
        "message": "Validation failed",
        "errors": [{"field": "body.overrides.agent.max_duration_seconds", "message": message}],
    }


def test_the_standin_refuses_an_agent_override_that_is_no_object():
    app = create_standin(StandinConfig(api_key=KEY, start_agents=False))
    response = standin_create(app, {"agent": [1]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "body.overrides.agent", "message": "Input should be a valid dictionary"}
    ]


def test_the_standin_tells_the_agent_the_length(monkeypatch):
    sent: list[CallOptions] = []
    monkeypatch.setattr(standin_module, "send_agent", lambda *args, **kw: sent.append(args[4]))
    app = create_standin(StandinConfig(api_key=KEY))
    assert standin_create(app, {"agent": {"max_duration_seconds": 7200}}).status_code == 201
    assert standin_create(app, {"agent": {"max_duration_seconds": 1, "note": "x"}}).status_code == 201
    assert standin_create(app, {}).status_code == 201
    assert [o.max_duration_seconds for o in sent] == [7200, 1, None]


def test_call_options_carry_the_length_through_job_metadata():
    options = CallOptions(call_id="c1", max_duration_seconds=30)
    assert CallOptions.from_metadata(options.to_metadata()) == options
    for odd in ("30", True, 0, None):
        metadata = json.dumps({"call_id": "c1", "max_duration_seconds": odd})
        assert CallOptions.from_metadata(metadata).max_duration_seconds is None


def test_a_call_ended_at_its_length_is_completed_with_its_duration():
    store = CallStore()
    call = {"id": "c1", "status": "in_progress", "started_at": None, "messages": [], "modified": None}
    store.add(call, {})
    store.update("c1", {"event": "participant_joined"})
    store.update("c1", {"event": "ended", "reason": "max_duration"})
    ended = store.get("c1")
    assert ended is not None and ended["status"] == "completed"
    assert ended["duration_seconds"] == 0 and ended["ended_at"]
