"""The demo editor's live preview and XSS: the preview draws the page from unsaved values, saves
nothing, can start no call and is framed by our own pages only; hostile text in every field stays
text in the editor, the preview, the demo page and the widget's pages."""

from __future__ import annotations

import re

import pytest

from .demo_editor_helpers import VALID, page_token, post_form
from .logo_files import png


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_the_preview_draws_unsaved_values_and_saves_nothing(rep, standin):
    before = rep.application.extensions["webcall"].demos.tables()
    fields = {
        **VALID,
        "slug": "acme",
        "title": "Not saved yet",
        "suggestions": "Open on Sundays?",
        "language": "de",
    }
    r = post_form(rep, "/demos/preview", fields=fields, logo=(png(), "logo.png", "image/png"))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '<h1 class="demo__title" dir="auto">Not saved yet</h1>' in page
    assert "Open on Sundays?" in page and 'lang="de"' in page
    assert re.search(r'<img class="demo__logo" src="/logos/[0-9a-f]{64}\.png"', page)
    assert 'href="/demos/preview/brand.css?accent=%230f766e"' in page
    assert rep.get("/demos/preview/brand.css?accent=%230f766e").get_data(as_text=True).count("#0f766e") == 2
    # Only ever a frame of our own pages, never cached, and it cannot call anything.
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "connect-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert r.headers["Cache-Control"] == "no-store"
    assert '<div class="preview-page" inert>' in page
    assert rep.application.extensions["webcall"].demos.tables() == before
    assert standin.creates() == []


def test_the_preview_of_a_form_with_mistakes_lists_them(rep):
    r = post_form(rep, "/demos/preview", fields={**VALID, "title": "", "brand.accent": "#ffff00"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Title: required: fill this in" in page and 'class="demo__title"' not in page
    r = post_form(rep, "/demos/preview", fields={**VALID, "brand.accent": "#ffff00"})
    page = r.get_data(as_text=True)
    assert "contrast of 1.0:1" in page and 'class="demo__title"' in page  # drawn, with the warning


def test_the_preview_stylesheet_carries_only_a_colour(rep):
    css = rep.get("/demos/preview/brand.css?accent=red;}body{background:url(https://evil.example)").get_data(
        as_text=True
    )
    assert "evil" not in css and "#2563eb" in css


def test_the_editor_frames_the_preview_by_name(rep):
    page = rep.get("/demos/new").get_data(as_text=True)
    assert 'formaction="/demos/preview" formtarget="preview"' in page
    assert '<iframe name="preview"' in page
    assert "js/pages/demo-editor.js" in page


XSS = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
SHORT_XSS = '"><svg onload=alert(1)>'  # fits the 40-character widget label
RAW = ("<script>alert(1)", "<img src=x onerror", "<svg onload")


def hostile_fields() -> dict:
    return {
        **VALID,
        "slug": "xss",
        "title": XSS,
        "description": XSS,
        "display_name": XSS,
        "initial_text": XSS,
        "consent_text": XSS,
        "suggestions": f"{XSS}\n{SHORT_XSS}",
        "brand.company": XSS,
        "widget.label": SHORT_XSS,
        "var_name": ["name"],
        "var_max": ["40"],
        "tv_name": ["note"],
        "tv_value": [XSS],
    }


def assert_inert(page: str, where: str) -> None:
    for raw in RAW:
        assert raw not in page, f"{raw!r} unescaped in {where}"


def test_hostile_text_in_every_field_stays_text_everywhere(rep):
    fields = hostile_fields()
    r = post_form(rep, fields=fields)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert_inert(rep.get("/demos/xss/edit").get_data(as_text=True), "the editor")
    assert_inert(rep.get("/demos").get_data(as_text=True), "the studio index")
    assert_inert(post_form(rep, "/demos/preview", fields=fields).get_data(as_text=True), "the preview")
    demo_page = rep.get("/demo/xss").get_data(as_text=True)
    assert_inert(demo_page, "the demo page")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in demo_page
    embed = rep.get("/embed/xss")
    assert embed.status_code == 200
    assert_inert(embed.get_data(as_text=True), "the widget's iframe page")
    widget = rep.get("/api/demos/xss/widget")
    assert widget.mimetype == "application/json" and widget.headers["X-Content-Type-Options"] == "nosniff"
    # A form with a mistake shows the hostile text again, escaped.
    again = post_form(rep, fields={**fields, "slug": "xss2", "max_call_minutes": "x"}).get_data(as_text=True)
    assert_inert(again, "the editor after a mistake")


def test_hostile_slug_and_logo_values_are_refused_not_echoed(rep):
    r = post_form(rep, fields={**VALID, "slug": XSS, "brand.logo": "javascript:alert(1)"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert_inert(page, "the editor")
    assert "Must be a path under /static/" in page and "Lowercase letters, digits" in page
    token = page_token(rep)
    r = post_form(
        rep, "/demos/preview", fields={**VALID, "brand.logo": '"><script>alert(1)</script>'}, token=token
    )
    assert_inert(r.get_data(as_text=True), "the preview")


def test_a_form_over_the_upload_limit_says_so_inside_the_frame(rep):
    """A logo over the editor's 1 MiB form limit: the preview answered the studio's "Too large" page with
    the app's `frame-ancestors 'none'`, and the frame showed only Chromium's "refused to connect"."""
    big = (png() + bytes(1_100_000), "big.png", "image/png")
    r = post_form(rep, "/demos/preview", fields=VALID, logo=big)
    assert r.status_code == 413
    assert "frame-ancestors 'self'" in r.headers["Content-Security-Policy"]
    page = r.get_data(as_text=True)
    assert 'class="preview-problems"' in page and "a logo may be at most 512 KB" in page
