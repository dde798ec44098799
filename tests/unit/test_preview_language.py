"""The editor's preview of a demo in another language: the page below the banner is the demo's (its
`<html lang>`), the banner and its list of mistakes are the studio's English, and say so, so that a screen
reader does not read them with the demo's voice (an audit: a German demo's banner read in German)."""

from __future__ import annotations

import re

import pytest

from .demo_editor_helpers import VALID, post_form


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_the_preview_banner_of_a_german_demo_is_marked_english(rep):
    r = post_form(rep, "/demos/preview", fields={**VALID, "language": "de", "brand.accent": "#ffff00"})
    page = r.get_data(as_text=True)
    assert '<html lang="de"' in page  # the page under the banner is the demo's
    banner = re.search(r'<div class="preview-banner"[^>]*>', page)
    assert banner is not None and 'lang="en"' in banner.group(0)
    assert 'class="preview-problems"' in page  # the mistakes sit inside the banner
