"""One request id per request, end to end: our log lines, the response, the error body, itellico.

Each request gets an id before anything else runs. It is taken from the incoming `X-Request-ID`
only when a trusted proxy is in front (`WEBCALL_TRUSTED_PROXY_HOPS` >= 1, so nginx or a load
balancer may have set it) and the value is a sane token; otherwise, and always without a trusted
proxy (anyone can send the header), it is made fresh. The id then

- stamps every log line written while the request is served (webcall/logs.py reads it),
- goes back in the response's `X-Request-ID` header and in every JSON error body (`errors.py`),
- goes upstream to itellico as `X-Request-ID` (webcall/itellico.py asks `current()`),

so a visitor's "Reference: …" leads to our log lines and to itellico's.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, request

from . import logs

HEADER = "X-Request-ID"
# What we accept from a proxy: short and boring, so it cannot smuggle anything into a log line.
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current() -> str | None:
    """The id of the request this thread is serving, or None outside a request."""
    return logs.current_request_id.get()


def choose(incoming: str | None, trust_incoming: bool) -> str:
    """The proxy's id when it is trusted and sane, else a fresh one."""
    if trust_incoming and incoming is not None and SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def init_app(app: Flask, trusted_proxy_hops: int) -> None:
    """Call before anything else registers `before_request`: every later hook may log."""

    def start() -> None:
        logs.current_request_id.set(choose(request.headers.get(HEADER), trusted_proxy_hops >= 1))

    def answer(response: Response) -> Response:
        request_id = current()
        if request_id:
            response.headers[HEADER] = request_id
        return response

    def end(_error: BaseException | None) -> None:
        # Threads serve one request after another: nothing logged between two requests may carry
        # the last one's id.
        logs.current_request_id.set(None)

    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(answer)
    app.teardown_request(end)
