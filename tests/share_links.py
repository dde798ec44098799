"""Share links for tests: a link as the studio makes it (signed and recorded), and an old-form token.

Since a token names only its link (webcall/links.py), a signed token opens nothing until its row is
written; `recorded` (an app's services) and `RecordingSigner` (a served app's database, for e2e tests)
write it as `flask demos link` does. `old_token` is the token the app made before that: its
`ShareLinks.issue`, line for line, so the tests can show such links keep opening.
"""

from __future__ import annotations

import secrets
import time
import zlib
from collections.abc import Mapping
from typing import Any

from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_decode

from webcall import ROOT
from webcall.calllog import CallLog
from webcall.db import engine_for
from webcall.demos import DemoProfile
from webcall.links import ShareLink, ShareLinks


def recorded(svc: Any, slug: str = "alpenblick", exp_in: int = 3600, **variables: str) -> ShareLink:
    """A link to `slug` valid for `exp_in` seconds, signed and recorded by the app's own services."""
    link = svc.links.issue(svc.demos.get(slug), variables, int(time.time()) + exp_in)
    svc.calllog.add_link(link, "test link", created_by="cli")
    return link


class RecordingSigner:
    """`ShareLinks.issue` with the app's key, each link recorded in the served app's database (the
    URL it was started with, already migrated)."""

    def __init__(self, secret_key: str, database_url: str) -> None:
        self._links = ShareLinks(secret_key)
        self._calllog = CallLog(engine_for(database_url, ROOT))

    def issue(self, demo: DemoProfile, variables: Mapping[str, str], exp: int) -> ShareLink:
        link = self._links.issue(demo, variables, exp)
        self._calllog.add_link(link, "test link", created_by="cli")
        return link


def decoded(token: str) -> str:
    """A token's payload as anyone who sees the URL can read it: no key needed."""
    payload = token.rsplit(".", 1)[0]
    compressed = payload.startswith(".")  # itsdangerous compresses a payload when that is shorter
    raw = base64_decode(payload.lstrip("."))
    return (zlib.decompress(raw) if compressed else raw).decode()


def old_token(
    secret_key: str, slug: str, variables: Mapping[str, str], exp: int, link_id: str | None = None
) -> str:
    """A token of the old form `{slug, link_id, vars, exp}`, made as the old `ShareLinks.issue` made it."""
    serializer = URLSafeSerializer(secret_key, salt="webcall.share-link")  # the old salt, written out
    payload = {
        "slug": slug,
        "link_id": link_id or secrets.token_urlsafe(9),
        "vars": dict(variables),
        "exp": int(exp),
    }
    return serializer.dumps(payload)
