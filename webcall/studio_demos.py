"""The demo editor of the sales studio: make, edit, preview and delete demos in the browser.

Each save goes through the demo store (webcall/demo_store.py), so a change is live on every process
within about a second and is held to the same rules as demos.toml (webcall/demo_form_words.py maps the
mistakes to the form's fields). Overrides (what is sent upstream beyond the agent) are an admin's:
a rep's save keeps the stored ones whatever the form posted.

The live preview of the form's unsaved values is webcall/studio_preview.py; how both read the posted
form (a logo upload, the checks) is webcall/demo_form_post.py.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from . import saved_drafts
from .auth import current_owner, register_off_handler, rep_required
from .demo_form import DemoForm, blank, from_table
from .demo_form_post import TOO_LARGE, checked, larger_bodies, posted_form
from .demo_form_words import add_problems
from .demo_merge import Conflict, base_of, merge, out_of_date
from .demo_page import private_headers
from .demo_rows import ANY_VERSION, AnyVersion, DemoChanged
from .demo_schema import DemoConfigError
from .demos import SLUG_PATTERN
from .formatting import when
from .itellico_errors import UpstreamError
from .logos import MAX_BYTES
from .services import services

bp = Blueprint("demo_editor", __name__)
log = logging.getLogger("webcall.studio")

_TAKEN = "A demo named {slug!r} exists already; choose another slug."
# A deleted demo's calls and links are kept under its slug alone (webcall/demo_rows.py `last_used`):
# a new demo there showed another prospect's calls, counts and ended links as its own. Only "New
# demo" refuses it; the editor's save of a demo deleted meanwhile brings that same demo back, and
# `flask demos import` (a backup restored) warns (webcall/demo_cli.py).
_USED = Markup(
    "{} was used by a deleted demo until {}, whose calls and links stay on record under it (a new demo"
    " would show them as its own); choose another slug."
)

bp.after_request(private_headers)
register_off_handler(bp)


def too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    message = f"{TOO_LARGE} Go back and pick a smaller file."
    return render_template("demo_message.html", title="Too large", message=message), 413


bp.before_request(larger_bodies)
bp.register_error_handler(RequestEntityTooLarge, too_large)


# -- the agent list ----------------------------------------------------------------------------


# Every render of the editor (opening it, each refused save, each conflict) waited for itellico's list,
# up to ITELLICOAI_TIMEOUT_SECONDS with a slow or hung itellico. One read serves this long, per process.
AGENT_LIST_SECONDS = 60.0
_AGENT_LIST = "webcall.agent_list"
_NO_LIST = "The agent list could not be loaded from itellico. Enter the agent's id instead."


@dataclass
class _AgentList:
    """The agent list as last read (None: no read has worked yet) and when it was last asked for. A
    failed read keeps the list read before; either way it is asked again only once AGENT_LIST_SECONDS
    have passed, so a hung itellico holds one render a minute, not each one."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    agents: list[tuple[str, str]] | None = None
    asked_at: float = -math.inf


def _agents() -> tuple[list[tuple[str, str]], str | None]:
    """itellico's agents as (id, name), or an empty list and why it could not be read."""
    cache: _AgentList = current_app.extensions.setdefault(_AGENT_LIST, _AgentList())
    with cache.lock:  # one read at a time: renders meanwhile wait for it, and then use it
        if time.monotonic() - cache.asked_at >= AGENT_LIST_SECONDS:
            try:
                listed = services().itellico.list_agents()
                cache.agents = [(agent.id, agent.name or agent.id) for agent in listed]
            except UpstreamError as error:
                log.warning("studio: agent list failed: %s", error.kind)
            cache.asked_at = time.monotonic()  # from the answer: a slow one counts from its end
        agents = cache.agents
    return ([], _NO_LIST) if agents is None else (list(agents), None)


def _render(
    form: DemoForm,
    *,
    slug: str | None,
    status: int = 200,
    base: str | None = None,
    conflict: Conflict | None = None,
) -> tuple[str, int]:
    agents, agents_error = _agents()
    chosen = form.get("agent_id")
    if chosen and chosen not in {agent_id for agent_id, _ in agents} and agents:
        agents.append((chosen, f"{chosen} (not in itellico's agent list)"))
    html = render_template(
        "demo_edit.html",
        form=form,
        slug=slug,
        agents=agents,
        agents_error=agents_error,
        is_admin=current_user.is_admin,
        max_logo_kb=MAX_BYTES // 1024,
        base=base,
        conflict=conflict,
        you=conflict is not None and conflict.by == current_owner(),
        # "Saved" is shown by the page saved to (the edit page), not by a "New demo" opened meanwhile.
        done=[m for c, m in get_flashed_messages(with_categories=True) if c == "done"] if slug else [],
        saved_drafts=saved_drafts.saved(),
    )
    return html, status


# -- pages -------------------------------------------------------------------------------------


@bp.route("/demos/new", methods=["GET", "POST"])
@rep_required
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _render(blank(), slug=None)
    form = posted_form()
    slug = form.get("slug").strip()
    form.values["slug"] = slug
    existing = services().demos.get(slug) if slug else None
    if not slug:
        form.error("slug", "Required: the demo's address is /demo/<slug>.")
    elif not re.fullmatch(SLUG_PATTERN, slug):
        form.error(
            "slug", "Lowercase letters, digits and dashes only (at most 63), starting with a letter or digit."
        )
    elif existing is not None and existing.slug == slug:
        form.error("slug", _TAKEN.format(slug=slug))
    elif slug in studio_pages():
        form.error("slug", f"/demos/{slug} is a page of the studio; choose another slug.")
    elif (used := services().demos.deleted_demo_used(slug)) is not None:
        form.error("slug", _USED.format(slug, when(used)))
    table = checked(form, slug, None)
    try:  # None expected: a demo made under this slug since the check above is refused, not replaced
        return _save(form, slug, table, created=True, expected=None)
    except DemoChanged:
        form.error("slug", _TAKEN.format(slug=slug))
        return _render(form, slug=None, status=400)


def studio_pages() -> set[str]:
    """The studio's own names after /demos/ (calls, reps, new, …): a demo named so has an editor the
    page takes (/demos/calls/edit was the call detail of a call "edit")."""
    return {
        rule.rule.split("/")[2]
        for rule in current_app.url_map.iter_rules()
        if rule.rule.startswith("/demos/")
    }


def studio_named(slugs: Iterable[str]) -> list[str]:
    """A warning for each of `slugs` that the studio cannot edit: the editor refuses these names, but
    demos.toml and `flask demos import` can still bring one (its public page works)."""
    pages = studio_pages()
    return [
        f"demo {slug!r}: /demos/{slug} is a page of the studio, so the studio cannot open its editor"
        f" (its page /demo/{slug} works); give it another slug to edit it there"
        for slug in sorted(slugs)
        if slug in pages
    ]


@bp.route("/demos/<slug>/edit", methods=["GET", "POST"])
@rep_required
def edit(slug: str) -> Response | tuple[str, int]:
    svc = services()
    row = svc.demos.row(slug)
    demo = svc.demos.get(slug)
    admin = current_user.is_admin
    # The demo as the editor shows it now (one served but never stored shows its title), or None.
    now = None
    if row is not None:
        now = from_table(slug, row.table)
    elif demo is not None and demo.slug == slug:
        now = from_table(slug, {"title": demo.title})
    if request.method == "GET":
        if now is None:
            abort(404)
        # A stored demo this release refuses (webcall/demo_store.py): its mistakes next to their fields.
        add_problems(now, svc.demos.refused().get(slug, []))
        return _render(now, slug=slug, base=base_of(now if row else None, with_overrides=admin))
    base = request.form.get("base")
    if now is None and (base is None or not re.fullmatch(SLUG_PATTERN, slug) or slug in studio_pages()):
        # Deleted meanwhile, and the form cannot say what it was opened on; or a slug "New demo"
        # refuses (a page of the studio), which a crafted save would otherwise make here.
        abort(404)
    form = posted_form()
    form.values["slug"] = slug
    table = checked(form, slug, row.table if row else None)
    if form.errors:
        return _render(form, slug=slug, status=400, base=base)
    if base is None:  # a page opened before forms carried their base: saved as it always was
        return _save(form, slug, table, created=False)
    stored = now if row else None
    if not out_of_date(base, stored, with_overrides=admin):
        try:
            return _save(form, slug, table, created=False, expected=row.settings if row else None, base=base)
        except DemoChanged:  # saved or deleted between the read above and the write
            row = svc.demos.row(slug)
            stored = from_table(slug, row.table) if row else None
    if stored is not None:
        merge(form, from_table(slug, table), base, stored, with_overrides=admin)
    log.info("studio: demo %s not saved by %s: changed meanwhile", slug, current_owner())
    conflict = Conflict(row.updated_by, row.updated_at) if row else Conflict()
    return _render(form, slug=slug, status=409, base=base_of(stored, with_overrides=admin), conflict=conflict)


def _save(
    form: DemoForm,
    slug: str,
    table: dict[str, Any],
    *,
    created: bool,
    expected: str | Literal[AnyVersion.VERSION] | None = ANY_VERSION,
    base: str | None = None,
) -> Response | tuple[str, int]:
    """Store the demo and go to its editor; a mistake shows the form again. Raises DemoChanged when
    the demo is no longer `expected` (webcall/demo_store.py)."""
    if not form.errors:
        try:
            services().demos.save(slug, table, current_owner(), expected=expected)
        except DemoConfigError as error:  # the same rules ran above; this is belt and braces
            add_problems(form, error.problems)
    if form.errors:
        return _render(form, slug=None if created else slug, status=400, base=base)
    log.info("studio: demo %s %s by %s", slug, "created" if created else "saved", current_owner())
    flash(f"Saved. The demo page /demo/{slug} shows it now.", "done")
    saved = redirect(url_for("demo_editor.edit", slug=slug))
    saved_drafts.remember(saved, request.form.get("draft"))
    return saved


@bp.route("/demos/<slug>/delete", methods=["GET", "POST"])
@rep_required
def delete(slug: str) -> Response | str:
    svc = services()
    if slug not in svc.demos.tables():
        abort(404)
    if request.method == "GET":
        return render_template("demo_delete.html", slug=slug, demo=svc.demos.get(slug))
    svc.demos.delete(slug, by=current_owner())
    log.info("studio: demo %s deleted by %s", slug, current_owner())
    flash(f"The demo {slug!r} was deleted; its page and links no longer work.", "done")
    return redirect(url_for("sales.index"))
