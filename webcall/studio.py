"""The sales studio's index `/demos`: every demo with its share links (make, copy, revoke, extend)
and its calls.

Sign-in is webcall/auth.py; the public demo pages are webcall/demo_page.py; the calls list, call detail
and CSV export are webcall/studio_calls.py.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from . import auth, call_stats, demo_page, formatting, link_opens, studio_calls, studio_demos
from .auth import current_owner, rep_required
from .db import aware, names_no_row
from .demo_page import private_headers, public_base
from .demo_rows import DELETED_BY
from .demos import SLUG_MAX_LENGTH, page_variable_problems
from .formatting import quoted, zone_named
from .link_rows import LinkRecord, storable_label
from .link_store import LinkChangeError, LinkStore
from .links import (
    DEFAULT_EXPIRY,
    EXPIRY_EXAMPLES,
    EXPIRY_INPUT_PATTERN,
    MAX_LINK_DAYS,
    LinkError,
    ShareLinks,
    fragment,
    parse_expiry,
)
from .metrics import calllog_write_failed
from .services import services

bp = Blueprint("sales", __name__)
log = logging.getLogger("webcall.sales")

# A link's status when no key verifies its token any more: its key was removed from
# WEBCALL_SECRET_KEY_FALLBACKS (docs/operations.md, "Rotating secrets"), so it opens nothing.
KEY_CHANGED = "key_changed"


def init_app(app: Flask) -> None:
    auth.init_app(app)
    formatting.init_app(app)
    app.jinja_env.globals["public_base"] = public_base
    # One rule each for the studio's forms and the server (tests/unit/test_rules_in_one_place.py).
    app.jinja_env.globals.update(
        expiry_pattern=EXPIRY_INPUT_PATTERN, expiry_examples=EXPIRY_EXAMPLES, slug_max_length=SLUG_MAX_LENGTH
    )
    app.register_blueprint(bp)
    app.register_blueprint(demo_page.bp)
    app.register_blueprint(studio_calls.bp)


bp.after_request(private_headers)  # share links are on the index page
auth.register_off_handler(bp)


@dataclass(frozen=True)
class Refused:
    """A form of the index that was refused, shown again where it is with what the rep typed and why:
    a demo's new-link form (`form` = "new:<slug>") or a link's extend form ("extend:<link id>")."""

    form: str
    values: dict[str, str]
    error: str


@bp.get("/demos")
@rep_required
def index() -> Response | str:
    return _index()


def _index(refused: Refused | None = None) -> str:
    svc = services()
    # No itellico look-up here: webhooks and the worker's fallback complete the call log (webcall/refresh.py).
    engine = svc.calllog.engine
    try:
        links = svc.calllog.links()
        link_stats = call_stats.link_stats(engine)
        demo_stats = call_stats.demo_stats(engine)
        unlinked = call_stats.unlinked_stats(engine)
        recent = call_stats.recent_calls(engine)
    except SQLAlchemyError as error:
        log.error("calllog read failed: %s", type(error).__name__)
        links, link_stats, demo_stats, unlinked, recent = [], {}, {}, {}, {}
    try:
        tried = link_opens.refused_opens(engine)  # "opened 2 times since it ended"
    except SQLAlchemyError as error:  # the links are shown all the same, without it
        log.error("refused opens read failed: %s", type(error).__name__)
        tried = {}
    by_demo: dict[str, dict[str, Any]] = {}
    labels = {link.link_id: link.label for link in links}
    older = request.args.get("older") == "1"
    registry = svc.demos.registry()  # one snapshot: the cards, their links and the refused agree
    for demo in registry:
        demo_links = [link for link in links if link.demo == demo.slug]
        shown = [
            link
            for link in demo_links
            # a refused extend's row is shown even when folded away: its reason is said there; so is a
            # link someone tried lately, however long ago it ended
            if older
            or not link.long_ended
            or (refused and refused.form == f"extend:{link.link_id}")
            or link_opens.lately(tried.get(link.link_id))
        ]
        by_demo[demo.slug] = {
            "links": [
                (
                    link,
                    shown_status(link, svc.links),
                    link_stats.get(link.link_id),
                    _link_url(link),
                    tried.get(link.link_id),
                    # Checked at each call against the demo as it is now: one the demo no longer allows
                    # (a rep shortened or removed it) is left out of the link's calls, and said here.
                    page_variable_problems(demo, link.variables),
                    extend_default(link),
                )
                for link in shown
            ],
            "folded": len(demo_links) - len(shown),
            "calls": recent.get(demo.slug, []),
            "stats": demo_stats.get(demo.slug),
            "unlinked": unlinked.get(demo.slug),
        }
    # A refused form whose card or row is not drawn (its demo was deleted since the page was opened):
    # its reason is said at the top, or the page came back unchanged.
    refused_elsewhere = refused.error if refused and not _drawn(refused, by_demo) else None
    flashed = get_flashed_messages(with_categories=True)
    new_links = [message for category, message in flashed if category == "link"]
    errors = [message for category, message in flashed if category == "error"]
    done = [message for category, message in flashed if category == "done"]
    # What a revoke or an extend answered, said in the link's row the page goes to (webcall's flashes
    # "done:<link id>" and "error:<link id>"), not at the top, off screen on a phone.
    row_notes = {}
    for category, message in flashed:
        kind, _, link_id = category.partition(":")
        if link_id and kind in ("done", "error"):
            row_notes[link_id] = (kind, message)
    return render_template(
        "demos.html",
        demos=list(registry),
        # Stored demos this release refuses (webcall/demo_store.py): served ones say what visitors
        # get meanwhile (`kept_demos`: the version served before; else `default`, the settings' agent).
        refused_demos={slug: why for slug, why in registry.refused.items() if registry.get(slug)},
        unserved_demos={slug: why for slug, why in registry.refused.items() if not registry.get(slug)},
        kept_demos=registry.kept,
        studio_named=studio_demos.studio_pages(),  # no editor for these (webcall/studio_demos.py)
        by_demo=by_demo,
        labels=labels,
        new_links=new_links,
        errors=errors,
        done=done,
        row_notes=row_notes,
        refused=refused,
        refused_elsewhere=refused_elsewhere,
        default_expiry=DEFAULT_EXPIRY,
        ephemeral_secret=svc.settings.secret_key_generated,
    )


def _drawn(refused: Refused, by_demo: dict[str, dict[str, Any]]) -> bool:
    """Whether the page draws the refused form: a served demo's card, or a link row shown on one."""
    kind, _, key = refused.form.partition(":")
    if kind == "new":
        return key in by_demo
    return any(row[0].link_id == key for data in by_demo.values() for row in data["links"])


@bp.post("/demos/<slug>/links")
@rep_required
def create_link(slug: str) -> Response | tuple[str, int]:
    svc = services()
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        # A page opened before another rep deleted the demo: its card (and this form) is gone from
        # /demos, so the reason is said at the top (it was a bare 404 "There is no page here").
        return _index(Refused(f"new:{slug}", {}, Markup("No link was made: {}.").format(_gone(slug)))), 409
    variables = {
        name: value
        for name in demo.allowed_variables
        if (value := request.form.get(f"var_{name}", "").strip())
    }
    typed = {name: request.form.get(name, "") for name in ("label", "expires")}
    typed |= {f"var_{name}": value for name, value in variables.items()}
    if gone := _variables_gone(demo.allowed_variables):
        return _index(Refused(f"new:{slug}", typed, _variables_changed(demo.allowed_variables, gone))), 400
    try:
        exp = parse_expiry(request.form.get("expires", "") or DEFAULT_EXPIRY, zone=_reps_zone())
        link = svc.links.issue(demo, variables, exp)
    except LinkError as error:
        return _index(Refused(f"new:{slug}", typed, str(error))), 400
    # As stored (at most 200 characters): the notice quotes it from the session cookie, which a label
    # of thousands pushed past the 4 KB browsers keep (the notice was lost).
    label = storable_label(request.form.get("label", "").strip() or default_label(variables))
    try:
        svc.calllog.add_link(link, label, created_by="web", owner=current_owner())
    except SQLAlchemyError as error:
        # Unrecorded, the link could never open, nor be revoked, extended or counted (webcall/links.py):
        # the token is dropped, not handed out.
        calllog_write_failed("add_link")
        log.error("calllog.add_link failed: %s", type(error).__name__)
        error_text = "The link was not made: the database could not record it. Try again."
        return _index(Refused(f"new:{slug}", typed, error_text)), 503
    flash(link.link_id, "link")
    # Said in the new link's row, as an extend or a revoke is (a status a screen reader reads out: the
    # highlight and the jump to the row say nothing to it).
    flash(f"The link {quoted(label)} is made: copy it below and send it.", f"done:{link.link_id}")
    log.info(
        "share link issued link_id=%s demo=%s expires=%s by=%s",
        link.link_id,
        slug,
        link.expires_at,
        current_owner(),
    )
    return redirect(url_for("sales.index", _anchor=f"link-{link.link_id}"))


def _variables_gone(allowed: Collection[str]) -> dict[str, str]:
    """The prospect values the form posts for variables the demo no longer has: a page opened before
    another rep renamed or removed one (an editor save) sends its old fields, which were dropped
    without a word (the link made without the prospect's name, labelled "link")."""
    return {
        key.removeprefix("var_"): value
        for key, raw in request.form.items()
        if key.startswith("var_") and key.removeprefix("var_") not in allowed and (value := raw.strip())
    }


def _variables_changed(allowed: Collection[str], gone: dict[str, str]) -> str:
    typed = ", ".join(f"{name} ({quoted(value)})" for name, value in gone.items())
    now = ", ".join(sorted(allowed)) or "none"
    return (
        f"The demo's variables changed since this page was opened: it has no {typed} any more (now:"
        f" {now}). No link was made: check the values and make the link again."
    )


@bp.get("/demos/links/<link_id>/revoke")
@rep_required
def confirm_revoke(link_id: str) -> str:
    """Revoking cannot be undone, so the index links here and this page asks once (no script needed).
    The link's status reads as its row on the index says it (a stopped link is not "active")."""
    link = _stored_link(link_id)
    return render_template("link_revoke.html", link=link, status=shown_status(link, services().links))


@bp.post("/demos/links/<link_id>/revoke")
@rep_required
def revoke_link(link_id: str) -> Response:
    link = _stored_link(link_id)
    try:
        LinkStore(services().calllog.engine).revoke(link_id, by=current_owner())
    except LinkChangeError as error:
        flash(str(error), f"error:{link_id}")
    else:
        flash(f"The link {quoted(link.label)} is revoked: it opens nothing any more.", f"done:{link_id}")
        log.info("share link revoked link_id=%s demo=%s by=%s", link_id, link.demo, current_owner())
    return redirect(url_for("sales.index", _anchor=f"link-{link_id}"))


@bp.post("/demos/links/<link_id>/extend")
@rep_required
def extend_link(link_id: str) -> Response | tuple[str, int]:
    link = _stored_link(link_id)
    typed = {"expires": request.form.get("expires", "")}
    if ended := _ended_by_delete(link):  # said so, not "it is revoked"
        said = Markup("The link {} was not changed: its {}.").format(quoted(link.label), ended)
        return _index(Refused(f"extend:{link.link_id}", typed, said)), 409
    if shown_status(link, services().links) == KEY_CHANGED:  # a new expiry would not make it open
        said = f"The link {quoted(link.label)} was not changed: the site's key changed, so it opens nothing"
        return _index(Refused(f"extend:{link.link_id}", typed, f"{said}. Make a new link.")), 409
    try:
        exp = parse_expiry(typed["expires"] or extend_default(link), zone=_reps_zone())
        if shortened := _shortens(link, exp):
            return _index(Refused(f"extend:{link.link_id}", typed, shortened)), 400
        changed = LinkStore(services().calllog.engine).extend(link_id, exp)
    except (LinkError, LinkChangeError) as error:
        status = 409 if isinstance(error, LinkChangeError) else 400  # revoked meanwhile: a conflict
        return _index(Refused(f"extend:{link.link_id}", typed, str(error))), status
    else:
        # A <time>, shown in the rep's zone as every studio time (Flask's session keeps Markup as such).
        flash(
            Markup("The link {} now expires {}.").format(
                quoted(link.label), formatting.when(changed.expires_at)
            ),
            f"done:{link_id}",
        )
        log.info(
            "share link extended link_id=%s demo=%s expires=%s by=%s",
            link_id,
            link.demo,
            changed.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            current_owner(),
        )
    return redirect(url_for("sales.index", _anchor=f"link-{link_id}"))


def extend_default(link: LinkRecord, now: float | None = None) -> str:
    """What Extend's field is filled in with: a week past the link's current end, as days from now
    (the time left rounded up to whole days, plus 7; at most the longest expiry, which is no earlier
    than any end). It was 7d on every row, which `_shortens` refuses on a link with more than a week
    left. A link that has ended gets 7d from now."""
    left = aware(link.expires_at).timestamp() - (time.time() if now is None else now)
    if left <= 0:
        return DEFAULT_EXPIRY
    return f"{min(math.ceil(left / 86400) + 7, MAX_LINK_DAYS)}d"


def _shortens(link: LinkRecord, exp: int) -> Markup | None:
    """Why Extend refuses `exp`: it would end the link earlier. The field was filled in with 7d, and
    pressed on a link with weeks left it cut them off while saying "now expires …" (the prospect lost
    the access the rep had promised; it is filled in with `extend_default` now). Ending a link at once
    is Revoke."""
    current = aware(link.expires_at)
    if exp >= current.timestamp():
        return None
    return Markup(
        "The link {} was not changed: that would end it on {}, before its current end on {}."
        " Choose a later expiry."
    ).format(quoted(link.label), formatting.when(datetime.fromtimestamp(exp, UTC)), formatting.when(current))


def _ended_by_delete(link: LinkRecord) -> Markup | None:
    """Why `link` ended, when its demo's deletion ended it ("demo acme was deleted by … on …, which
    ended its links"): webcall/demo_rows.py `end_links` revokes them by "demo deleted by <who>"."""
    who = (link.revoked_by or "").removeprefix(DELETED_BY)
    if link.revoked_at is None or who == link.revoked_by:
        return None
    return Markup("demo {} was deleted by {} on {}, which ended its links").format(
        link.demo, who, formatting.when(link.revoked_at)
    )


def _gone(slug: str) -> Markup:
    """Why `slug`'s form cannot be done: the demo is not served (deleted since the page was opened),
    by whom when its links say so."""
    try:
        # A slug with a NUL names no row (PostgreSQL refuses the query, webcall/db.py).
        found = [] if names_no_row(slug) else services().calllog.links(slug)
    except SQLAlchemyError as error:  # the reason is said all the same, without who
        log.error("calllog read failed: %s", type(error).__name__)
        found = []
    ended = [link for link in found if _ended_by_delete(link)]
    if ended:  # the latest deletion (a slug can be made again, and deleted again)
        return Markup("the {}").format(_ended_by_delete(max(ended, key=lambda link: aware(link.revoked_at))))
    return Markup("the demo {} is not served any more (deleted since this page was opened)").format(slug)


def shown_status(link: LinkRecord, share_links: ShareLinks) -> str:
    """A link's status as its holder meets it: its row's (active, expired, revoked), or KEY_CHANGED
    when its token's signature no longer verifies (one HMAC per key, no database read). Revoked
    wins: the rep's decision, and nothing more can be done to the link. A changed key wins over
    active and expired: the row says nothing about the key, and extending it cannot help."""
    if link.status == "revoked" or share_links.signed(link.token):
        return link.status
    return KEY_CHANGED


def _stored_link(link_id: str) -> LinkRecord:
    link = LinkStore(services().calllog.engine).get(link_id[:64])
    if link is None:
        abort(404)
    return link


def _reps_zone() -> tzinfo:
    """The zone of a date the rep typed: the browser's, sent by the form (static/js/pages/studio.js)."""
    return zone_named(request.form.get("tz", ""))[1]


def default_label(variables: dict[str, str]) -> str:
    return ", ".join(variables.values()) or "link"


def _link_url(link: LinkRecord) -> str:
    return public_base() + url_for("demo.page", slug=link.demo) + fragment(link.token)
