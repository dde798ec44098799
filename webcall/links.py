"""Signed share links: a demo, per-prospect variables and an expiry that the prospect cannot change.

A link is `/demo/<slug>#link=<token>`: the token rides in the URL fragment, which browsers never
send to a server (not in the request line, so not in access logs; not in Referer headers). The page's
script hands it to the element, which sends it in the create body. Old `?link=` URLs still open: the
server redirects them to the fragment form. The token is the payload `{slug, link_id, vars, exp}` signed
with the app's secret (itsdangerous, as Flask's sessions are). A changed token fails the signature
("tampered"); a genuine one past its `exp` is "expired"; only a valid one lets the page call.
The link id names the link in the call log.

For a link the database knows (webcall/link_store.py), the database has the last word: a revoked
link is "revoked" wherever a token is checked, and its stored expiry replaces the one signed into the
token, so a rep can extend (or shorten) a link without sending a new URL. A link the database does not
know (its row could not be written: the studio and the CLI no longer hand such a link out) keeps the
token's expiry and cannot be revoked.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from itsdangerous import BadSignature, URLSafeSerializer

from .demos import DemoProfile, page_variable_problems

LINK_PARAM = "link"
MAX_TOKEN_LENGTH = 4000
MAX_LINK_DAYS = 365
MAX_EXPIRY_ECHO = 40
_DURATION = re.compile(r"^(\d{1,4})\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_GAPS = re.compile(r"\s+|%20")
_TOKEN_END = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")  # base64url


class LinkError(ValueError):
    """A link cannot be made as asked (bad expiry, variable not allowed, …)."""


class LinkStatus(StrEnum):
    VALID = "valid"
    TAMPERED = "tampered"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class LinkState:
    """What the database says about a link: its expiry (seconds since the epoch) and whether a rep
    withdrew it."""

    exp: int
    revoked: bool


# link_id -> its state, or None for a link the database does not know. A database error propagates:
# a link whose revocation cannot be checked is refused (fail closed), never sent upstream.
LinkRegistry = Callable[[str], LinkState | None]


@dataclass(frozen=True)
class ShareLink:
    slug: str
    link_id: str
    vars: Mapping[str, str]
    exp: int  # seconds since the epoch
    token: str = field(default="", repr=False)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.exp, UTC)

    def path(self) -> str:
        return f"/demo/{self.slug}{fragment(self.token)}"


def fragment(token: str) -> str:
    """`#link=<token>` (tokens are URL-safe: base64url and dots, no quoting needed)."""
    return f"#{LINK_PARAM}={token}"


def clean_token(raw: str) -> str:
    """A token as a prospect's mail or chat client hands it over, made whole again: percent-encoding
    decoded, whitespace and `%20` (a line break) dropped anywhere, and anything after the last
    base64url character dropped (a dot or bracket glued to the link's end: a token always ends in its
    signature's base64url). Only the signature decides whether the result opens anything. The browser
    applies the same rule (`cleanToken` in static/js/share-link.js): change both together."""
    token = _GAPS.sub("", unquote(raw) if "%" in raw else raw)
    end = len(token)  # a loop, not a regex: `[^…]+$` backtracks quadratically on a run of dots
    while end and token[end - 1] not in _TOKEN_END:
        end -= 1
    return token[:end]


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    link: ShareLink | None = None

    @property
    def valid(self) -> bool:
        return self.status is LinkStatus.VALID


def parse_expiry(raw: str, now: float | None = None, zone: tzinfo = UTC) -> int:
    """`30m`, `12h`, `7d`, `2w` from now, or a date `2026-12-31` (the end of that day in `zone`: the
    rep's, from the studio's form)."""
    now = time.time() if now is None else now
    raw = raw.strip()[:MAX_EXPIRY_ECHO]  # errors quote it, and they travel in the session cookie
    match = _DURATION.match(raw)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        exp = int(now) + seconds
    else:
        try:
            day = datetime.strptime(raw, "%Y-%m-%d")
        except ValueError:
            raise LinkError(f"expiry {raw!r}: use e.g. 30m, 12h, 7d, 2w or a date like 2026-12-31") from None
        # The end of that day is the next one's first second, less one (in the zone: a day of a DST
        # change is 23 or 25 hours). A date so far away that the next day cannot be made (9999-12-31)
        # is past the longest expiry anyway.
        try:
            exp = int((day + timedelta(days=1)).replace(tzinfo=zone).timestamp()) - 1
        except OverflowError:
            raise LinkError(f"expiry {raw!r} is more than {MAX_LINK_DAYS} days away") from None
    if exp <= now:
        raise LinkError(f"expiry {raw!r} is not in the future")
    if exp - now > MAX_LINK_DAYS * 86400:
        raise LinkError(f"expiry {raw!r} is more than {MAX_LINK_DAYS} days away")
    return exp


def check_variables(demo: DemoProfile, variables: Mapping[str, str]) -> dict[str, str]:
    """The link's variables, if the demo allows each one at its length (the page-variable rule)."""
    for name, reason in page_variable_problems(demo, variables).items():
        if name not in demo.allowed_variables:
            allowed = ", ".join(sorted(demo.allowed_variables)) or "none"
            raise LinkError(f"variable {name!r} is not allowed for demo {demo.slug!r} (allowed: {allowed})")
        raise LinkError(f"variable {name!r} is {reason}")
    return dict(variables)


class ShareLinks:
    def __init__(self, secret_key: str, registry: LinkRegistry | None = None) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="webcall.share-link")
        self._registry = registry

    def issue(self, demo: DemoProfile, variables: Mapping[str, str], exp: int) -> ShareLink:
        checked = check_variables(demo, variables)
        link_id = secrets.token_urlsafe(9)
        payload = {"slug": demo.slug, "link_id": link_id, "vars": checked, "exp": int(exp)}
        token = self._serializer.dumps(payload)
        return ShareLink(demo.slug, link_id, checked, int(exp), token)

    def check(self, token: str | None, slug: str, now: float | None = None) -> LinkCheck:
        """What a token is worth for demo `slug`. The signature is checked before anything else, so
        nobody can make a forged link look merely expired or revoked; then revocation, then expiry.
        The token is cleaned up first (`clean_token`), so an API client's `TOKEN.` opens too."""
        token = clean_token(token) if token and len(token) <= MAX_TOKEN_LENGTH else token
        # Tokens are ASCII (base64url and dots); anything else, a lone surrogate included (which
        # itsdangerous cannot even encode), was never ours.
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return LinkCheck(LinkStatus.TAMPERED)
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature:
            return LinkCheck(LinkStatus.TAMPERED)
        link = _from_payload(payload, token)
        if link is None or link.slug != slug:
            return LinkCheck(LinkStatus.TAMPERED)
        state = self._registry(link.link_id) if self._registry is not None else None
        if state is not None:
            link = replace(link, exp=state.exp)
            if state.revoked:
                return LinkCheck(LinkStatus.REVOKED, link)
        if link.exp <= (time.time() if now is None else now):
            return LinkCheck(LinkStatus.EXPIRED, link)
        return LinkCheck(LinkStatus.VALID, link)


def _from_payload(payload: Any, token: str) -> ShareLink | None:
    if not isinstance(payload, dict) or set(payload) != {"slug", "link_id", "vars", "exp"}:
        return None
    slug, link_id, variables, exp = payload["slug"], payload["link_id"], payload["vars"], payload["exp"]
    if not (isinstance(slug, str) and isinstance(link_id, str) and isinstance(exp, int)):
        return None
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        return None
    return ShareLink(slug, link_id, variables, exp, token)
