"""What a create-call body may hold, checked as the itellico API checks it: unknown fields, types,
a UUID agent id; each problem as a field error."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

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
    return errors
