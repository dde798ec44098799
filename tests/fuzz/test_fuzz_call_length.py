"""Fuzz the longest call both ways. The stand-in's create check: any JSON as
`overrides.agent.max_duration_seconds` is taken when it is a whole number in 1..7200 (or null: the
Agent PATCH shape types it `Optional[int]`), else refused with the API's 422 field error, never a 5xx.
The app's merge: whatever the admin's overrides hold, the create sends a length within the demo's
limit, the admin's own and 7200, and every other key as the admin wrote it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sandbox.stack import DEFAULT_AGENT_ID
from sandbox.standin import SANDBOX_ACCOUNT_ID, StandinConfig, create_standin
from webcall.itellico_types import MAX_DURATION_SECONDS, WebCallRequest

pytestmark = pytest.mark.fuzz

KEY = "fuzz-call-length-key"
FIELD = "body.overrides.agent.max_duration_seconds"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-3, max_value=7205),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def is_length(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DURATION_SECONDS


STANDIN = create_standin(StandinConfig(api_key=KEY, start_agents=False, max_concurrent_calls=10**9))


@settings(max_examples=400, deadline=None, database=None)
@example(0)
@example(1)
@example(7200)
@example(7201)
@example(True)
@example(30.0)
@example("30")
@given(any_json)
def test_the_standin_takes_only_a_length_itellico_takes(value: Any) -> None:
    response = STANDIN.test_client().post(
        f"/v1/accounts/{SANDBOX_ACCOUNT_ID}/calls",
        json={
            "type": "web",
            "agent_id": DEFAULT_AGENT_ID,
            "overrides": {"agent": {"max_duration_seconds": value}},
        },
        headers={"X-API-Key": KEY},
    )
    if value is None or is_length(value):
        assert response.status_code == 201, response.get_json()
        return
    assert response.status_code == 422, (value, response.status_code)
    body = response.get_json()
    assert body["code"] == "validation_error" and body["message"] == "Validation failed"
    (error,) = body["errors"]
    assert error["field"] == FIELD and error["message"].startswith("Input should be")


admin_overrides = st.dictionaries(
    st.sampled_from(["agent", "amd_mode", "x"]),
    st.one_of(
        any_json,
        st.dictionaries(st.sampled_from(["max_duration_seconds", "note", "voice"]), any_json, max_size=3),
    ),
    max_size=3,
)


@settings(max_examples=1500, deadline=None, database=None)
@given(admin_overrides, st.integers(min_value=1, max_value=20_000))
def test_the_create_never_sends_more_than_the_demo_the_admin_or_itellico_allows(
    overrides: dict[str, Any], limit: int
) -> None:
    request = WebCallRequest(
        agent_id=DEFAULT_AGENT_ID, external_id="x", overrides=overrides, max_duration_seconds=limit
    )
    sent = request.body()["overrides"]
    agent = sent["agent"]
    assert is_length(agent["max_duration_seconds"])
    assert agent["max_duration_seconds"] <= limit
    admins = overrides.get("agent")
    admin_agent = admins if isinstance(admins, dict) else {}
    own = admin_agent.get("max_duration_seconds")
    # The smallest of the demo's limit, itellico's maximum and the admin's own (when it is a length).
    assert agent["max_duration_seconds"] == min(limit, MAX_DURATION_SECONDS, own if is_length(own) else limit)
    assert {k: v for k, v in sent.items() if k != "agent"} == {
        k: v for k, v in overrides.items() if k != "agent"
    }
    assert {k: v for k, v in agent.items() if k != "max_duration_seconds"} == {
        k: v for k, v in admin_agent.items() if k != "max_duration_seconds"
    }
