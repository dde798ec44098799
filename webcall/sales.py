"""Sales demos: the password-protected sales index `/demos` (the demo pages are webcall/demo_page.py).

The sales index lists every demo with a share-link form, copy buttons and its call log. It is off
(404) unless `WEBCALL_SALES_PASSWORD` is set; the password is compared in constant time, the
session cookie is HttpOnly, SameSite=Lax and Secure over HTTPS, and every form carries a CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
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
from sqlalchemy.exc import SQLAlchemyError

from . import demo_page
from .calllog import CallRecord, LinkRecord, LinkStats
from .demo_page import private_headers, unavailable
from .links import LinkError, fragment, parse_expiry
from .metrics import calllog_write_failed
from .ratelimit import SIGN_IN_LIMIT, limiter, sign_in_breached
from .refresh import refresher
from .services import services

bp = Blueprint("sales", __name__)
log = logging.getLogger("webcall.sales")

SESSION_KEY = "sales"
CSRF_KEY = "csrf"
DEFAULT_EXPIRY = "7d"


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
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals["public_base"] = public_base
    app.register_blueprint(bp)
    app.register_blueprint(demo_page.bp)


bp.after_request(private_headers)  # share links are on the index page


# -- the sales index -------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session[CSRF_KEY] = token
    return token


def _check_csrf() -> None:
    expected = session.get(CSRF_KEY)
    sent = request.form.get("csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, "The form expired. Please reload the page and try again.")


class SalesIndexOff(Exception):
    """WEBCALL_SALES_PASSWORD is not set: the sales index does not exist."""


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


@bp.errorhandler(SalesIndexOff)
def _sales_off(_error: SalesIndexOff) -> tuple[str, int]:
    return unavailable("sales_off", 404)


@bp.route("/demos/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], scope="sign-in", on_breach=sign_in_breached)
def login() -> Response | tuple[str, int] | str:
    password = _password()
    if request.method == "GET":
        if _signed_in(password):
            return redirect(url_for("sales.index"))
        return render_template("demos_login.html", error=None)
    _check_csrf()
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
    _check_csrf()
    session.clear()
    return redirect(url_for("sales.login"))


@bp.get("/demos")
def index() -> Response | str:
    password = _password()
    if not _signed_in(password):
        return redirect(url_for("sales.login"))
    svc = services()
    refresher(current_app._get_current_object()).refresh()  # bounded: a hung itellico never holds the page
    try:
        calls = svc.calllog.calls(limit=200)
        links = svc.calllog.links()
        link_stats = svc.calllog.link_stats()
        demo_stats = svc.calllog.demo_stats()
    except SQLAlchemyError as error:
        log.error("calllog read failed: %s", type(error).__name__)
        calls, links, link_stats, demo_stats = [], [], {}, {}
    by_demo: dict[str, dict[str, Any]] = {}
    labels = {link.link_id: link.label for link in links}
    for demo in svc.demos:
        demo_links = [link for link in links if link.demo == demo.slug]
        demo_calls = [call for call in calls if call.demo == demo.slug]
        by_demo[demo.slug] = {
            "links": [(link, link_stats.get(link.link_id), _link_url(link)) for link in demo_links],
            "calls": demo_calls[:20],
            "stats": demo_stats.get(demo.slug),
            "unlinked": _unlinked_stats(demo_calls),
        }
    flashed = get_flashed_messages(with_categories=True)
    new_links = [message for category, message in flashed if category == "link"]
    errors = [message for category, message in flashed if category == "error"]
    return render_template(
        "demos.html",
        demos=list(svc.demos),
        by_demo=by_demo,
        labels=labels,
        new_links=new_links,
        errors=errors,
        default_expiry=DEFAULT_EXPIRY,
        ephemeral_secret=svc.settings.secret_key_generated,
    )


@bp.post("/demos/<slug>/links")
def create_link(slug: str) -> Response:
    password = _password()
    if not _signed_in(password):
        return redirect(url_for("sales.login"))
    _check_csrf()
    svc = services()
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        abort(404)
    variables = {
        name: value
        for name in demo.allowed_variables
        if (value := request.form.get(f"var_{name}", "").strip())
    }
    try:
        exp = parse_expiry(request.form.get("expires", "") or DEFAULT_EXPIRY)
        link = svc.links.issue(demo, variables, exp)
    except LinkError as error:
        flash(str(error), "error")
        return redirect(url_for("sales.index", _anchor=f"demo-{slug}"))
    label = request.form.get("label", "").strip() or default_label(variables)
    try:
        svc.calllog.add_link(link, label, created_by="web")
    except SQLAlchemyError as error:
        calllog_write_failed("add_link")
        log.error("calllog.add_link failed: %s", type(error).__name__)
        flash("The link was made but could not be saved in the call log.", "error")
    flash(link.link_id, "link")
    log.info("share link issued link_id=%s demo=%s expires=%s by=web", link.link_id, slug, link.expires_at)
    return redirect(url_for("sales.index", _anchor=f"link-{link.link_id}"))


def default_label(variables: dict[str, str]) -> str:
    return ", ".join(variables.values()) or "link"


def public_base() -> str:
    """Where visitors reach us: WEBCALL_PUBLIC_URL, else the address this page was opened with."""
    return services().settings.public_url or request.host_url.rstrip("/")


def _link_url(link: LinkRecord) -> str:
    return public_base() + url_for("demo.page", slug=link.demo) + fragment(link.token)


def _unlinked_stats(demo_calls: list[CallRecord]) -> LinkStats | None:
    created = [call for call in demo_calls if call.link_id is None and call.outcome == "created"]
    if not created:
        return None
    last = created[0]
    return LinkStats(
        len(created),
        last.created_at,
        last.duration_seconds,
        sum(call.duration_seconds or 0 for call in created),
    )


# -- formatting ------------------------------------------------------------------------------


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
