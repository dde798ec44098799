"""The stand-in's side of the request id (webcall/request_id.py): like a real API behind a gateway,
it logs the `X-Request-ID` each request arrives with and echoes it in the answer, and keeps the last
few for tests (`GET /_sandbox/request-ids`, same key as every test control), which is how
tests/e2e/test_request_id.py proves the id that reached itellico is the one the visitor sees."""

from __future__ import annotations

import logging
import threading
from collections import deque

from flask import Flask, Response, jsonify, request

log = logging.getLogger("sandbox.standin")

HEADER = "X-Request-ID"
KEPT = 200


def init_app(app: Flask) -> None:
    seen: deque[dict[str, str]] = deque(maxlen=KEPT)
    lock = threading.Lock()

    @app.before_request
    def note() -> None:
        request_id = request.headers.get(HEADER)
        if request_id is None or request.path.startswith("/_sandbox/"):
            return
        log.info("%s %s request_id=%s", request.method, request.path, request_id)
        with lock:
            seen.append({"method": request.method, "path": request.path, "request_id": request_id})

    @app.after_request
    def echo(response: Response) -> Response:
        request_id = request.headers.get(HEADER)
        if request_id is not None:
            response.headers[HEADER] = request_id
        return response

    @app.get("/_sandbox/request-ids")
    def request_ids() -> Response:
        with lock:
            return jsonify({"requests": list(seen)})
