"""A share link's actions in the sales studio: make one for a demo, revoke it (asked once), extend it.

A refused form is shown again on the index where it is, with what the rep typed and why
(webcall/studio.py `render_index`); these views are on its blueprint, `sales`, and log as it does.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime, tzinfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from . import formatting
from .auth import current_owner, rep_required
from .db import aware, names_no_row
from .demo_rows import DELETED_BY
from .formatting import quoted, zone_named
from .link_rows import LinkRecord, storable_label
from .link_store import LinkChangeError, LinkStore
from .links import DEFAULT_EXPIRY, LinkError, parse_expiry
from .metrics import calllog_write_failed
from .services import services
from .studio import KEY_CHANGED, Refused, bp, extend_default, render_index, shown_status

log = logging.getLogger("webcall.sales")


@bp.post("/demos/<slug>/links")
@rep_required
def create_link(slug: str) -> Response | tuple[str, int]:
    svc = services()
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        # A page opened before another rep deleted the demo: its card (and this form) is gone from
        # /demos, so the reason is said at the top (it was a bare 404 "There is no page here").
        return render_index(
            Refused(f"new:{slug}", {}, Markup("No link was made: {}.").format(_gone(slug)))
        ), 409
    variables = {
        name: value
        for name in demo.allowed_variables
        if (value := request.form.get(f"var_{name}", "").strip())
    }
    typed = {name: request.form.get(name, "") for name in ("label", "expires")}
    typed |= {f"var_{name}": value for name, value in variables.items()}
    if gone := _variables_gone(demo.allowed_variables):
        return render_index(
            Refused(f"new:{slug}", typed, _variables_changed(demo.allowed_variables, gone))
        ), 400
    try:
        exp = parse_expiry(request.form.get("expires", "") or DEFAULT_EXPIRY, zone=_reps_zone())
        link = svc.links.issue(demo, variables, exp)
    except LinkError as error:
        return render_index(Refused(f"new:{slug}", typed, str(error))), 400
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
        return render_index(Refused(f"new:{slug}", typed, error_text)), 503
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
        return render_index(Refused(f"extend:{link.link_id}", typed, said)), 409
    if shown_status(link, services().links) == KEY_CHANGED:  # a new expiry would not make it open
        said = f"The link {quoted(link.label)} was not changed: the site's key changed, so it opens nothing"
        return render_index(Refused(f"extend:{link.link_id}", typed, f"{said}. Make a new link.")), 409
    try:
        exp = parse_expiry(typed["expires"] or extend_default(link), zone=_reps_zone())
        if shortened := _shortens(link, exp):
            return render_index(Refused(f"extend:{link.link_id}", typed, shortened)), 400
        changed = LinkStore(services().calllog.engine).extend(link_id, exp)
    except (LinkError, LinkChangeError) as error:
        status = 409 if isinstance(error, LinkChangeError) else 400  # revoked meanwhile: a conflict
        return render_index(Refused(f"extend:{link.link_id}", typed, str(error))), status
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
