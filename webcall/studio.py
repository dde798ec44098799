"""The sales studio's index `/demos`: every demo with its share links and its calls, and how a link's
row reads there (its status, its address, what Extend is filled in with).

Making, revoking and extending a link are webcall/studio_links.py (views of this blueprint, `sales`);
sign-in is webcall/auth.py; the public demo pages are webcall/demo_page.py; the calls list, call detail
and CSV export are webcall/studio_calls.py.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, get_flashed_messages, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from . import auth, call_stats, demo_page, formatting, link_opens, studio_calls, studio_demos
from .auth import rep_required
from .db import aware
from .demo_page import private_headers, public_base
from .demos import SLUG_MAX_LENGTH, page_variable_problems
from .link_rows import LinkRecord
from .links import DEFAULT_EXPIRY, EXPIRY_EXAMPLES, EXPIRY_INPUT_PATTERN, MAX_LINK_DAYS, ShareLinks, fragment
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
    # The link views (make, revoke, extend) are on `bp`: added before it is registered; imported here,
    # not at the top, as that module imports this one (`bp`, `render_index`).
    from . import studio_links  # noqa: F401

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
    return render_index()


def render_index(refused: Refused | None = None) -> str:
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


def extend_default(link: LinkRecord, now: float | None = None) -> str:
    """What Extend's field is filled in with: a week past the link's current end, as days from now
    (the time left rounded up to whole days, plus 7; at most the longest expiry, which is no earlier
    than any end). It was 7d on every row, which webcall/studio_links.py `_shortens` refuses on a link
    with more than a week left. A link that has ended gets 7d from now."""
    left = aware(link.expires_at).timestamp() - (time.time() if now is None else now)
    if left <= 0:
        return DEFAULT_EXPIRY
    return f"{min(math.ceil(left / 86400) + 7, MAX_LINK_DAYS)}d"


def shown_status(link: LinkRecord, share_links: ShareLinks) -> str:
    """A link's status as its holder meets it: its row's (active, expired, revoked), or KEY_CHANGED
    when its token's signature no longer verifies (one HMAC per key, no database read). Revoked
    wins: the rep's decision, and nothing more can be done to the link. A changed key wins over
    active and expired: the row says nothing about the key, and extending it cannot help."""
    if link.status == "revoked" or share_links.signed(link.token):
        return link.status
    return KEY_CHANGED


def _link_url(link: LinkRecord) -> str:
    return public_base() + url_for("demo.page", slug=link.demo) + fragment(link.token)
