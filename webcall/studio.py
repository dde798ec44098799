"""The sales studio's index `/demos`: every demo with its share links (make, copy, revoke, extend)
and its calls.

Sign-in is webcall/auth.py; the public demo pages are webcall/demo_page.py; the calls list, call detail
and CSV export are webcall/studio_calls.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo
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
from .calllog import LinkRecord, storable_label
from .demo_page import private_headers, public_base
from .demos import page_variable_problems
from .formatting import quoted, zone_named
from .link_store import LinkChangeError, LinkStore
from .links import LinkError, ShareLinks, fragment, parse_expiry
from .metrics import calllog_write_failed
from .services import services

bp = Blueprint("sales", __name__)
log = logging.getLogger("webcall.sales")

DEFAULT_EXPIRY = "7d"
# A link's status when no key verifies its token any more: its key was removed from
# WEBCALL_SECRET_KEY_FALLBACKS (docs/operations.md, "Rotating secrets"), so it opens nothing.
KEY_CHANGED = "key_changed"


def init_app(app: Flask) -> None:
    auth.init_app(app)
    formatting.init_app(app)
    app.jinja_env.globals["public_base"] = public_base
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
                )
                for link in shown
            ],
            "folded": len(demo_links) - len(shown),
            "calls": recent.get(demo.slug, []),
            "stats": demo_stats.get(demo.slug),
            "unlinked": unlinked.get(demo.slug),
        }
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
        default_expiry=DEFAULT_EXPIRY,
        ephemeral_secret=svc.settings.secret_key_generated,
    )


@bp.post("/demos/<slug>/links")
@rep_required
def create_link(slug: str) -> Response | tuple[str, int]:
    svc = services()
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        abort(404)
    variables = {
        name: value
        for name in demo.allowed_variables
        if (value := request.form.get(f"var_{name}", "").strip())
    }
    typed = {name: request.form.get(name, "") for name in ("label", "expires")}
    typed |= {f"var_{name}": value for name, value in variables.items()}
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
    if shown_status(link, services().links) == KEY_CHANGED:  # a new expiry would not make it open
        said = f"The link {quoted(link.label)} was not changed: the site's key changed, so it opens nothing"
        return _index(Refused(f"extend:{link.link_id}", typed, f"{said}. Make a new link.")), 409
    try:
        exp = parse_expiry(typed["expires"] or DEFAULT_EXPIRY, zone=_reps_zone())
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
