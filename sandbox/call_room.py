"""A web call's LiveKit room in the stand-in (sandbox/standin.py): the join token the browser is given
for it, and sending the call's agent there (sandbox/dispatch.py), at once or `delay` seconds later
(the `agent_late` fault, sandbox/faults.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from livekit import api as lkapi

from .dispatch import CallOptions, dispatch

log = logging.getLogger("sandbox.standin")

USER_TOKEN_TTL_SECONDS = 15 * 60


def join_token(api_key: str, api_secret: str, identity: str, room: str) -> str:
    grants = lkapi.VideoGrants(
        room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
    )
    return (
        lkapi.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name("Web caller")
        .with_grants(grants)
        .with_ttl(timedelta(seconds=USER_TOKEN_TTL_SECONDS))
        .to_jwt()
    )


def send_agent(
    api_url: str,
    credentials: tuple[str, str],
    agent_name: str,
    room: str,
    options: CallOptions,
    *,
    failed: Callable[[], None],
    delay: float | None = None,
) -> None:
    """Dispatch the agent `agent_name` to `room`; `failed` runs when livekit-server cannot be asked."""

    def send() -> None:
        try:
            asyncio.run(dispatch(api_url, credentials, agent_name, room, options))
        except Exception as exc:  # livekit-server down: the call cannot get its agent
            log.warning("dispatching %s to %s failed: %s", agent_name, room, exc)
            failed()

    if delay is not None:
        threading.Timer(delay, send).start()
    else:
        send()
