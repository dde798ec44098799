"""A request body read whole or refused, never cut short.

Werkzeug bounds a body sent without a Content-Length (`Transfer-Encoding: chunked`) by stopping at
`max_content_length`: `get_data()` returns that many bytes without a word, and a cut JSON body may
still parse (`{}` and 100,000 spaces became `{}` and a call). A route with a cap therefore sets
Werkzeug's limit one byte above it (`allow_one_more`, before anything reads the body) and reads with
`whole_body`, which sees a body over the cap as over. A Content-Length over the cap is refused before a
byte is read.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

# The app-wide limit (MAX_CONTENT_LENGTH, webcall/security.py). The largest legitimate body is a create
# (~25 KB at its limits) or a sales form; a 100 MB body used to be read whole (370 MB of memory).
MAX_BODY_BYTES = 64 * 1024


def allow_one_more(cap: int) -> None:
    """Before the request's body is touched: Werkzeug may read one byte past `cap`, so that `whole_body`
    can tell a body of exactly `cap` bytes from a longer one."""
    request.max_content_length = cap + 1


def whole_body(cap: int) -> bytes | None:
    """The whole body, or None when it is over `cap` bytes: by its Content-Length (then not read), or,
    sent chunked, once more than `cap` bytes arrived."""
    if (request.content_length or 0) > cap:
        return None
    body = bytearray()
    try:
        while len(body) <= cap:  # a read may return less than asked: only an empty one is the end
            chunk = request.stream.read(cap + 1 - len(body))
            if not chunk:
                break
            body += chunk
    except RequestEntityTooLarge:  # the stream was made before allow_one_more: Werkzeug's own limit
        return None
    return None if len(body) > cap else bytes(body)
