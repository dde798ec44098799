"""What a create-call body may hold, checked as the itellico API checks it: unknown fields, types,
a UUID agent id, the longest call an `overrides.agent` may set; each problem as a field error."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

# Agent PATCH's `max_duration_seconds`, the shape of `overrides.agent` (at most 7200 seconds).
MAX_DURATION_SECONDS = 7200

CALL_FIELDS = (
    "type",
    "agent_id",
    "from_number",
    "to_number",
    "medium",
    "device_fingerprint",
    "external_id",
    "initial_text",
    "audio_input_enabled",
    "audio_output_enabled",
    "skip_greeting_on_initial_text",
    "test_variables",
    "overrides",
)


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def validate_create(body: Mapping[str, Any]) -> list[dict[str, str]]:
    errors = []
    for name in body:
        if name not in CALL_FIELDS:
            errors.append({"field": f"body.{name}", "message": "Extra inputs are not permitted"})
    if body.get("type") not in ("phone", "web"):
        errors.append({"field": "body.type", "message": "Input should be 'phone' or 'web'"})
    if "agent_id" not in body:
        errors.append({"field": "body.agent_id", "message": "Field required"})
    elif not is_uuid(body["agent_id"]):
        errors.append({"field": "body.agent_id", "message": "Input should be a valid UUID"})
    for name in ("audio_input_enabled", "audio_output_enabled", "skip_greeting_on_initial_text"):
        if body.get(name) is not None and not isinstance(body[name], bool):
            errors.append({"field": f"body.{name}", "message": "Input should be a valid boolean"})
    for name in ("initial_text", "external_id", "device_fingerprint", "from_number", "to_number", "medium"):
        if body.get(name) is not None and not isinstance(body[name], str):
            errors.append({"field": f"body.{name}", "message": "Input should be a valid string"})
    for name in ("test_variables", "overrides"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            errors.append({"field": f"body.{name}", "message": "Input should be a valid dictionary"})
    overrides = body.get("overrides")
    if isinstance(overrides, dict) and "agent" in overrides:
        errors.extend(_agent_override_errors(overrides["agent"]))
    return errors


def _agent_override_errors(agent: object) -> list[dict[str, str]]:
    """`overrides.agent` is an Agent PATCH: of it the stand-in checks only the longest call."""
    if not isinstance(agent, dict):
        return [{"field": "body.overrides.agent", "message": "Input should be a valid dictionary"}]
    value = agent.get("max_duration_seconds")  # null: the PATCH shape's Optional[int], no limit
    field = "body.overrides.agent.max_duration_seconds"
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool):
        return [{"field": field, "message": "Input should be a valid integer"}]
    if value < 1:
        return [{"field": field, "message": "Input should be greater than or equal to 1"}]
    if value > MAX_DURATION_SECONDS:
        return [{"field": field, "message": f"Input should be less than or equal to {MAX_DURATION_SECONDS}"}]
    return []


def max_duration_seconds(body: Mapping[str, Any]) -> int | None:
    """The longest call a checked create body asks for (`overrides.agent.max_duration_seconds`)."""
    agent = (body.get("overrides") or {}).get("agent") or {}
    return agent.get("max_duration_seconds")
