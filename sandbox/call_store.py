"""The stand-in's calls: kept in memory, moved along by the agent workers' reports, announced by
conversation webhooks (sandbox/webhooks.py) when those are configured."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from .webhooks import WebhookSender


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class CallStore:
    def __init__(self, webhooks: WebhookSender | None = None) -> None:
        self._webhooks = webhooks
        self._rooms: dict[str, str] = {}  # call id -> the room_sid its create answered (webhooks carry it)
        self._lock = threading.Lock()
        self._calls: dict[str, dict[str, Any]] = {}
        self.creates: list[dict[str, Any]] = []
        self._agent_calls: set[str] = set()  # calls an agent was dispatched to

    def add(self, call: dict[str, Any], body: dict[str, Any], room_sid: str | None = None) -> None:
        with self._lock:
            self._calls[call["id"]] = call
            if room_sid:
                self._rooms[call["id"]] = room_sid
            self.creates.append(body)

    def send_webhooks(self, sender: WebhookSender | None) -> None:
        """Send conversation webhooks through `sender` from now on (None: stop); tests point a running
        stand-in at an app of their own."""
        with self._lock:
            self._webhooks = sender

    def agent_calls_in_progress(self) -> list[str]:
        with self._lock:
            return [i for i in self._agent_calls if self._calls[i]["status"] == "in_progress"]

    def mark_agent_call(self, call_id: str) -> None:
        with self._lock:
            self._agent_calls.add(call_id)

    def get(self, call_id: str) -> dict[str, Any] | None:
        with self._lock:
            call = self._calls.get(call_id)
            return None if call is None else {**call, "messages": list(call["messages"])}

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls.values()]

    def update(self, call_id: str, event: dict[str, Any]) -> None:
        with self._lock:
            call = self._calls.get(call_id)
            if call is None:
                return
            call["modified"] = now()
            kind = event.get("event")
            if kind == "participant_joined" and call["started_at"] is None:
                call["started_at"] = now()
                call["answer_status"] = "human"
                self._webhook("conversation.started", call)
            elif kind == "message" and event.get("role") in ("user", "agent"):
                call["messages"].append(
                    {
                        "role": event["role"],
                        "message": str(event.get("message", "")),
                        "timestamp": event.get("timestamp") or now(),
                    }
                )
            elif kind == "recording":  # the documented `capture` field; the offline agent records nothing
                call["capture"] = {"recording_url": event.get("url")}
            elif kind == "ended":  # the person left, or the agent ended the call at its longest length
                ended_well = event.get("reason") in ("participant_left", "max_duration")
                self._finish(call, "completed" if ended_well else "failed")
            elif kind == "exited" and call["status"] == "in_progress":
                self._finish(call, "failed")

    def _webhook(self, event_type: str, call: dict[str, Any]) -> None:
        if self._webhooks is not None:  # a snapshot: the sender's thread reads it after the lock
            room_sid = self._rooms.get(call["id"])
            self._webhooks.send(
                event_type, {**call, "messages": list(call["messages"]), "room_sid": room_sid}
            )

    def _finish(self, call: dict[str, Any], status: str) -> None:
        if call["status"] != "in_progress":
            return
        call["status"] = status
        call["ended_at"] = now()
        if call["started_at"]:
            started = datetime.fromisoformat(call["started_at"].replace("Z", "+00:00"))
            call["duration_seconds"] = max(0, round((datetime.now(UTC) - started).total_seconds()))
        self._webhook("conversation.ended", call)
        self._webhook("conversation.analysis.completed", call)
