"""The studio's CSRF check: Flask-WTF's tokens, posted by every studio form as `csrf`, verified with
the secret key and its fallbacks. webcall/auth.py configures it and answers a refusal."""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

csrf = CSRFProtect()

CSRF_FIELD = "csrf"  # the name every studio form posts the token as


def csrf_field() -> Markup:
    """The hidden form field every studio form carries (Flask-WTF's token)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, generate_csrf())


def check_csrf() -> None:
    """Refuse this POST (400) unless it carries the session's CSRF token, signed with the secret key
    or one of WEBCALL_SECRET_KEY_FALLBACKS: Flask-WTF verifies with the current key alone, so every
    studio form open across a key rotation was refused once, while the session (Flask verifies its
    cookie with the fallbacks) stayed signed in (docs/operations.md, "Rotating secrets")."""
    try:
        csrf.protect()
    except CSRFError:
        if not _signed_with_a_fallback(request.form.get(CSRF_FIELD)):
            raise
        g.csrf_valid = True  # what protect() marks, for Flask-WTF's forms in this request


def _signed_with_a_fallback(token: str | None) -> bool:
    for key in current_app.config.get("SECRET_KEY_FALLBACKS") or ():
        try:
            validate_csrf(token, secret_key=key)
        except ValidationError:
            continue
        return True
    return False
