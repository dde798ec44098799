"""Where a rep goes back to: after signing in again (the sign-in page's `next`), and from a form that
expired. Only a studio page of this site that can be opened (a GET route under /demos) qualifies, so
a crafted `next` can never send a rep to another site or make the sign-in page post anything.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import HTTPException

MAX_LENGTH = 2000
INDEX = "/demos"
NOT_BACK_TO = frozenset({"/demos/login", "/demos/logout"})


def studio_page(raw: str | None) -> str | None:
    """`raw` if it is a studio page of this site (path and query), else None."""
    if not raw or len(raw) > MAX_LENGTH or not raw.startswith("/demos") or raw.startswith("//"):
        return None
    if "\\" in raw or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return None  # browsers read "/\evil.example" as another host; no control characters either
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.path in NOT_BACK_TO:
        return None
    try:
        current_app.url_map.bind("").match(parts.path, method="GET")
    except HTTPException:  # no such page, not one that opens with GET, or a redirect (a slash added)
        return None
    return raw


def this_page() -> str | None:
    """The current request's address, when it is a studio page that opens with GET (a form posted to
    the editor's own address: yes; to an action such as making a link: no). Not the studio's index:
    signing in leads there anyway."""
    query = request.query_string.decode("latin-1")
    here = studio_page(f"{request.path}?{query}" if query else request.path)
    return None if here == INDEX else here
