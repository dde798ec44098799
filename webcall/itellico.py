"""A small typed client for the parts of the itellico API that web calls use: what each endpoint
sends, and what is read from its answer.

One client per process. Results are dataclasses (webcall/itellico_types.py); every failure is an
`UpstreamError` (webcall/itellico_errors.py: what each answer means, read defensively). How a request
is sent (one deadline for the whole of it, retries, the request id, the observer) is the transport's:
webcall/itellico_transport.py.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from .itellico_errors import (
    CHECK_BASE_URL,
    UpstreamError,
    UpstreamErrorKind,
    optional_str,
    required_id,
)
from .itellico_transport import ItellicoTransport
from .itellico_types import (
    Account,
    Agent,
    CallDetails,
    CallMessage,
    JoinInfo,
    WebCall,
    WebCallRequest,
    call_seconds,
    call_status,
    clean_text,
    is_id,
)

log = logging.getLogger(__name__)

# The agent list's whole deadline, retries included (or the client's timeout, if shorter): the studio's
# demo editor asks for it to render its agent picker (webcall/studio_demos.py), and without the list
# shows a text field for the agent's id. Better that at once than the editor held for the whole
# ITELLICOAI_TIMEOUT_SECONDS by a slow or hung itellico.
AGENT_LIST_SECONDS = 3.0


class ItellicoClient(ItellicoTransport):
    """The endpoints web calls use, over the transport (webcall/itellico_transport.py), in the account
    the calls are made in."""

    def __init__(self, base_url: str, api_key: str, *, account_id: str | None = None, **options: Any) -> None:
        super().__init__(base_url, api_key, **options)  # the transport's: timeouts, retries, observer, …
        self._account_id = account_id
        self._account_lock = threading.Lock()
        self._foreign_logged = False  # the readiness check's OPERATOR line, once until it passes

    def current_account(self, deadline: float | None = None) -> Account:
        data = self._request("current_account", "GET", "/v1/accounts/current", deadline=deadline)
        return Account(id=required_id(data, "id"), name=optional_str(data, "name"))

    def check(self, timeout: float = 2.0, agent_id: str | None = None) -> None:
        """Raise UpstreamError unless the API answers an authenticated request with a JSON object within
        `timeout`, the whole answer (with `agent_id`: unless it knows that agent; a 404 is `not_found`).
        Once, never retried. An answer that is not itellico's JSON at all (a web page, `null`, nothing)
        is `bad_response`, never `not_found`, and logs one OPERATOR line naming ITELLICOAI_BASE_URL."""
        path = "/v1/accounts/current" if agent_id is None else f"{self._agents_path()}/{agent_id}"
        try:
            self._request_once("GET", path, time.monotonic() + timeout)
        except UpstreamError as error:
            if not error.foreign:
                raise
            if not self._foreign_logged:
                self._foreign_logged = True
                log.error(
                    "OPERATOR: the itellico API's address answered HTTP %s without itellico's JSON: %s",
                    error.status,
                    CHECK_BASE_URL,
                )
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, error.status, message="not itellico's answer", foreign=True
            ) from None
        self._foreign_logged = False

    def account_id(self, deadline: float | None = None) -> str:
        """The configured account, or the key's own, looked up once and kept."""
        if self._account_id is None:
            with self._account_lock:
                if self._account_id is None:
                    self._account_id = self.current_account(deadline).id
        return self._account_id

    def _agents_path(self) -> str:
        # The account the calls are made in: a parent account's key reaches its subaccounts, and `me`
        # is the key's own (itellico's docs, "API keys"). `me` until the account is known.
        return f"/v1/accounts/{self._account_id or 'me'}/agents"

    def create_web_call(self, request: WebCallRequest) -> WebCall:
        # One deadline for the account's look-up (a process's first create) and the create itself.
        deadline = time.monotonic() + self._timeout
        try:
            account = self.account_id(deadline)
        except UpstreamError as error:
            # Only the look-up failed (it may have timed out): the create itself was never sent.
            raise replace(error, nothing_sent=True) from None
        path = f"/v1/accounts/{account}/calls"
        data = self._request("create_call", "POST", path, json=request.body(), deadline=deadline)
        join = data.get("join")
        if not isinstance(join, dict):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 201, message="web call without join details")
        token, url = join.get("token"), join.get("livekit_url")
        if not isinstance(token, str) or not token or not isinstance(url, str) or not url:
            raise UpstreamError(
                UpstreamErrorKind.BAD_RESPONSE, 201, message="join lacks token or livekit_url"
            )
        return WebCall(
            id=required_id(data, "id"),
            status=call_status(data.get("status")),
            agent_id=optional_str(data, "agent_id"),
            agent_name=optional_str(data, "agent_name"),
            external_id=optional_str(data, "external_id"),
            join=JoinInfo(token=token, livekit_url=url, room_sid=optional_str(join, "room_sid")),
        )

    def get_call(self, call_id: str, *, deadline: float | None = None) -> CallDetails:
        """`deadline` (time.monotonic()): when to give up, if sooner than the timeout."""
        if not is_id(call_id):
            # No call of itellico's has such an id (a create's answer with one is refused), and as a
            # URL it would name another path or none (httpx.InvalidURL): nothing is sent.
            raise UpstreamError(UpstreamErrorKind.NOT_FOUND, message="not a call id")
        path = f"/v1/accounts/{self.account_id()}/calls/{call_id}"
        data = self._request("get_call", "GET", path, deadline=deadline)
        raw_messages = data.get("messages")
        messages = tuple(
            CallMessage(
                role=clean_text(m["role"]),
                message=optional_str(m, "message") or "",
                timestamp=optional_str(m, "timestamp"),
            )
            for m in (raw_messages if isinstance(raw_messages, list) else [])
            if isinstance(m, dict) and isinstance(m.get("role"), str)
        )
        capture = data.get("capture")
        return CallDetails(
            id=required_id(data, "id"),
            status=call_status(data.get("status")),
            type=optional_str(data, "type"),
            agent_name=optional_str(data, "agent_name"),
            started_at=optional_str(data, "started_at"),
            ended_at=optional_str(data, "ended_at"),
            duration_seconds=call_seconds(data.get("duration_seconds")),
            messages=messages,
            recording_url=optional_str(capture, "recording_url") if isinstance(capture, dict) else None,
        )

    def list_calls(self, **filters: str | int) -> tuple[int, list[dict[str, Any]]]:
        data = self._request("list_calls", "GET", f"/v1/accounts/{self.account_id()}/calls", params=filters)
        items = data.get("items")
        count = data.get("count")
        if not isinstance(items, list) or not isinstance(count, int):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 200, message="call list without count/items")
        return count, [item for item in items if isinstance(item, dict)]

    def list_agents(self) -> list[Agent]:
        """The account's agents, within AGENT_LIST_SECONDS."""
        deadline = time.monotonic() + min(AGENT_LIST_SECONDS, self._timeout)
        data = self._request("list_agents", "GET", self._agents_path(), deadline=deadline)
        items = data.get("items")
        if not isinstance(items, list):
            raise UpstreamError(UpstreamErrorKind.BAD_RESPONSE, 200, message="agent list without items")
        return [
            Agent(id=item["id"], name=optional_str(item, "name") or "")
            for item in items
            if isinstance(item, dict) and is_id(item.get("id"))
        ]
