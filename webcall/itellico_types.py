"""What the itellico client (webcall/itellico.py) sends and returns: the documented create-call body
for a web call and the answers it reads, as frozen dataclasses, so that their users (webcall/api.py,
webcall/studio_calls.py) need no client; and the rules for the values read from an answer (ids,
statuses, durations, texts), which the call log, the pages and the next request's URL rely on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The call log's columns (webcall/calllog.py, `webcall_calls`): PostgreSQL refuses a longer value and
# the row was lost; SQLite stored it. The webhook receiver (webcall/webhooks.py) keeps the same limits.
MAX_ID_LENGTH = 64
MAX_STATUS_LENGTH = 32
# A call's length in seconds is below this (115 days): longer, or negative, is no call's. The column
# is a 32-bit Integer, and SQLite raised OverflowError (no SQLAlchemyError: a 500) from 2**63 on.
MAX_CALL_SECONDS = 10**7
UNKNOWN_STATUS = "unknown"
# Characters that would make an id a different URL path than the call's own (/v1/…/calls/<id>).
_NOT_IN_ID = frozenset("/?#%\\ ")


def is_id(value: object) -> bool:
    """Whether `value` is an id we can keep and address: text of 1 to MAX_ID_LENGTH printable characters
    (no control character, no lone surrogate: the call log cannot store either, httpx refuses the URL,
    a log line would be split), none that changes a URL path, and not `.` or `..`."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and _NOT_IN_ID.isdisjoint(value)
        and value not in (".", "..")
    )


def call_status(value: object) -> str:
    """A call's status as the call log keeps it: itellico's word, or "unknown" (a status that may
    still change: webcall/calllog.py's OPEN_STATUSES) for one that is no short printable text."""
    if isinstance(value, str) and 0 < len(value) <= MAX_STATUS_LENGTH and value.isprintable():
        return value
    return UNKNOWN_STATUS


def call_seconds(value: object) -> int | None:
    """A call's length in whole seconds, or None for anything that is no call's length (a negative,
    huge, NaN or infinite number, a bool, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 <= value < MAX_CALL_SECONDS else None  # NaN and infinities compare False


def clean_text(value: str) -> str:
    """`value` with each lone surrogate (JSON's "\\ud83d": half of an emoji cut in two) replaced by
    U+FFFD: such text cannot be written as UTF-8, and a page or a database write failed on it."""
    try:
        value.encode()
    except UnicodeEncodeError:
        # UTF-16 pairs surrogates that belong together and replaces those that stand alone.
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


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
# create's `overrides.agent` (itellico's API reference: create call `overrides`, update agent).
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
