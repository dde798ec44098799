"""A local stand-in for the itellico API: the endpoints web calls use, with their documented
shapes, statuses and error bodies. It mints real LiveKit tokens for the local livekit-server and
dispatches the call's agent to its room (livekit-api `AgentDispatchService`), as a platform does
(sandbox/call_room.py); the agent workers (sandbox/worker.py) report the conversation back on
`/_sandbox/agent-events/<call_id>`, authenticated with a per-run report token, not the API key.

Test controls live under `/_sandbox/` (same key): faults to inject, and the create bodies
(sandbox/controls.py) and request ids (`X-Request-ID`, sandbox/request_ids.py) seen.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from . import controls, request_ids
from .agents import SandboxAgent, load_agents
from .api_errors import api_error, not_found, rate_limited
from .call_request import is_uuid, max_duration_seconds, validate_create
from .call_room import join_token, send_agent
from .call_store import CallStore, now
from .dispatch import CallOptions
from .faults import BEHAVIOURS, FaultSwitch, answer
from .webhooks import WebhookSender

SANDBOX_ACCOUNT_ID = "5a1d0b6e-2c4f-4e8a-9b3d-7f6e1c2a9d10"
REPORT_PATH = "/_sandbox/agent-events/"


@dataclass(frozen=True)
class StandinConfig:
    api_key: str = field(repr=False)
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: str = field(default="secret-secret-secret-secret-secret-32", repr=False)
    # Where the stand-in dispatches agents (livekit-server itself, even when browsers are given a
    # proxied `livekit_url`); None: `livekit_url`.
    livekit_api_url: str | None = None
    # Authenticates the agent workers' reports; made fresh per run, never the API key.
    report_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    account_id: str = SANDBOX_ACCOUNT_ID
    agents_file: Path | None = None
    start_agents: bool = True
    max_concurrent_calls: int = 10
    agent_wait_for_person_seconds: int = 60
    # Where conversation webhooks go, signed with the secret (sandbox/webhooks.py); None: none are sent.
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)


def create_standin(config: StandinConfig) -> Flask:
    app = Flask(__name__)
    agents: dict[str, SandboxAgent] = load_agents(config.agents_file)
    webhooks = None
    if config.webhook_url and config.webhook_secret:
        webhooks = WebhookSender(config.webhook_url, config.webhook_secret)
    store = CallStore(webhooks)
    faults = FaultSwitch()
    app.extensions["standin"] = {"store": store, "faults": faults, "agents": agents, "config": config}

    @app.before_request
    def authenticate() -> tuple[Response, int] | None:
        if request.path.startswith(REPORT_PATH):
            token = request.headers.get("X-Report-Token", "")
            if not secrets.compare_digest(token.encode(), config.report_token.encode()):
                return api_error(401, "unauthorized", "Invalid or missing report token")
            return None
        key = request.headers.get("X-API-Key")
        if key is None or not secrets.compare_digest(key.encode(), config.api_key.encode()):
            return api_error(401, "unauthorized", "Invalid or missing API key")
        return None

    request_ids.init_app(app)  # after the key check: only authenticated requests are noted

    def account_ok(account_id: str, allow_me: bool) -> bool:
        return account_id == config.account_id or (allow_me and account_id == "me")

    def misbehave(endpoint: str) -> Response | tuple[Response, int] | None:
        fault = faults.take(endpoint)
        if fault is None:
            return None
        if fault.mode in BEHAVIOURS:
            request.environ[f"standin.{fault.mode.value}"] = fault
            return None
        return answer(fault, config.api_key)

    # -- accounts and agents -------------------------------------------------------------

    @app.get("/v1/accounts/current")
    def current_account() -> Response:
        return jsonify(
            {
                "id": config.account_id,
                "name": "itellico sandbox",
                "is_active": True,
                "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z",
                "parent_account_id": None,
            }
        )

    def agent_json(agent: SandboxAgent) -> dict[str, Any]:
        return {
            "id": agent.id,
            "account_id": config.account_id,
            "name": agent.name,
            "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z",
            "note": None,
            "tags": ["sandbox", agent.language],
            "metadata": {},
            "initial_message": {
                "message": agent.first_message,
                "mode": "fixed_message",
                "delay_ms": 0,
                "interruptible": False,
            },
        }

    @app.get("/v1/accounts/<account_id>/agents")
    def list_agents(account_id: str) -> Response | tuple[Response, int]:
        if not account_ok(account_id, allow_me=True):
            return not_found(f"Account {account_id} does not exist")
        items = [agent_json(a) for a in agents.values()]
        return jsonify({"count": len(items), "items": items})

    @app.get("/v1/accounts/<account_id>/agents/<agent_id>")
    def get_agent(account_id: str, agent_id: str) -> Response | tuple[Response, int]:
        agent = agents.get(agent_id)
        if not account_ok(account_id, allow_me=True) or agent is None:
            return not_found(f"Agent with UUID {agent_id} does not exist")
        return jsonify(agent_json(agent))

    # -- calls ---------------------------------------------------------------------------

    @app.post("/v1/accounts/<account_id>/calls")
    def create_call(account_id: str) -> Response | tuple[Response, int]:
        if not account_ok(account_id, allow_me=False):
            if is_uuid(account_id):
                return not_found(f"Account {account_id} does not exist")
            return api_error(
                422,
                "validation_error",
                "Validation failed",
                errors=[{"field": "path.account_id", "message": "Input should be a valid UUID"}],
            )
        problem = misbehave("create")
        if problem is not None:
            return problem
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return api_error(400, "bad_request", "Malformed JSON body")
        errors = validate_create(body)
        if errors:
            return api_error(422, "validation_error", "Validation failed", errors=errors)
        agent = agents.get(body["agent_id"])
        if agent is None:
            return not_found(f"Agent with UUID {body['agent_id']} does not exist")
        if body["type"] == "phone":
            return api_error(402, "payment_required", "Phone calls are not available in the sandbox")
        if len(store.agent_calls_in_progress()) >= config.max_concurrent_calls:
            return rate_limited("Concurrent call limit reached", retry_after="5")

        call_id = str(uuid.uuid4())
        room = f"call-{call_id}"
        user_identity = f"web-{secrets.token_hex(4)}"
        created = now()
        call = {
            "id": call_id,
            "type": "web",
            "status": "in_progress",
            "created": created,
            "modified": created,
            "direction": "inbound",
            "answer_status": "waiting",
            "agent_id": agent.id,
            "agent_name": agent.name,
            "from_number": None,
            "to_number": None,
            "external_id": body.get("external_id"),
            "started_at": None,
            "ended_at": None,
            "duration_seconds": None,
            "messages": [],
            "capture": {"recording_url": None},
        }
        room_sid = f"RM_{secrets.token_hex(6)}"
        store.add(call, body, room_sid)
        if config.start_agents and not request.environ.get("standin.agent_absent"):
            options = CallOptions(
                call_id=call_id,
                initial_text=body.get("initial_text"),
                skip_greeting_on_initial_text=bool(body.get("skip_greeting_on_initial_text")),
                audio_input_enabled=body.get("audio_input_enabled") is not False,
                audio_output_enabled=body.get("audio_output_enabled") is not False,
                test_variables={str(k): str(v) for k, v in (body.get("test_variables") or {}).items()},
                language=agent.language,
                join_timeout_seconds=config.agent_wait_for_person_seconds,
                fail_after_greeting=bool(request.environ.get("standin.agent_crash")),
                max_duration_seconds=max_duration_seconds(body),
            )
            store.mark_agent_call(call_id)
            late = request.environ.get("standin.agent_late")
            send_agent(
                config.livekit_api_url or config.livekit_url,
                (config.livekit_api_key, config.livekit_api_secret),
                agent.dispatch_name,
                room,
                options,
                failed=lambda: store.update(call_id, {"event": "ended", "reason": "error"}),
                delay=late.delay_seconds if late else None,
            )
        answer = {k: v for k, v in call.items() if k not in ("messages", "capture")}
        answer["success"] = True
        if not request.environ.get("standin.missing_join"):
            answer["join"] = {
                "token": join_token(config.livekit_api_key, config.livekit_api_secret, user_identity, room),
                "livekit_url": config.livekit_url,
                "room_sid": room_sid,
            }
        return jsonify(answer), 201

    @app.get("/v1/accounts/<account_id>/calls/<call_id>")
    def get_call(account_id: str, call_id: str) -> Response | tuple[Response, int]:
        problem = misbehave("get")
        if problem is not None:
            return problem
        call = store.get(call_id)
        if not account_ok(account_id, allow_me=False) or call is None:
            return not_found(f"Call with UUID {call_id} does not exist")
        return jsonify(call)

    @app.get("/v1/accounts/<account_id>/calls")
    def list_calls(account_id: str) -> Response | tuple[Response, int]:
        if not account_ok(account_id, allow_me=False):
            return not_found()
        try:
            limit = int(request.args.get("limit", 100))
            offset = int(request.args.get("offset", 0))
            if limit < 1 or offset < 0:
                raise ValueError
        except ValueError:
            return api_error(
                422,
                "validation_error",
                "Validation failed",
                errors=[{"field": "query.limit", "message": "limit >= 1, offset >= 0"}],
            )
        items = [
            c
            for c in store.all()
            if all(
                str(c.get(k)) == v
                for k, v in request.args.items()
                if k in ("agent_id", "type", "status", "external_id", "direction")
            )
        ]
        page = [
            {k: v for k, v in c.items() if k not in ("messages", "capture")}
            for c in items[offset : offset + limit]
        ]
        return jsonify({"count": len(items), "items": page})

    controls.init_app(app, store, faults)  # /_sandbox/faults, /_sandbox/creates

    @app.post(REPORT_PATH + "<call_id>")
    def agent_event(call_id: str) -> tuple[Response, int]:
        event = request.get_json(silent=True)
        if not isinstance(event, dict) or store.get(call_id) is None:
            return api_error(400, "bad_request", "expected an event for a known call")
        store.update(call_id, event)
        return jsonify({"ok": True}), 200

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        return api_error(error.code or 500, codes.get(error.code or 0, "internal_error"), error.name)

    return app
