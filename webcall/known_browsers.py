"""Browsers that signed in to an account before ("device cookies", as OWASP's authentication cheat
sheet describes them): the per-account lockout (webcall/lockout.py) does not apply to them.

Anyone who knows a rep's email (no secret: it is on their emails) could lock the account for good:
five wrong passwords from a few addresses, then one more every 15 minutes. A signed cookie, given to a
browser when it signs in, names the account it signed in to; from such a browser the failures count
under the browser's own key, with the same throttle and lock, so a stranger's guesses lock out only
browsers that never signed in as that rep, never the rep at their own desk. The cookie is no key by
itself: the password is still checked, and a cookie made for one account means nothing for another.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .account_fields import normalize_email
from .lockout import BROWSER_ID_LENGTH, BROWSER_MARK
from .secret_rotation import signing_keys

COOKIE = "webcall_known_browser"
MAX_AGE_SECONDS = 180 * 24 * 3600
PATH = "/demos"
OLD_PATH = "/demos/login"  # before 2026-12-06: the account page's check did not get the cookie
_SALT = "webcall.known-browser"


def _serializer() -> URLSafeTimedSerializer:
    # Signs with the current key, verifies with earlier ones too (WEBCALL_SECRET_KEY_FALLBACKS): a
    # rotation does not make every rep's own browser a stranger to the sign-in's lock.
    keys = signing_keys(str(current_app.secret_key), current_app.config.get("SECRET_KEY_FALLBACKS") or ())
    return URLSafeTimedSerializer(keys, salt=_SALT)


def lockout_key(email: str) -> str:
    """The key this sign-in's failures count under: the browser's own when it signed in to `email`
    before, else the email (every unknown browser shares the account's count). A browser's key begins
    with the email (`<email>#browser:<id>`), so an admin's password reset, which lifts the account's
    locks, lifts its browsers' too (webcall/lockout.py `clear`)."""
    # Each value the browser sends: one made before this release was kept at path /demos/login and
    # comes along with the current one there until it expires or the next sign-in deletes it.
    for raw in request.cookies.getlist(COOKIE):
        try:
            known = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            continue
        if isinstance(known, dict) and known.get("email") == normalize_email(email):
            return f"{normalize_email(email)}{BROWSER_MARK}{known.get('id')}"
    return email


def remember(response: Response, email: str) -> None:
    """After a sign-in: this browser is known for `email` (a new id each time)."""
    browser_id = secrets.token_hex(BROWSER_ID_LENGTH // 2)
    value = _serializer().dumps({"email": normalize_email(email), "id": browser_id})
    flags = {"secure": request.is_secure, "httponly": True, "samesite": "Lax"}
    # Where a password is checked: the sign-in, and the current password on the account page.
    response.set_cookie(COOKIE, value, max_age=MAX_AGE_SECONDS, path=PATH, **flags)
    response.delete_cookie(COOKIE, path=OLD_PATH, **flags)
