"""The task queue's messages as JSON, never pickle: Huey's default serializer unpickles what the worker
dequeues, so anyone who can write to the queue's storage (a shared Redis, the SQLite file) would run code
in the worker, which holds the API key, the secret key and the SMTP password (docs/deployment.md).

A message is Huey's `Message` (huey/registry.py) as a JSON object of its fields, `eta` (a naive UTC
datetime, Huey's `utc=True`) as ISO 8601. Only what webcall/tasks.py sends is accepted: one of its task
names, positional arguments that are str, int or None (an event id, a delivery id), no keyword
arguments, and none of the pipelines, chords, expiries or timeouts it never uses. Anything else raises
`RefusedMessage`: the consumer logs "Error reading from queue" and the message is gone (the minute sweep
queues a stored event or a due delivery again, webcall/tasks.py). Huey also serializes task results and
revocations with this serializer; the queue stores no results (`results=False` in webcall/tasks.py) and
the app revokes nothing, so only messages are ever written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from huey.registry import Message
from huey.serializer import Serializer

# Fields the app never sets (webcall/tasks.py): a message carrying one is not the app's.
_UNUSED = ("on_complete", "on_error", "expires", "expires_resolved", "timeout", "chord_config")
_ARGUMENT_TYPES = (str, int, type(None))


class RefusedMessage(ValueError):
    """A queued message that is not one of the app's tasks (or not JSON at all)."""


class JsonSerializer(Serializer):
    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = frozenset(names)

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message):
            raise TypeError(f"the task queue carries only task messages, not {type(data).__name__}")
        fields = self._checked(data._asdict())
        fields["eta"] = data.eta.isoformat() if data.eta else None
        return json.dumps(fields, separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Message:
        try:
            fields = json.loads(data)
        except (ValueError, TypeError):
            raise RefusedMessage("a queued message that is not JSON") from None
        if not isinstance(fields, dict) or set(fields) != set(Message._fields):
            raise RefusedMessage("a queued message that is not a task message")
        eta = fields["eta"]
        try:
            fields["eta"] = datetime.fromisoformat(eta) if isinstance(eta, str) else eta
        except ValueError:
            raise RefusedMessage("a queued message with an unreadable eta") from None
        fields = self._checked(fields)
        return Message(**{**fields, "args": tuple(fields["args"])})

    def _checked(self, fields: dict[str, Any]) -> dict[str, Any]:
        name = fields["name"]
        if name not in self.names:
            raise RefusedMessage(f"a queued message for a task that is not the app's: {str(name)[:80]!r}")
        args = fields["args"]
        plain = isinstance(args, list | tuple) and all(type(arg) in _ARGUMENT_TYPES for arg in args)
        if not plain or fields["kwargs"] not in ({}, None):
            raise RefusedMessage(f"a queued {name} message with arguments other than str, int or None")
        if any(fields[key] is not None for key in _UNUSED):
            raise RefusedMessage(f"a queued {name} message using a feature the app does not")
        numbers = (fields["retries"], fields["retry_delay"], fields["retry_backoff"] or 0)
        kinds_ok = (
            isinstance(fields["id"], str)
            and (fields["eta"] is None or isinstance(fields["eta"], datetime))
            and all(type(n) in (int, float) for n in numbers)
            and (fields["priority"] is None or type(fields["priority"]) is int)
        )
        if not kinds_ok:
            raise RefusedMessage(f"a queued {name} message with a malformed field")
        return dict(fields)
