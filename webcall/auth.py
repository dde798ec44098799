"""Signing in to the sales studio: the session cookie, sign-in and sign-out, CSRF on every form, and
`rep_required` for the studio's views.

The studio is off (404) unless `WEBCALL_SALES_PASSWORD` is set; the password is compared in constant
time, the session cookie is HttpOnly, SameSite=Lax and Secure over HTTPS, and every form carries a
CSRF token (templates write it with `csrf_field()`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from .demo_page import private_headers, unavailable
from .ratelimit import SIGN_IN_LIMIT, limiter, sign_in_breached
from .services import services

bp = Blueprint("auth", __name__)
log = logging.getLogger("webcall.sales")

SESSION_KEY = "sales"
CSRF_KEY = "csrf"


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    app.config.update(
        # Flask's config always holds "session" here, so setdefault would never apply.
        SESSION_COOKIE_NAME="webcall_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.session_interface = _SessionInterface()
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.register_blueprint(bp)


bp.after_request(private_headers)


# -- CSRF ------------------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session[CSRF_KEY] = token
    return token


def csrf_field() -> Markup:
    """The hidden form field every studio form carries."""
    return Markup('<input type="hidden" name="csrf" value="{}">').format(csrf_token())


def check_csrf() -> None:
    expected = session.get(CSRF_KEY)
    sent = request.form.get("csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, "The form expired. Please reload the page and try again.")


# -- who is signed in ------------------------------------------------------------------------


class SalesIndexOff(Exception):
    """WEBCALL_SALES_PASSWORD is not set: the sales studio does not exist."""


def _password() -> str:
    password = services().settings.sales_password
    if not password:
        raise SalesIndexOff
    return password


def _session_mark(password: str) -> str:
    # Bound to the password: changing WEBCALL_SALES_PASSWORD signs everybody out.
    key = services().settings.secret_key.encode()
    return hmac.new(key, b"sales:" + password.encode(), hashlib.sha256).hexdigest()


def _signed_in(password: str) -> bool:
    mark = session.get(SESSION_KEY)
    return isinstance(mark, str) and hmac.compare_digest(mark, _session_mark(password))


def _password_matches(sent: str, password: str) -> bool:
    # Compare digests so the time depends on neither the length nor the content of either.
    return hmac.compare_digest(
        hashlib.sha256(sent.encode()).digest(), hashlib.sha256(password.encode()).digest()
    )


def current_owner() -> str:
    """Who made what the signed-in user makes (e.g. a share link), as stored in the database."""
    return "web"


def rep_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A studio view: 404 while the studio is off, the sign-in page until signed in, and a CSRF
    check on every POST."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _signed_in(_password()):
            return redirect(url_for("auth.login"))
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)

    return wrapped


def _sales_off(_error: SalesIndexOff) -> tuple[str, int]:
    return unavailable("sales_off", 404)


def register_off_handler(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(SalesIndexOff, _sales_off)


register_off_handler(bp)


# -- sign-in and sign-out --------------------------------------------------------------------


@bp.route("/demos/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], scope="sign-in", on_breach=sign_in_breached)
def login() -> Response | tuple[str, int] | str:
    password = _password()
    if request.method == "GET":
        if _signed_in(password):
            return redirect(url_for("sales.index"))
        return render_template("demos_login.html", error=None)
    check_csrf()
    if not _password_matches(request.form.get("password", ""), password):
        log.warning("sales.login refused remote=%s", request.remote_addr)
        return render_template("demos_login.html", error="That password is not right."), 401
    session.clear()  # a fresh session (and CSRF token) after signing in
    session.permanent = True
    session[SESSION_KEY] = _session_mark(password)
    return redirect(url_for("sales.index"))


@bp.post("/demos/logout")
def logout() -> Response:
    _password()
    check_csrf()
    session.clear()
    return redirect(url_for("auth.login"))
