"""Signing in to the sales studio: email + password per rep (Flask-Login), server-side sessions,
CSRF on every studio form (Flask-WTF), `rep_required` and `admin_required` for the studio's views.

The studio is off (404) while no account exists (the first admin comes from `flask users add`, or
once from WEBCALL_SALES_ADMIN_EMAIL + WEBCALL_SALES_PASSWORD, see docs/sales.md). The cookie is
Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and holds only a random
session token and the CSRF secret; the session itself is a database row (webcall/sessions.py).
Templates write the CSRF token with `csrf_field()`, which every studio form posts as `csrf`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    get_flashed_messages,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, generate_csrf

from . import known_browsers, studio_unavailable
from .account_fields import AccountError
from .accounts import Account
from .credentials import authenticate
from .demo_page import private_headers, unavailable
from .forms import SignInForm
from .metrics import rate_limited
from .return_to import studio_page, this_page
from .services import services
from .sessions import LIFETIME, SignedIn
from .sign_in_limit import give_back, take_place
from .studio_csrf import CSRF_FIELD, check_csrf, csrf, csrf_field

bp = Blueprint("auth", __name__)
log = logging.getLogger("webcall.sales")
login_manager = LoginManager()


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)


class StudioUser(UserMixin):
    """The signed-in rep as Flask-Login sees it; its id is the session token, so loading a user
    means finding an open session (ended sessions load nobody)."""

    def __init__(self, signed_in: SignedIn) -> None:
        self.token = signed_in.token
        self.account: Account = signed_in.account

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.account.is_admin


def init_app(app: Flask) -> None:
    app.config.update(
        # Flask's config always holds "session" here, so setdefault would never apply.
        SESSION_COOKIE_NAME="webcall_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=LIFETIME,
        # The cookie only when the session changed (sign-in, a notice, the CSRF token). Re-sent with
        # every answer, a slow one (the editor's preview, a script) carried the session as it was
        # when asked, and landing after a save's redirect it took that save's "Saved." away. The
        # session's end is fixed at sign-in (webcall/sessions.py), so re-sending extended nothing.
        SESSION_REFRESH_EACH_REQUEST=False,
        # CSRF only where a view asks for it (rep_required, sign-in, sign-out): the JSON API is
        # cross-origin by design and has its own origin checks (webcall/security.py).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_FIELD_NAME=CSRF_FIELD,
        WTF_CSRF_TIME_LIMIT=int(LIFETIME.total_seconds()),
        # Studio pages send no Referer (share links are on them), so Flask-WTF's HTTPS Referer check
        # would refuse every form; the token and the SameSite=Lax cookie are the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.session_interface = _SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_blueprint(bp)


bp.after_request(private_headers)


@login_manager.user_loader
def _load(token: str) -> StudioUser | None:
    signed_in = studio_unavailable.session(token)  # the database down: nobody, or the studio's 503
    return None if signed_in is None else StudioUser(signed_in)


# -- CSRF ------------------------------------------------------------------------------------


def _csrf_refused(_error: CSRFError) -> tuple[str, int]:
    # A page opened before the rep signed in again (here or in another tab), or open for the whole
    # session's lifetime. The demo editor keeps what was typed in the tab (static/js/pages/editor-draft.js).
    if request.endpoint == "auth.logout" and current_user.is_authenticated:
        # Never let an old page's Sign out look done: say so, with a Sign out that works.
        message = "That page was out of date, so signing out did not go through."
        page = render_template(
            "demo_message.html", title="You are still signed in", message=message, sign_out=True
        )
        return page, 400
    message = "The form expired, so nothing was saved. Open the page again and repeat the change."
    back = this_page() or url_for("sales.index")
    page = render_template("demo_message.html", title="The form expired", message=message, back=back)
    return page, 400


# -- who is signed in ------------------------------------------------------------------------


class SalesIndexOff(Exception):
    """No studio account exists: the sales studio does not exist."""


def _studio_on() -> None:
    if not services().accounts.any():
        raise SalesIndexOff


def current_owner() -> str:
    """Who made what the signed-in user makes (e.g. a share link), as stored in the database:
    the signed-in rep's email."""
    if current_user.is_authenticated:
        return current_user.account.email
    return "web"


def rep_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A studio view: 404 while the studio is off, the sign-in page until signed in, and a CSRF
    check on every POST."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _studio_on()
        if not current_user.is_authenticated:
            # Back here after signing in (a form posted to a page that opens again with GET: that page).
            # Whatever was posted was not done, and the sign-in page says so: a form posted to its own
            # page (Notifications, Change password, Reps) led back with only "Sign in to go on", and
            # its change looked made.
            undone = 1 if request.method == "POST" else None
            return redirect(url_for("auth.login", next=this_page(), undone=undone))
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)

    return wrapped


def refused_post() -> int | None:
    """rep_required's checks for a POST view that answers a refusal itself (the editor's preview
    frame, where the sign-in page cannot be shown): None for a signed-in rep's POST with the CSRF
    token, else the status to answer (401 signed out, 400 the form expired)."""
    _studio_on()
    if not current_user.is_authenticated:
        return 401
    try:
        check_csrf()
    except CSRFError:
        return 400
    return None


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view for admins only: a rep gets 403, never the page."""

    @functools.wraps(view)
    def admin_only(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return rep_required(admin_only)


def _sales_off(_error: SalesIndexOff) -> tuple[str, int]:
    return unavailable("sales_off", 404)


def register_off_handler(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(SalesIndexOff, _sales_off)


register_off_handler(bp)


# -- sign-in and sign-out --------------------------------------------------------------------

_STATUS = {"account_locked": 429, "throttled": 429, "account_disabled": 403, "busy": 429}


def _sign_in_refused(retry_after: int) -> Response:
    # Per client IP (an office behind one address shares it): the sign-in page again, the email kept.
    rate_limited("sign-in")
    form = SignInForm()
    form.password.errors = [
        f"Too many sign-in attempts from this network. Try again in {retry_after} seconds."
    ]
    page = render_template("demos_login.html", form=form, back=studio_page(request.args.get("next")))
    return Response(page, status=429, headers={"Retry-After": str(retry_after)})


@bp.route("/demos/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int, dict[str, str]] | tuple[str, int] | str:
    _studio_on()
    form = SignInForm()
    back = studio_page(request.args.get("next"))
    undone = request.args.get("undone") == "1"  # sent here by an action posted while signed out
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(back or url_for("sales.index"))
        # "You are signed out." belongs to the tab that signed out (sent here without `next`); a page
        # sent here from another tab meanwhile says where the rep goes on, and leaves the notice.
        out = not (back or undone) and bool(get_flashed_messages(category_filter=["signed-out"]))
        return render_template("demos_login.html", form=form, back=back, undone=undone, signed_out=out)
    # The form's token first: any page a rep opens can post here cross-site from the office's address,
    # without one, and such a POST checks no password, so it must spend none of the address's places
    # (a stranger's page kept an office out for an hour). Then per client IP, counted as the POST
    # arrives (guesses sent together were all checked when each counted only once answered); a
    # sign-in that works gives its place back, so an office's reps behind one address all sign in.
    check_csrf()
    retry_after = take_place()
    if retry_after is not None:
        return _sign_in_refused(retry_after)
    if not form.validate():
        return render_template("demos_login.html", form=form, back=back, undone=undone), 400
    try:
        account = authenticate(form.email.data, form.password.data)
    except AccountError as error:
        if error.code == "busy":
            give_back()  # no password was checked
        log.warning("sales.login refused code=%s remote=%s", error.code, request.remote_addr)
        form[error.field or "password"].errors = [error.message]
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        page = render_template("demos_login.html", form=form, back=back, undone=undone)
        return page, _STATUS.get(error.code, 401), headers
    give_back()
    session.clear()  # a fresh session (and CSRF secret) after signing in
    session.permanent = True
    login_user(StudioUser(SignedIn(services().sessions.start(account.id), account)))
    log.info("sales.login account=%s role=%s", account.id, account.role)
    signed_in = redirect(back or url_for("sales.index"))
    known_browsers.remember(signed_in, account.email)
    return signed_in


@bp.post("/demos/logout")
def logout() -> Response:
    _studio_on()
    check_csrf()
    if current_user.is_authenticated:
        services().sessions.end(current_user.token)
    logout_user()
    session.clear()
    flash("You are signed out.", "signed-out")  # in the new session: said once, on the sign-in page
    return redirect(url_for("auth.login"))
