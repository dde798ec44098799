"""Switches that make the stand-in misbehave, so tests can prove the app copes, and how the stand-in
answers a request each one takes."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import Response, jsonify, request

from .api_errors import api_error, rate_limited


class FaultMode(StrEnum):
    LATENCY = "latency"  # answer normally after `delay_seconds`
    RATE_LIMIT = "rate_limit"  # 429 rate_limit_exceeded with Retry-After
    SERVER_ERROR = "server_error"  # `status` (default 500) with an itellico error body
    HANG = "hang"  # hold the request for `delay_seconds` (default 60), then answer 504
    MALFORMED = "malformed"  # 201/200 with a body that is not JSON
    HTML_ERROR = "html_error"  # 502 with an HTML page, like a proxy in front of the API
    FASTAPI_ERROR = "fastapi_error"  # 422 with a bare FastAPI {"detail": [...]} body
    MISSING_JOIN = "missing_join"  # a created web call without `join`
    CLOSE = "close"  # close the connection without answering
    AGENT_ABSENT = "agent_absent"  # create succeeds, but no agent ever joins the room
    ECHO_KEY = "echo_key"  # 422 whose message, detail and field errors repeat the caller's API key
    AGENT_CRASH = "agent_crash"  # the agent joins, greets, then fails: the call ends `failed`
    AGENT_LATE = "agent_late"  # the agent is dispatched `delay_seconds` after the create answered


@dataclass
class Fault:
    mode: FaultMode
    endpoint: str = "create"  # "create", "get", "any"
    times: int | None = None  # None: until cleared
    delay_seconds: float = 0.0
    status: int = 500
    retry_after: str | None = "1"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        fault = cls(
            mode=FaultMode(data["mode"]),
            endpoint=str(data.get("endpoint", "create")),
            times=None if data.get("times") is None else int(data["times"]),
            delay_seconds=float(data.get("delay_seconds", 60.0 if data["mode"] == "hang" else 0.0)),
            status=int(data.get("status", 500)),
            retry_after=None if data.get("retry_after", "1") is None else str(data.get("retry_after", "1")),
        )
        if fault.endpoint not in ("create", "get", "any"):
            raise ValueError("endpoint must be create, get or any")
        return fault


class FaultSwitch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f.endpoint != fault.endpoint] + [fault]

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this request, if any; counts down `times`."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (endpoint, "any"):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(vars(f), mode=f.mode.value) for f in self._faults]


# Faults that change what the stand-in does rather than how it answers (the caller acts on them).
BEHAVIOURS = (FaultMode.AGENT_ABSENT, FaultMode.AGENT_CRASH, FaultMode.AGENT_LATE, FaultMode.MISSING_JOIN)


def answer(fault: Fault, api_key: str) -> Response | tuple[Response, int] | None:
    """How the stand-in answers a request that `fault` took; None: answer normally (after any delay).
    `api_key`: the key some faults quote back, as careless APIs do."""
    mode = fault.mode
    if mode is FaultMode.LATENCY:
        time.sleep(fault.delay_seconds)
        return None
    if mode is FaultMode.RATE_LIMIT:
        return rate_limited("Too many requests", fault.retry_after)
    if mode is FaultMode.SERVER_ERROR:
        code = {502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}.get(
            fault.status, "internal_error"
        )
        return api_error(
            fault.status,
            code,
            "Something failed upstream",
            detail=f"leaked secret {api_key} must never reach a browser",
        )
    if mode is FaultMode.ECHO_KEY:
        # Some APIs quote the offending header back; the app must not log it (webcall/logs.py).
        return api_error(
            422,
            "validation_error",
            f"X-API-Key {api_key} is not allowed to do this",
            detail=f"key={api_key}",
            errors=[{"field": "agent_id", "message": f"not visible to key {api_key}"}],
        )
    if mode is FaultMode.HANG:
        time.sleep(fault.delay_seconds)
        return api_error(504, "gateway_timeout", "Hung on purpose")
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
    return None
