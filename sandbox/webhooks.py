"""The stand-in's webhooks: what itellico sends when a conversation starts, ends and is analysed
(itellico's docs: docs.itellico.ai/reference/webhook-events; the envelope below), signed like itellico
signs them, to one configured URL.

Sending never blocks or breaks the stand-in's API: events go on a queue that one daemon thread posts
from, each with a short timeout and no retry; a full queue or a failed post is logged and dropped
(the app's GET-call fallback completes the call then). The envelope and the signature match what
webcall/webhooks.py verifies: hex HMAC-SHA256 of `<rawBody>.<timestamp>` in the app's default headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger("sandbox.webhooks")

SIGNATURE_HEADER = "X-Itellico-Signature"
TIMESTAMP_HEADER = "X-Itellico-Timestamp"
ORGANIZATION = {"organization_uuid": "5b0c1f7e-2d4a-4f3e-9a61-0c8d7e6f5a41", "organization_name": "Sandbox"}
# Fields of the call a `conversation.ended` carries (the stand-in's call has no campaign or numbers).
ENDED_FIELDS = ("status", "started_at", "ended_at", "duration_seconds", "direction", "answer_status")


def sign(secret: str, body: bytes, timestamp: str) -> str:
    return hmac.new(secret.encode(), body + b"." + timestamp.encode(), hashlib.sha256).hexdigest()


def envelope(event_type: str, call: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "conversation_uuid": call["id"],
        "agent_uuid": call.get("agent_id"),
        "agent_name": call.get("agent_name"),
        "channel": "web",
        "room_sid": call.get("room_sid"),
        "metadata": {},
    }
    if event_type == "conversation.started":
        data["started_at"] = call.get("started_at")
    else:
        data.update({k: call.get(k) for k in ENDED_FIELDS})
        if event_type == "conversation.ended":
            data["messages"] = call.get("messages", [])
            data["events"] = []
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "created": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        **ORGANIZATION,
        "data": data,
    }


class WebhookSender:
    def __init__(self, url: str, secret: str, timeout_seconds: float = 2.0) -> None:
        self.url = url
        self._secret = secret
        self._timeout = timeout_seconds
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1000)
        self.sent: list[tuple[str, int]] = []  # (event_type, status) of each post, for tests
        threading.Thread(target=self._run, name="standin-webhooks", daemon=True).start()

    def send(self, event_type: str, call: dict[str, Any]) -> None:
        """Queue one event for `call` (a snapshot); never waits."""
        try:
            self._queue.put_nowait(envelope(event_type, call))
        except queue.Full:
            log.warning("webhook queue full: %s dropped", event_type)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while True:
                event = self._queue.get()
                body = json.dumps(event).encode()
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(self._secret, body, timestamp),
                    TIMESTAMP_HEADER: timestamp,
                }
                try:
                    status = client.post(self.url, content=body, headers=headers).status_code
                except httpx.HTTPError as error:
                    log.warning(
                        "webhook %s to %s failed: %s", event["event_type"], self.url, type(error).__name__
                    )
                    status = 0
                self.sent.append((event["event_type"], status))
