"""A local stand-in for the itellico API: the endpoints web calls use, with their documented
shapes, statuses and error bodies. It mints real LiveKit tokens for the local livekit-server and
dispatches the call's agent to its room (livekit-api `AgentDispatchService`), as a platform does; the
agent workers (sandbox/worker.py) report the conversation back on `/_sandbox/agent-events/<call_id>`,
authenticated with a per-run report token, not the API key.

Test controls live under `/_sandbox/` (same key): faults to inject, and the create bodies and
request ids (`X-Request-ID`, sandbox/request_ids.py) seen.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from livekit import api as lkapi
from werkzeug.exceptions import HTTPException

from . import request_ids
from .agents import SandboxAgent, load_agents
from .dispatch import CallOptions, dispatch
from .faults import Fault, FaultMode, FaultSwitch
from .webhooks import WebhookSender

log = logging.getLogger("sandbox.standin")

SANDBOX_ACCOUNT_ID = "5a1d0b6e-2c4f-4e8a-9b3d-7f6e1c2a9d10"
USER_TOKEN_TTL_SECONDS = 15 * 60
REPORT_PATH = "/_sandbox/agent-events/"
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


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _error(
    status: int,
    code: str,
    message: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


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
            call["modified"] = _now()
            kind = event.get("event")
            if kind == "participant_joined" and call["started_at"] is None:
                call["started_at"] = _now()
                call["answer_status"] = "human"
                self._webhook("conversation.started", call)
            elif kind == "message" and event.get("role") in ("user", "agent"):
                call["messages"].append(
                    {
                        "role": event["role"],
                        "message": str(event.get("message", "")),
                        "timestamp": event.get("timestamp") or _now(),
                    }
                )
            elif kind == "recording":  # the documented `capture` field; the offline agent records nothing
                call["capture"] = {"recording_url": event.get("url")}
            elif kind == "ended":
                self._finish(call, "completed" if event.get("reason") == "participant_left" else "failed")
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
        call["ended_at"] = _now()
        if call["started_at"]:
            started = datetime.fromisoformat(call["started_at"].replace("Z", "+00:00"))
            call["duration_seconds"] = max(0, round((datetime.now(UTC) - started).total_seconds()))
        self._webhook("conversation.ended", call)
        self._webhook("conversation.analysis.completed", call)


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
                return _error(401, "unauthorized", "Invalid or missing report token")
            return None
        key = request.headers.get("X-API-Key")
        if key is None or not secrets.compare_digest(key.encode(), config.api_key.encode()):
            return _error(401, "unauthorized", "Invalid or missing API key")
        return None

    request_ids.init_app(app)  # after the key check: only authenticated requests are noted

    def account_ok(account_id: str, allow_me: bool) -> bool:
        return account_id == config.account_id or (allow_me and account_id == "me")

    def misbehave(endpoint: str) -> Response | tuple[Response, int] | None:
        fault = faults.take(endpoint)
        if fault is None or fault.mode in (FaultMode.AGENT_ABSENT, FaultMode.AGENT_CRASH):
            if fault is not None:
                request.environ[f"standin.{fault.mode.value}"] = True
            return None
        mode = fault.mode
        if mode is FaultMode.LATENCY:
            time.sleep(fault.delay_seconds)
            return None
        if mode is FaultMode.RATE_LIMIT:
            response, status = _error(429, "rate_limit_exceeded", "Too many requests")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = fault.retry_after
            return response, status
        if mode is FaultMode.SERVER_ERROR:
            code = {502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}.get(
                fault.status, "internal_error"
            )
            return _error(
                fault.status,
                code,
                "Something failed upstream",
                detail=f"leaked secret {config.api_key} must never reach a browser",
            )
        if mode is FaultMode.ECHO_KEY:
            # Some APIs quote the offending header back; the app must not log it (webcall/logs.py).
            return _error(
                422,
                "validation_error",
                f"X-API-Key {config.api_key} is not allowed to do this",
                detail=f"key={config.api_key}",
                errors=[{"field": "agent_id", "message": f"not visible to key {config.api_key}"}],
            )
        if mode is FaultMode.HANG:
            time.sleep(fault.delay_seconds)
            return _error(504, "gateway_timeout", "Hung on purpose")
        if mode is FaultMode.MALFORMED:
            return Response("{not json", status=201, mimetype="application/json")
        if mode is FaultMode.HTML_ERROR:
            return Response(
                "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, mimetype="text/html"
            )
        if mode is FaultMode.FASTAPI_ERROR:
            return jsonify(
                {"detail": [{"loc": ["body", "agent_id"], "msg": "field required", "type": "missing"}]}
            ), 422
        if mode is FaultMode.CLOSE:
            sock = request.environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
            return Response("", status=500)
        if mode is FaultMode.MISSING_JOIN:
            request.environ["standin.missing_join"] = True
        return None

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
            return _error(404, "not_found", "Resource not found", f"Account {account_id} does not exist")
        items = [agent_json(a) for a in agents.values()]
        return jsonify({"count": len(items), "items": items})

    @app.get("/v1/accounts/<account_id>/agents/<agent_id>")
    def get_agent(account_id: str, agent_id: str) -> Response | tuple[Response, int]:
        agent = agents.get(agent_id)
        if not account_ok(account_id, allow_me=True) or agent is None:
            return _error(
                404, "not_found", "Resource not found", f"Agent with UUID {agent_id} does not exist"
            )
        return jsonify(agent_json(agent))

    # -- calls ---------------------------------------------------------------------------

    @app.post("/v1/accounts/<account_id>/calls")
    def create_call(account_id: str) -> Response | tuple[Response, int]:
        if not account_ok(account_id, allow_me=False):
            if _is_uuid(account_id):
                return _error(404, "not_found", "Resource not found", f"Account {account_id} does not exist")
            return _error(
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
            return _error(400, "bad_request", "Malformed JSON body")
        errors = _validate_create(body)
        if errors:
            return _error(422, "validation_error", "Validation failed", errors=errors)
        agent = agents.get(body["agent_id"])
        if agent is None:
            return _error(
                404, "not_found", "Resource not found", f"Agent with UUID {body['agent_id']} does not exist"
            )
        if body["type"] == "phone":
            return _error(402, "payment_required", "Phone calls are not available in the sandbox")
        if len(store.agent_calls_in_progress()) >= config.max_concurrent_calls:
            response, status = _error(429, "rate_limit_exceeded", "Concurrent call limit reached")
            response.headers["Retry-After"] = "5"
            return response, status

        call_id = str(uuid.uuid4())
        room = f"call-{call_id}"
        user_identity = f"web-{secrets.token_hex(4)}"
        now = _now()
        call = {
            "id": call_id,
            "type": "web",
            "status": "in_progress",
            "created": now,
            "modified": now,
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
            )
            store.mark_agent_call(call_id)
            try:
                asyncio.run(
                    dispatch(
                        config.livekit_api_url or config.livekit_url,
                        (config.livekit_api_key, config.livekit_api_secret),
                        agent.dispatch_name,
                        room,
                        options,
                    )
                )
            except Exception as exc:  # livekit-server down: the call cannot get its agent
                log.warning("dispatching %s to %s failed: %s", agent.dispatch_name, room, exc)
                store.update(call_id, {"event": "ended", "reason": "error"})
        answer = {k: v for k, v in call.items() if k not in ("messages", "capture")}
        answer["success"] = True
        if not request.environ.get("standin.missing_join"):
            answer["join"] = {
                "token": _token(config, user_identity, room),
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
            return _error(404, "not_found", "Resource not found", f"Call with UUID {call_id} does not exist")
        return jsonify(call)

    @app.get("/v1/accounts/<account_id>/calls")
    def list_calls(account_id: str) -> Response | tuple[Response, int]:
        if not account_ok(account_id, allow_me=False):
            return _error(404, "not_found", "Resource not found")
        try:
            limit = int(request.args.get("limit", 100))
            offset = int(request.args.get("offset", 0))
            if limit < 1 or offset < 0:
                raise ValueError
        except ValueError:
            return _error(
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

    # -- test controls -------------------------------------------------------------------

    @app.post("/_sandbox/faults")
    def set_fault() -> tuple[Response, int]:
        try:
            faults.set(Fault.from_json(request.get_json(force=True)))
        except (KeyError, TypeError, ValueError) as exc:
            return _error(400, "bad_request", f"bad fault: {exc}")
        return jsonify({"faults": faults.describe()}), 200

    @app.get("/_sandbox/faults")
    def list_faults() -> Response:
        return jsonify({"faults": faults.describe()})

    @app.delete("/_sandbox/faults")
    def clear_faults() -> tuple[Response, int]:
        faults.clear()
        return jsonify({"faults": []}), 200

    @app.post(REPORT_PATH + "<call_id>")
    def agent_event(call_id: str) -> tuple[Response, int]:
        event = request.get_json(silent=True)
        if not isinstance(event, dict) or store.get(call_id) is None:
            return _error(400, "bad_request", "expected an event for a known call")
        store.update(call_id, event)
        return jsonify({"ok": True}), 200

    @app.get("/_sandbox/creates")
    def creates() -> Response:
        return jsonify({"creates": list(store.creates)})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        return _error(error.code or 500, codes.get(error.code or 0, "internal_error"), error.name)

    return app


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _validate_create(body: Mapping[str, Any]) -> list[dict[str, str]]:
    errors = []
    for name in body:
        if name not in CALL_FIELDS:
            errors.append({"field": f"body.{name}", "message": "Extra inputs are not permitted"})
    if body.get("type") not in ("phone", "web"):
        errors.append({"field": "body.type", "message": "Input should be 'phone' or 'web'"})
    if "agent_id" not in body:
        errors.append({"field": "body.agent_id", "message": "Field required"})
    elif not _is_uuid(body["agent_id"]):
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


def _token(config: StandinConfig, identity: str, room: str) -> str:
    grants = lkapi.VideoGrants(
        room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
    )
    return (
        lkapi.AccessToken(config.livekit_api_key, config.livekit_api_secret)
        .with_identity(identity)
        .with_name("Web caller")
        .with_grants(grants)
        .with_ttl(timedelta(seconds=USER_TOKEN_TTL_SECONDS))
        .to_jwt()
    )
