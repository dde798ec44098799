"""What a studio account's email, name, role and password may be: one check each, used by the
accounts table (webcall/accounts.py), the studio's forms (webcall/forms.py), the sign-in
(webcall/credentials.py) and the first admin's settings (webcall/setting_checks.py).

Every refusal is an `AccountError` with a code, the form field it belongs to and one message, so
views, the CLI and tests handle the same values.
"""

from __future__ import annotations

import re

ROLES = ("admin", "rep")
MIN_PASSWORD = 10  # the same floor as WEBCALL_SALES_PASSWORD
MAX_PASSWORD = 200  # argon2 takes any length; a cap keeps a huge body from costing memory
MAX_EMAIL = 254
MAX_NAME = 100
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# C0, DEL and C1. PostgreSQL refuses a NUL in text (the statement fails: a 500 with the value in the
# log); none of them belongs in an email or a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AccountError(ValueError):
    """A refusal with a stable `code`, the form `field` it belongs to (or None) and one message;
    `retry_after`: the seconds until trying again can work (a lock, a throttle), else None."""

    def __init__(
        self, code: str, message: str, field: str | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message
        self.retry_after = retry_after


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def check_email(raw: str) -> str:
    email = normalize_email(raw)
    if not email:
        raise AccountError("email_missing", "Enter an email address.", "email")
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email) or _CONTROL.search(email):
        raise AccountError("email_invalid", "That is not an email address like name@example.com.", "email")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            "password_too_short", f"The password needs at least {MIN_PASSWORD} characters.", "password"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            "password_too_long", f"The password may have at most {MAX_PASSWORD} characters.", "password"
        )
    return password


def check_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_NAME:
        raise AccountError("name_too_long", f"The name may have at most {MAX_NAME} characters.", "name")
    if _CONTROL.search(name):
        raise AccountError("name_invalid", "The name may not contain control characters.", "name")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("role_invalid", "The role is admin or rep.", "role")
    return role
