"""The notices a demo page shows when its share link does not open it (missing, changed, expired,
withdrawn, or the check failed) are in the demo's language, as the rest of the page is: a German
prospect on `<html lang="de">` read "This link has expired" in English. The page keeps them as
<template>s (static/js/pages/demo.js shows one); the words come from PAGE_TEXT (webcall/demo_page.py)."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from webcall.demo_page import PAGE_TEXT, page_language, page_text

pytestmark = pytest.mark.unit

REASONS = ("link_only", "tampered", "expired", "revoked", "failed")

GERMAN = {
    "link_only": "Diese Demo öffnet sich über Ihren persönlichen Link",
    "tampered": "Dieser Link ist ungültig",
    "expired": "Dieser Link ist abgelaufen",
    "revoked": "Dieser Link wurde zurückgezogen",
    "failed": "Die Demo konnte nicht geöffnet werden",
}
ENGLISH = {
    "link_only": "This demo opens from your personal link",
    "tampered": "This link is not valid",
    "expired": "This link has expired",
    "revoked": "This link was withdrawn",
    "failed": "The demo could not be opened",
}


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def notice(html: str, reason: str) -> tuple[str, str, str]:
    """The <template>'s notice: its lang, heading and lead."""
    found = re.search(
        rf'<template data-unavailable="{reason}"><main class="page unavailable" data-reason="{reason}"'
        r' lang="(\w+)">\s*<h1>(.*?)</h1>\s*<p class="page__lead">(.*?)</p>',
        html,
        re.S,
    )
    assert found, f"no {reason} notice"
    return found.group(1), found.group(2), found.group(3)


@pytest.mark.parametrize("reason", REASONS)
def test_a_german_demo_says_why_its_link_does_not_open_in_german(client, reason):
    html = client.get("/demo/alpenblick").get_data(as_text=True)  # language de, link-only
    assert '<html lang="de">' in html
    lang, title, lead = notice(html, reason)
    assert (lang, title) == ("de", GERMAN[reason])
    assert lead == PAGE_TEXT["de"][f"{reason}.lead"] and lead != PAGE_TEXT["en"][f"{reason}.lead"]
    assert ENGLISH[reason] not in html


@pytest.mark.parametrize("reason", REASONS)
def test_an_english_demo_says_it_in_english(client, reason):
    html = client.get("/demo/northwind").get_data(as_text=True)  # language en, public
    assert '<html lang="en">' in html
    lang, title, lead = notice(html, reason)
    assert (lang, title, lead) == ("en", ENGLISH[reason], PAGE_TEXT["en"][f"{reason}.lead"])


def test_every_language_has_every_word_of_the_page():
    assert set(PAGE_TEXT["de"]) == set(PAGE_TEXT["en"])


def test_a_language_without_page_words_falls_back_to_english_and_says_so(app):
    # Demos are en or de today; a third language would show English notices marked lang="en".
    assert page_language("fr") == "en" and page_text("fr") is PAGE_TEXT["en"]
    with app.test_request_context():
        html = render_template_string(
            '{% from "_unavailable.html" import unavailable %}{{ unavailable("expired", "fr") }}'
        )
    assert notice(f'<template data-unavailable="expired">{html}', "expired")[:2] == ("en", ENGLISH["expired"])


def test_pages_outside_a_demo_keep_their_notices(client):
    r = client.get("/demo/nope")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "There is no demo here" in html and '<html lang="en">' in html
