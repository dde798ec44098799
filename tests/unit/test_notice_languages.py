"""The notices a visitor can land on (an unknown demo, an unknown address, a refused request, a fault on
our side, the iframe's unknown demo) are in the visitor's language, as the demo pages are: a German
prospect whose demo page failed read "Something went wrong on our side" under `<html lang="en">`.

A notice at a demo's address (`/demo/<slug>…`, `/embed/<slug>…`) is in that demo's language; one with
no demo in its address takes the browser's Accept-Language among the languages the pages are written in
(English by default), and says it varies by it. The studio (/demos…) is the reps' tool: English."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from webcall import demo_page
from webcall.demo_page import PAGE_TEXT

from .conftest import sign_in

pytestmark = pytest.mark.unit

GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}
IMPRINT = "https://www.example.com/impressum"


@pytest.fixture
def app(make_sales_app) -> Flask:
    return make_sales_app()  # demos.toml: alpenblick is German and link-only, northwind English


def page_of(html: str) -> tuple[str, str, str, str]:
    """The page's language, its <title>, the notice's heading and lead."""
    lang = re.search(r'<html lang="([^"]*)"', html)
    title = re.search(r"<title>(.*?) · itellico</title>", html)
    heading = re.search(r"<h1>(.*?)</h1>\s*<p class=\"page__lead\">(.*?)</p>", html, re.S)
    assert lang and title and heading, html
    return lang.group(1), title.group(1), heading.group(1), heading.group(2)


def said(reason: str, lang: str) -> tuple[str, str, str, str]:
    text = PAGE_TEXT[lang]
    return lang, text[f"{reason}.title"], text[f"{reason}.title"], text[f"{reason}.lead"]


GERMAN_WORDS = {
    "unknown": "Hier gibt es keine Demo",
    "not_found": "Diese Seite gibt es nicht",
    "error": "Bei uns ist etwas schiefgegangen",
    "refused": "Diese Anfrage konnte nicht bearbeitet werden",
}
ENGLISH_WORDS = {
    "unknown": "There is no demo here",
    "not_found": "There is no page here",
    "error": "Something went wrong on our side",
    "refused": "This request could not be served",
}


@pytest.mark.parametrize("reason", sorted(GERMAN_WORDS))
def test_every_notice_has_its_words_in_each_language(reason):
    assert PAGE_TEXT["de"][f"{reason}.title"] == GERMAN_WORDS[reason]
    assert PAGE_TEXT["en"][f"{reason}.title"] == ENGLISH_WORDS[reason]


def test_an_unknown_address_under_a_german_demo_is_german_whatever_the_browser(client):
    r = client.get("/demo/alpenblick/nothing", headers={"Accept-Language": "en-US"})
    assert r.status_code == 404
    assert page_of(r.get_data(as_text=True)) == said("not_found", "de")
    assert "Accept-Language" not in r.headers.get("Vary", "")  # the demo decided, not the browser


def test_a_fault_on_a_german_demo_page_is_german(app: Flask, monkeypatch):
    def broken() -> str:
        raise RuntimeError("the page could not be drawn")

    monkeypatch.setattr(demo_page, "public_base", broken)  # /demo/<slug> asks it for the page's URL
    app.testing = False  # as served: the error handler answers
    r = app.test_client().get("/demo/alpenblick")
    assert r.status_code == 500
    assert page_of(r.get_data(as_text=True)) == said("error", "de")


def test_a_refused_request_on_a_german_demo_page_is_german(client):
    r = client.post("/demo/alpenblick")
    assert r.status_code == 405
    assert page_of(r.get_data(as_text=True)) == said("refused", "de")


def test_an_english_demo_keeps_english_for_a_german_browser(client):
    r = client.get("/demo/northwind/nothing", headers=GERMAN_BROWSER)
    assert page_of(r.get_data(as_text=True)) == said("not_found", "en")


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("de-AT", "de"),  # the primary language is enough
        ("fr-FR,fr;q=0.9,de;q=0.5", "de"),  # the first one the pages are written in
        ("fr-FR,en;q=0.5,de;q=0.4", "en"),
        # The first language by quality decides, by its primary subtag, as the element's does
        # (static/js/i18n.js resolveLanguage): an exact tag further down does not beat it.
        ("en-US,de;q=0.9", "en"),
        ("de-CH,en;q=0.5", "de"),
        ("de-AT,en-US;q=0.7,en;q=0.3", "de"),
        ("de;q=0,en", "en"),  # q=0: not acceptable
        ("fr", "en"),  # none of ours: English
        ("*", "en"),
        (None, "en"),
    ],
)
def test_without_a_demo_the_browser_picks_among_our_languages(client, accept, lang):
    headers = {"Accept-Language": accept} if accept else {}
    r = client.get("/demo/nope", headers=headers)
    assert r.status_code == 404
    assert page_of(r.get_data(as_text=True)) == said("unknown", lang)
    assert "Accept-Language" in r.headers["Vary"]  # a cache must not hand one visitor's page to another
    r = client.get("/nothing/here", headers=headers)
    assert r.status_code == 404
    assert page_of(r.get_data(as_text=True)) == said("not_found", lang)


def test_a_german_notice_has_a_german_footer(make_sales_app):
    client = make_sales_app(imprint_url=IMPRINT).test_client()
    html = client.get("/demo/nope", headers=GERMAN_BROWSER).get_data(as_text=True)
    link = f'<a href="{IMPRINT}" target="_blank" rel="noopener">'
    assert f'<span class="legal" lang="de">{link}Impressum</a>' in html
    html = client.get("/demo/nope").get_data(as_text=True)
    assert ">Imprint</a>" in html and "Impressum" not in html


def test_the_iframe_of_a_german_demo_is_german(client):
    html = client.get("/embed/alpenblick").get_data(as_text=True)
    assert '<html lang="de" class="embed">' in html
    assert PAGE_TEXT["de"]["loading_call"] in html


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ("", GERMAN_BROWSER, "de"),
        ("?lang=de", {}, "de"),
        ("", {}, "en"),
        ("?lang=en", GERMAN_BROWSER, "en"),
        (
            "?lang=de-AT",
            {},
            "de",
        ),  # a language tag, as the element's `lang` and the loader's `data-lang` take
        ("?lang=de_AT", {}, "de"),
        ("?lang=fr", GERMAN_BROWSER, "de"),  # not ours: the browser's
    ],
)
def test_an_iframe_of_an_unknown_demo_says_so_in_the_owners_or_the_browsers_language(
    client, query, headers, lang
):
    # `?lang=` is the site owner's choice for the frame (docs/widget.md), else the visitor's browser.
    r = client.get(f"/embed/nope{query}", headers=headers)
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert f'<html lang="{lang}" class="embed">' in html
    assert f'<p class="embed__missing">{PAGE_TEXT[lang]["embed.missing"]}</p>' in html
    assert f"<title>{PAGE_TEXT[lang]['embed.missing.title']} · itellico</title>" in html
    assert PAGE_TEXT["de"]["embed.missing"] == "Diese Demo gibt es nicht."
    assert PAGE_TEXT["en"]["embed.missing"] == "There is no such demo."


def test_the_studio_stays_english_for_a_german_browser(app: Flask):
    client = app.test_client()
    r = client.get("/demos/no/such/page", headers=GERMAN_BROWSER)
    assert r.status_code == 404
    assert page_of(r.get_data(as_text=True)) == said("not_found", "en")
    sign_in(client)  # a rep, not an admin
    r = client.get("/demos/reps", headers=GERMAN_BROWSER)
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert page_of(html) == ("en", "This page is for admins", "This page is for admins", page_of(html)[3])


def test_the_studio_switched_off_stays_english(make_sales_app):
    client = make_sales_app(sales_password=None, sales_admin_email=None).test_client()
    r = client.get("/demos", headers=GERMAN_BROWSER)
    assert r.status_code == 404
    assert page_of(r.get_data(as_text=True))[:3] == ("en", "Not found", "Not found")
