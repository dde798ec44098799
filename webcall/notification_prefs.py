"""`/demos/notifications`: a signed-in rep chooses how they hear that their prospect's call ended (an
outgoing webhook URL, e.g. Slack's; an email to their account's address), whether also when itellico's
analysis of it is ready (a second message; ticked until they untick it), whether when a prospect opens
one of their links after it ended (webcall/link_opens.py; ticked until they untick it), and may send a
test (the form's second button: it saves what was typed, then tests it). Without itellico's webhooks no
call notifies, and the page says so.

The URL is checked on save (http/https, a host, no `user:password@`, at most MAX_URL characters; with
private targets refused, no loopback/private literal address or `localhost`; in production no plain
http:// but to an internal address, webcall/notification_send.py `plain_http_refused`); a refused URL
re-renders the form with the message next to the field and what was typed kept, and a saved URL the
rules now refuse (saved before them) shows the message when the page opens. The real SSRF check is at send
time (webcall/notification_send.py), since a name may resolve anywhere later. The test is queued like
any notification (webcall/tasks.py): the page never waits for a receiver.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RequestLimit
from flask_login import current_user
from wtforms import BooleanField, Field, Form, StringField
from wtforms.validators import ValidationError

from . import tasks
from .auth import register_off_handler, rep_required
from .demo_page import private_headers
from .forms import StudioForm
from .notification_prefs_store import MAX_URL, Prefs, get_prefs, save_prefs
from .notification_send import IPAddress, ascii_url, host_of, plain_http_refused, shown_target
from .notification_store import add, latest
from .notify import email_on
from .ratelimit import SEND_TEST_LIMIT, client_ip, counted_breach, limiter
from .services import services
from .settings import Settings

bp = Blueprint("notifications", __name__)
log = logging.getLogger("webcall.notifications")
bp.after_request(private_headers)  # the page shows the rep's webhook URL, a secret for Slack's
register_off_handler(bp)


PLAIN_HTTP = (
    "Use an https:// URL: over plain http:// anyone on the way could read the call's details. "
    "Slack's and most receivers' addresses start with https://."
)


def check_webhook_url(raw: str, settings: Settings) -> str | None:
    """The URL as stored (None: no webhook), or ValueError with the message the rep sees. A host name in
    other scripts (or fullwidth letters) is stored in its ASCII (IDNA) form, as a browser sends it."""
    url = raw.strip()
    if not url:
        return None
    if len(url) > MAX_URL:
        raise ValueError(f"That URL is too long (at most {MAX_URL} characters).")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError("That is not a URL.") from None
    # Control and invisible characters (a zero-width space) were saved and then failed every send.
    if parts.scheme not in ("http", "https") or not host or not url.isprintable() or " " in url:
        raise ValueError("Enter an http:// or https:// URL, like https://hooks.slack.com/services/…")
    if "@" in parts.netloc:
        raise ValueError("Leave user names and passwords out of the URL.")
    ascii_form = ascii_url(url)
    if ascii_form is None:
        raise ValueError("That is not a URL.")
    # What is stored is the ASCII form, which can be far longer (each "ä" is "xn--4ca"): the column
    # takes MAX_URL characters of it (PostgreSQL refused more with a 500).
    if len(ascii_form) > MAX_URL:
        raise ValueError(
            f"That URL is too long once its host name is written in ASCII (at most {MAX_URL} characters)."
        )
    url, host = ascii_form, urlsplit(ascii_form).hostname or host
    address = _literal(host)
    if not settings.notify_allow_private_targets and address is not None and not address.is_global:
        raise ValueError("That address is on a private network or this server; use a public address.")
    if parts.scheme == "http" and plain_http_refused(settings, address):
        raise ValueError(PLAIN_HTTP)
    return url


def _literal(host: str) -> IPAddress | None:
    """The address a host names literally (`localhost` as loopback), or None for a name: that one is
    checked when sending, against every address it resolves to."""
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # the forms the resolver also takes: 127.1, 2130706433, 0x7f000001, 0
        return ipaddress.ip_address(socket.inet_aton(host))
    except OSError:
        return None


class PrefsForm(StudioForm):
    webhook_url = StringField("Webhook URL")
    email_on = BooleanField("Email me")
    analysis_on = BooleanField("Also when the call is analysed")
    link_opens_on = BooleanField("Also when a prospect opens a link that has ended")

    def validate_webhook_url(self, field: Field) -> None:
        try:
            field.data = check_webhook_url(field.data or "", services().settings)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _page(form: Form, status: int = 200) -> tuple[str, int]:
    settings = services().settings
    # How the rep's latest notifications went: a receiver that stopped answering (a deleted Slack hook)
    # was visible to admins only, and the rep simply heard nothing any more.
    recent = [
        {"delivery": d, "target": shown_target(d.channel, d.target)}
        for d in latest(services().calllog.engine, current_user.account.id)
    ]
    return render_template(
        "demos_notifications.html",
        form=form,
        email_available=email_on(),
        # Without itellico's webhooks (/webhooks/itellico is off, webcall/webhooks.py) no call's end or
        # analysis ever notifies: the page says so, as it does when email is off.
        calls_notify=bool(settings.webhook_secret),
        signed=bool(settings.notify_signing_secret),
        done=get_flashed_messages(category_filter=["done"]),
        latest=recent,
    ), status


@bp.get("/demos/notifications")
@rep_required
def preferences() -> tuple[str, int]:
    form = PrefsForm(formdata=None, data=_saved(current_user.account.id))
    if form.webhook_url.data:
        # Saved before a rule that now refuses it (a plain http:// URL in production): its deliveries
        # fail, and the rep is told here, next to the field, not only in Latest deliveries.
        try:
            check_webhook_url(form.webhook_url.data, services().settings)
        except ValueError as error:
            form.webhook_url.errors = [str(error)]
    return _page(form)


def _saved(account_id: int) -> dict[str, object]:
    with services().calllog.engine.connect() as db:
        chosen = get_prefs(db, account_id)
    return {
        "webhook_url": chosen.webhook_url,
        "email_on": chosen.email_on,
        "analysis_on": chosen.analysis_on,
        "link_opens_on": chosen.link_opens_on,
    }


@bp.post("/demos/notifications")
@rep_required
def save() -> Response | tuple[str, int]:
    form = PrefsForm()
    if not form.validate():
        return _page(form, status=400)
    _store(form)
    return redirect(url_for("notifications.preferences"), 303)


def _store(form: PrefsForm) -> None:
    """Save the rep's valid form, and say so on the page."""
    me = current_user.account
    save_prefs(
        services().calllog.engine,
        me.id,
        Prefs(
            webhook_url=form.webhook_url.data,
            email_on=form.email_on.data,
            analysis_on=form.analysis_on.data,
            link_opens_on=form.link_opens_on.data,
        ),
    )
    where = host_of(form.webhook_url.data) if form.webhook_url.data else "-"
    log.info(
        "notification.prefs account=%s webhook_host=%s email=%s analysis=%s link_opens=%s",
        me.id,
        where,
        form.email_on.data,
        form.analysis_on.data,
        form.link_opens_on.data,
    )
    flash("Saved.", "done")


def _typed() -> bool:
    """Whether the settings form posted its fields here: its test button (formaction) sends what was
    typed, which a separate form's button threw away. A page opened before posts only its token."""
    return "webhook_url" in request.form


def _rep_key() -> str:
    # Checked before the view (and its sign-in check): a visitor who is not signed in counts by address.
    account = getattr(current_user, "account", None)
    return f"rep:{account.id}" if account is not None else f"ip:{client_ip()}"


def _too_many_tests(limit: RequestLimit) -> Response:
    retry_after = counted_breach(limit)
    headers = {"Retry-After": str(retry_after)}
    account = getattr(current_user, "account", None)
    if account is None:  # not signed in: nothing to show but the refusal
        return Response("Too many requests.", status=429, headers=headers, mimetype="text/plain")
    if _typed():  # what was typed stays in the form, and the page says it is not saved
        flash(f"Too many tests: nothing was saved or sent; try again in {retry_after} seconds.", "done")
        page, _status = _page(PrefsForm())
        return Response(page, status=429, headers=headers)
    flash(f"Too many tests: try again in {retry_after} seconds.", "done")
    page, _status = _page(PrefsForm(formdata=None, data=_saved(account.id)))
    return Response(page, status=429, headers=headers)


@bp.post("/demos/notifications/test")
@limiter.limit(SEND_TEST_LIMIT, key_func=_rep_key, scope="send-test", on_breach=_too_many_tests)
@rep_required
def send_test() -> Response | tuple[str, int]:
    """Save what the settings form posted, then queue a test to each channel the rep saved; it arrives
    (or shows failed in the log) shortly."""
    if _typed():
        form = PrefsForm()
        if not form.validate():
            return _page(form, status=400)  # nothing saved, nothing sent; the reason next to the field
        _store(form)
    me = current_user.account
    engine = services().calllog.engine
    with engine.begin() as db:
        chosen = get_prefs(db, me.id)
        smtp = email_on()
        rows = [
            add(db, call_id=None, kind="test", channel=channel, account_id=me.id, target=target)
            for channel, target in chosen.targets(me.email if smtp else None).items()
            if target is not None
        ]
    if chosen.email_on and not smtp:
        flash("Email is not set up on this server, so no test email was sent.", "done")
    if not rows and not chosen.email_on:
        flash("Nothing to test yet: save a webhook URL or turn email on first.", "done")
    for row in rows:
        if row is not None:
            tasks.task_queue(current_app).enqueue_delivery(row)
    if rows:
        flash(
            f"Test queued to {len(rows)} channel{'s' if len(rows) != 1 else ''}; it arrives in a moment.",
            "done",
        )
    return redirect(url_for("notifications.preferences"), 303)
