"""What the itellico client (webcall/itellico.py) sends and returns: the documented create-call body
for a web call and the answers it reads, as frozen dataclasses, so that their users (webcall/api.py,
webcall/studio_calls.py) need no client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JoinInfo:
    token: str = field(repr=False)
    livekit_url: str
    room_sid: str | None


@dataclass(frozen=True)
class WebCall:
    id: str
    status: str
    agent_id: str | None
    agent_name: str | None
    external_id: str | None
    join: JoinInfo


@dataclass(frozen=True)
class CallMessage:
    role: str
    message: str
    timestamp: str | None


@dataclass(frozen=True)
class CallDetails:
    id: str
    status: str
    type: str | None
    agent_name: str | None
    started_at: str | None
    ended_at: str | None
    duration_seconds: int | None
    messages: tuple[CallMessage, ...]
    # `capture.recording_url` (documented: "URL or path of the recording, when there is one").
    recording_url: str | None = None


@dataclass(frozen=True)
class Agent:
    id: str
    name: str


@dataclass(frozen=True)
class Account:
    id: str
    name: str | None


# The longest call itellico takes: Agent PATCH's `max_duration_seconds` (max 7200), the shape of a
# create's `overrides.agent` (../shared/reference/itellico-api.md §3.1.2, §5.3, §5.4).
MAX_DURATION_SECONDS = 7200


def is_call_length(value: object) -> bool:
    """Whether itellico takes `value` as a call's `max_duration_seconds`: a whole number in 1..7200."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DURATION_SECONDS


@dataclass(frozen=True)
class WebCallRequest:
    """The documented create-call body for `type: web`; None fields are left out."""

    agent_id: str
    external_id: str
    initial_text: str | None = None
    audio_input_enabled: bool | None = None
    audio_output_enabled: bool | None = None
    skip_greeting_on_initial_text: bool | None = None
    device_fingerprint: str | None = None
    test_variables: Mapping[str, str] | None = None
    overrides: Mapping[str, Any] | None = None
    # The demo's longest call, sent as `overrides.agent.max_duration_seconds` so that itellico ends
    # the call: the page's clock (static/js/call-clock.js) binds only a page that keeps it.
    max_duration_seconds: int | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "web"}
        for name in (
            "agent_id",
            "external_id",
            "initial_text",
            "audio_input_enabled",
            "audio_output_enabled",
            "skip_greeting_on_initial_text",
            "device_fingerprint",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.test_variables:
            body["test_variables"] = dict(self.test_variables)
        overrides = with_max_duration(self.overrides, self.max_duration_seconds)
        if overrides:
            body["overrides"] = overrides
        return body


def with_max_duration(overrides: Mapping[str, Any] | None, limit: int | None) -> dict[str, Any]:
    """`overrides` (a copy) with `limit` merged in as `agent.max_duration_seconds`: every other key
    kept; the smaller of `limit` and a length the overrides already set wins; never above
    MAX_DURATION_SECONDS. An `agent` that is no object, or a set length itellico would refuse
    (`is_call_length`), gives way to `limit`. No limit: the overrides as they are."""
    merged = dict(overrides or {})
    if limit is None:
        return merged
    agent = merged.get("agent")
    agent = dict(agent) if isinstance(agent, Mapping) else {}
    own = agent.get("max_duration_seconds")
    if is_call_length(own):
        limit = min(limit, own)
    agent["max_duration_seconds"] = max(1, min(limit, MAX_DURATION_SECONDS))
    merged["agent"] = agent
    return merged
