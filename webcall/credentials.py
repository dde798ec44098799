"""Checking a rep's email and password: the sign-in page (webcall/auth.py) and a rep changing their
own password (webcall/admin.py) ask here, so both count failures, lock and answer alike
(webcall/lockout.py, webcall/sign_in_limit.py).
"""

from __future__ import annotations

from . import known_browsers
from .account_fields import MAX_PASSWORD, AccountError, check_email
from .accounts import Account
from .lockout import locked_error
from .services import services
from .sign_in_limit import verification_slot

_NO_MATCH = "That email and password do not match."


def authenticate(email: str, password: str) -> Account:
    """The account, or an AccountError: `account_locked`, `throttled`, `invalid_credentials`,
    `account_disabled`, `busy` (no password-check slot free: webcall/sign_in_limit.py). Unknown emails
    take the same path as known ones (lockout included)."""
    try:
        check_email(email)
    except AccountError:
        # No account has this email (accounts are made through the same check), so there is nothing to
        # look up, count or lock; a NUL sent on to PostgreSQL failed the statement (a 500, logged).
        raise AccountError("invalid_credentials", _NO_MATCH, "password") from None
    if len(password) > MAX_PASSWORD:  # no account has a longer one; argon2 would still take it all
        raise AccountError("invalid_credentials", _NO_MATCH, "password")
    svc = services()
    counted = known_browsers.lockout_key(email)  # a browser that signed in as `email` counts on its own
    svc.lockout.check(counted)
    with verification_slot():
        account = svc.accounts.verify(email, password)
    if account is None:
        failures = svc.lockout.record_failure(counted)
        if failures.locked_until is not None:
            raise locked_error(failures.locked_until, failures.last_failed_at)
        raise AccountError("invalid_credentials", _NO_MATCH, "password")
    if account.disabled:
        disabled = "This account is disabled. Ask an admin to enable it."
        raise AccountError("account_disabled", disabled, "email")
    svc.lockout.clear(counted)
    return account
