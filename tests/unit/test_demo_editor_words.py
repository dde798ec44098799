"""What the demo editor tells a rep, as the page renders it (a sales-rep audit of the studio): the first
message is not a greeting, a saved link-only demo leads to making a link (its page without one is a
notice), and the slug is in every link sent to prospects."""

from __future__ import annotations

import html
import re

import pytest

from .demo_editor_helpers import VALID, post_form


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def label_and_hint(page: str, field_id: str) -> tuple[str, str]:
    label = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.DOTALL)
    hint = re.search(rf'<small class="hint" id="{field_id}-hint">(.*?)</small>', page, re.DOTALL)
    assert label and hint, field_id
    return text_of(label.group(1)), text_of(hint.group(1))


def saved_notice(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The "Saved." notice's text and its links (address, words)."""
    notice = re.search(r'<p class="notice notice--done" role="status">(.*?)</p>', page, re.DOTALL)
    assert notice, "no saved notice"
    links = re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', notice.group(1))
    return text_of(notice.group(1)), [(html.unescape(href), text_of(words)) for href, words in links]


def test_the_first_message_is_not_called_a_greeting_and_says_how_to_greet_by_name(rep):
    # A rep typed "Guten Tag {{ name }}, …" into "Greeting (initial_text)"; itellico sent it as the
    # prospect's first message and the agent answered it ("Ich habe verstanden: …").
    page = rep.get("/demos/new").get_data(as_text=True)
    label, hint = label_and_hint(page, "f-initial_text")
    assert label == "First message (sent for the visitor)"
    assert "greeting" not in label.lower()
    assert "as if the visitor had said it" in hint and "the agent answers it" in hint
    assert "the agent's own greeting, set up in itellico" in hint
    assert "{{ name }}" in hint and "variable “name”" in hint


def test_a_saved_link_only_demo_leads_to_making_a_share_link(rep):
    r = post_form(rep, fields={**VALID, "slug": "quiet", "access": "link-only"})
    assert r.status_code == 302
    text, links = saved_notice(rep.get(r.headers["Location"]).get_data(as_text=True))
    # Its page without a link says only "this demo opens via your personal link".
    assert links == [("/demos#demo-quiet", "Make a share link to try it")], links
    assert "Open the demo page" not in text
    assert "link-only demo opens only through one" in text
    # The card it points to holds the demo's link form.
    index = rep.get("/demos").get_data(as_text=True)
    card = index[index.index('id="demo-quiet"') :]
    assert '<form class="link-form"' in card[: card.index("</section>")]


def test_a_saved_public_demo_still_offers_its_page(rep):
    r = post_form(rep, fields={**VALID, "slug": "open-house", "access": "public"})
    _text, links = saved_notice(rep.get(r.headers["Location"]).get_data(as_text=True))
    assert links == [("/demo/open-house", "Open the demo page")], links


def test_the_slug_hint_says_it_is_in_every_link_sent_to_prospects(rep):
    _label, hint = label_and_hint(rep.get("/demos/new").get_data(as_text=True), "f-slug")
    assert "cannot be changed later" in hint
    assert "in every link sent to prospects" in hint
    assert "choose a neutral slug, not their company" in hint


def test_the_logo_hint_lists_what_an_svg_may_not_have(rep):
    # It said "no scripts, links or embedded pages", and an Illustrator export was refused for its style
    # attribute, an Inkscape one for its <namedview>.
    page = rep.get("/demos/new").get_data(as_text=True)
    hint = re.search(r'<small class="hint" id="f-brand-logo-hint">(.*?)</small>', page, re.DOTALL)
    assert hint
    words = text_of(hint.group(1))
    assert "no CSS ( <style> , style or class attributes)" in words, words
    assert "no drawing program's own data" in words
    assert "Presentation Attributes" in words and "Optimized SVG" in words and "upload a PNG" in words
