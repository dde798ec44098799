"""Share links: a demo, per-prospect variables and an expiry that the prospect cannot change.

A link is `/demo/<slug>#link=<token>`: the token rides in the URL fragment, which browsers never
send to a server (not in the request line, so not in access logs; not in Referer headers). The page's
script hands it to the element, which sends it in the create body. Old `?link=` URLs still open: the
server redirects them to the fragment form.

The token names the link and nothing else: `[1, slug, link_id]` (1: the form's version) signed with
the app's secret (itsdangerous, as Flask's sessions are), about 70 characters. The link's variables
(the prospect's name, …) and its expiry are in its database row (webcall/link_rows.py `webcall_links`,
read through webcall/link_store.py), so whoever sees the URL (a forwarded mail, a chat preview) reads
no more than the demo's slug, which the path shows anyway. A changed token fails the signature
("tampered"); a signed token whose row does not exist can never be valid and is refused the same way;
a revoked row is "revoked", one past its `expires_at` "expired"; only a valid one lets the page call.
A rep extends a link by changing its row, without sending a new URL (the studio never moves its end
earlier: webcall/studio_links.py `_shortens`; Revoke ends it).

Links made before this form signed everything into the token: `{slug, link_id, vars, exp}` (same key,
same salt). They keep working as they did: their variables come from the token; if the database knows
the link, its row decides revocation and expiry, else the token's expiry holds and it cannot be revoked.

A `ShareLinks` without a database (the rate limiter's signature-only look at a create's link) can say
that a token of the current form is ours and which link it names, never that it is valid (`UNCHECKED`).

New tokens are signed with the current key; a token signed with one of `fallbacks` (the keys before it,
WEBCALL_SECRET_KEY_FALLBACKS) still verifies, so links already sent survive a key rotation. A token
whose key is in neither opens nothing (TAMPERED); the studio says so in the link's row (`signed`).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from itsdangerous import BadSignature, URLSafeSerializer

from .demos import DemoProfile, page_variable_problems
from .secret_rotation import signing_keys

LINK_PARAM = "link"
MAX_TOKEN_LENGTH = 4000
MAX_LINK_DAYS = 365
MAX_EXPIRY_ECHO = 40
TOKEN_FORM = 1  # the first item of a current token's payload; old tokens are JSON objects
SALT = "webcall.share-link"  # both forms: one signature check tells them apart by shape, not by key
DEFAULT_EXPIRY = "7d"  # a new link's, in the studio and `flask demos link`
EXPIRY_EXAMPLES = "30m, 12h, 7d, 2w or a date 2026-12-31"
# What parse_expiry takes, as the studio's forms check it before sending (an input's `pattern`, which a
# browser applies to the whole value); the server's own check stays the word (a date like 2026-02-30).
EXPIRY_INPUT_PATTERN = r"\s*(\d{1,4}\s*[mhdw]|\d{4}-\d{2}-\d{2})\s*"
_DURATION = re.compile(r"^([0-9]{1,4})\s*([mhdw])$")  # ASCII digits, as the form's pattern reads \d
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # strptime alone also took 2026-1-1 and other digits
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_.-]+")  # a token is base64url and dots (itsdangerous)


class LinkError(ValueError):
    """A link cannot be made as asked (bad expiry, variable not allowed, …)."""


class LinkStatus(StrEnum):
    VALID = "valid"
    TAMPERED = "tampered"
    EXPIRED = "expired"
    REVOKED = "revoked"
    # Signed by us for this demo, but checked without a database, which alone holds a current link's
    # state: never valid (only a `ShareLinks` without a registry answers it).
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class LinkState:
    """What the database says about a link (its row, in one read): its expiry (seconds since the
    epoch), whether a rep withdrew it, its variables and the rep it belongs to."""

    exp: int
    revoked: bool
    vars: Mapping[str, str] = field(default_factory=dict)
    owner: str | None = None


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
    decoded once (bytes that are not UTF-8 become U+FFFD), then a `%20` left (a link encoded twice)
    and every character that is not a token's (base64url or a dot) dropped wherever it is (a line
    break, a quoted-printable `=`, a bracket, a control character), then the dots at its end (glued
    punctuation: a token always ends in its signature's base64url). Only the signature decides whether
    the result opens anything. The browser applies the same rule (`cleanToken` in
    static/js/share-link.js); tests/unit/test_share_token_rule.py runs both on one list of cases."""
    decoded = unquote(raw).replace("%20", "") if "%" in raw else raw
    return _NOT_TOKEN.sub("", decoded).rstrip(".")


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    link: ShareLink | None = None
    owner: str | None = None  # the owner its row names (webcall/link_contact.py); None without a row

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
            if not _DATE.match(raw):
                raise ValueError(raw)
            day = datetime.strptime(raw, "%Y-%m-%d")
        except ValueError:
            raise LinkError(f"expiry {raw!r}: use e.g. {EXPIRY_EXAMPLES}") from None
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
    def __init__(
        self, secret_key: str, registry: LinkRegistry | None = None, fallbacks: Sequence[str] = ()
    ) -> None:
        self._serializer = URLSafeSerializer(signing_keys(secret_key, fallbacks), salt=SALT)
        self._registry = registry

    def issue(self, demo: DemoProfile, variables: Mapping[str, str], exp: int) -> ShareLink:
        """A new link: its token names it, its variables and expiry are for its row (the caller writes
        it, `CallLog.add_link`; until then the token opens nothing)."""
        checked = check_variables(demo, variables)
        link_id = secrets.token_urlsafe(9)
        token = self._serializer.dumps([TOKEN_FORM, demo.slug, link_id])
        return ShareLink(demo.slug, link_id, checked, int(exp), token)

    def signed(self, token: str) -> bool:
        """Whether a stored token's signature still verifies under the current key or a fallback. The
        studio shows a link by it (webcall/studio.py): once its key is removed from the fallbacks, a
        link opens nothing whatever its row says. One HMAC per key and no database read; a token is
        signed, not encrypted, so nothing is opened to check it."""
        try:
            self._serializer.loads(token)
        except BadSignature:
            return False
        return True

    def check(self, token: str | None, slug: str, now: float | None = None) -> LinkCheck:
        """What a token is worth for demo `slug`. The signature is checked before anything else, so
        nobody can make a forged link look merely expired or revoked; then revocation, then expiry.
        The token is cleaned up first (`clean_token`), so an API client's `TOKEN.` opens too. The
        database is read once, for a genuinely signed token only."""
        token = clean_token(token) if token and len(token) <= MAX_TOKEN_LENGTH else token
        # Tokens are ASCII (base64url and dots); anything else, a lone surrogate included (which
        # itsdangerous cannot even encode), was never ours.
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return LinkCheck(LinkStatus.TAMPERED)
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature:
            return LinkCheck(LinkStatus.TAMPERED)
        old = _from_payload(payload, token)
        named = (old.slug, old.link_id) if old is not None else _current_payload(payload)
        if named is None or named[0] != slug:  # not a link's payload, or another demo's link
            return LinkCheck(LinkStatus.TAMPERED)
        link_id = named[1]
        if self._registry is None:
            if old is None:
                return LinkCheck(LinkStatus.UNCHECKED, ShareLink(slug, link_id, {}, 0, token))
            return _judge(old, None, now)
        state = self._registry(link_id)
        if old is not None:  # an old token's variables are its own; its row (if any) decides the rest
            return _judge(old if state is None else replace(old, exp=state.exp), state, now)
        if state is None:  # signed, but no row: it was never handed out, so it can never be valid
            return LinkCheck(LinkStatus.TAMPERED)
        return _judge(ShareLink(slug, link_id, dict(state.vars), state.exp, token), state, now)


def _judge(link: ShareLink, state: LinkState | None, now: float | None) -> LinkCheck:
    owner = state.owner if state is not None else None
    if state is not None and state.revoked:
        return LinkCheck(LinkStatus.REVOKED, link, owner)
    if link.exp <= (time.time() if now is None else now):
        return LinkCheck(LinkStatus.EXPIRED, link, owner)
    return LinkCheck(LinkStatus.VALID, link, owner)


def _current_payload(payload: Any) -> tuple[str, str] | None:
    """(slug, link_id) of a current token's payload `[1, slug, link_id]`, else None."""
    if not isinstance(payload, list) or len(payload) != 3:
        return None
    form, slug, link_id = payload
    if type(form) is not int or form != TOKEN_FORM:  # `True == 1`: the type, not just the value
        return None
    if not (isinstance(slug, str) and isinstance(link_id, str) and link_id):
        return None
    return slug, link_id


def _from_payload(payload: Any, token: str) -> ShareLink | None:
    """An old token's link (`{slug, link_id, vars, exp}`, everything signed into it), else None."""
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
