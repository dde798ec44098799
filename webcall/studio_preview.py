"""The demo editor's live preview: the demo page drawn from the form's unsaved values.

It is only ever a frame of the editor (frame-ancestors 'self'), is never cached, and cannot start a
call: its content is `inert` and its CSP allows no connection, so unsaved settings never reach
itellico. It reads the form as the editor's save does (webcall/demo_form_post.py), logo upload included.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from .auth import refused_post, register_off_handler, rep_required
from .demo_form_post import TOO_LARGE, checked, larger_bodies, posted_form
from .demo_form_words import field_label, labelled_errors
from .demo_page import accent_css, page_text, private_headers
from .demo_schema import DemoConfigError, validate_tables
from .demos import ACCENT_PATTERN, DEFAULT_ACCENT, DemoProfile
from .services import services

bp = Blueprint("demo_preview", __name__)
bp.add_app_template_global(field_label)  # the editor's labels (templates/demo_edit.html)

PREVIEW_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
ACCENT = re.compile(ACCENT_PATTERN)

bp.after_request(private_headers)
register_off_handler(bp)
bp.before_request(larger_bodies)


STOPPED = (
    "The preview stopped: you were signed out, or this page expired. What you typed is kept in this"
    " tab: press Save (sign in if asked) and restore it."
)


def _framed(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """In the frame, as the preview's other problems are: the studio's "Too large" page carries the
    app's frame-ancestors 'none', and the frame showed only the browser's own error."""
    html = render_template("demo_preview.html", demo=None, problems=[f"{TOO_LARGE} Pick a smaller file."])
    return _framed(html, 413)


@bp.post("/demos/preview")
def preview() -> Response:
    refused = refused_post()  # the sign-in page or the expired-form page would not show in the frame
    if refused:
        return _framed(render_template("demo_preview.html", demo=None, problems=[STOPPED]), refused)
    form = posted_form()
    slug = form.get("slug").strip() or "preview"
    stored = services().demos.tables().get(slug)
    table = checked(form, slug, stored)
    demo: DemoProfile | None = None
    try:  # shown whenever the page can be drawn (a contrast or slug mistake does not stop it)
        model = validate_tables({"preview": table}, [], "the form")["preview"]
        settings = services().settings
        demo = replace(model.profile(slug, settings.agent_id, settings.max_call_seconds), access="public")
    except DemoConfigError:
        demo = None
    accent = (table.get("brand") or {}).get("accent", "")
    html = render_template(
        "demo_preview.html",
        demo=demo,
        shell=False,
        text=page_text(demo.language if demo else "en"),
        brand_css=url_for("demo_preview.preview_css", accent=accent if ACCENT.match(accent) else ""),
        problems=labelled_errors(form),  # each led by its field's label: the banner is not beside them
    )
    return _framed(html)


@bp.get("/demos/preview/brand.css")
@rep_required
def preview_css() -> Response:
    accent = request.args.get("accent", "")
    return accent_css(accent if ACCENT.match(accent) else DEFAULT_ACCENT)  # only a colour reaches the CSS
