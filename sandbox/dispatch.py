"""What the stand-in tells an agent worker about a call, and how: an explicit agent dispatch.

Like a platform, the stand-in asks livekit-server (livekit-api `AgentDispatchService`) to send the
call's room to the worker registered under the agent's name, with `CallOptions` as the job metadata.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from livekit import api as lkapi


@dataclass(frozen=True)
class CallOptions:
    """What the stand-in puts in the dispatch's metadata: the create-call options the agent honours."""

    call_id: str
    initial_text: str | None = None
    skip_greeting_on_initial_text: bool = False
    audio_input_enabled: bool = True
    audio_output_enabled: bool = True
    test_variables: dict[str, str] = field(default_factory=dict)
    language: str = "en"
    join_timeout_seconds: float = 60.0
    fail_after_greeting: bool = False  # the stand-in's `agent_crash` fault
    # `overrides.agent.max_duration_seconds`: the agent ends the call this long after the person joined.
    max_duration_seconds: int | None = None

    def to_metadata(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_metadata(cls, metadata: str) -> CallOptions:
        data = json.loads(metadata)
        variables = data.get("test_variables") or {}
        initial = data.get("initial_text")
        return cls(
            call_id=str(data["call_id"]),
            initial_text=initial if isinstance(initial, str) and initial.strip() else None,
            skip_greeting_on_initial_text=data.get("skip_greeting_on_initial_text") is True,
            audio_input_enabled=data.get("audio_input_enabled") is not False,
            audio_output_enabled=data.get("audio_output_enabled") is not False,
            test_variables={str(k): "" if v is None else str(v) for k, v in variables.items()},
            language=str(data.get("language") or "en"),
            join_timeout_seconds=float(data.get("join_timeout_seconds") or 60.0),
            fail_after_greeting=data.get("fail_after_greeting") is True,
            max_duration_seconds=_seconds(data.get("max_duration_seconds")),
        )


def _seconds(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


async def dispatch(
    livekit_url: str, credentials: tuple[str, str], agent_name: str, room: str, options: CallOptions
) -> None:
    """Create the dispatch (livekit-server creates the room if it does not exist yet)."""
    url = livekit_url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    async with lkapi.LiveKitAPI(url, *credentials) as client:
        await client.agent_dispatch.create_dispatch(
            lkapi.CreateAgentDispatchRequest(agent_name=agent_name, room=room, metadata=options.to_metadata())
        )
