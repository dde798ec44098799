"""The `/` page speaks one language: its demo's. A German browser saw an English page (heading, lead,
footer, `<html lang="en">`) around a German call card, while the agent greeted in English and its
lines sat inside `lang="de"`, so a screen reader read English with a German voice (a visitor audit).
The page, its element and the agent's lines now take the `default` demo's `language`, as /demo/<slug>
pages do; an element without `lang` on an owner's page still follows the browser
(tests/e2e/test_call_screens.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .screens import ELEMENT, SHADOW, catalogue, part

GERMAN_DEFAULT = """\
[demos.default]
title = "Sprechen Sie mit unserem KI-Agenten"
language = "de"
"""


def page_languages(browser: Browser, url: str, locale: str) -> dict:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
        return page.evaluate(
            f"""() => ({{
                page: document.documentElement.lang,
                card: {SHADOW}.querySelector('.card').lang,
                lead: document.querySelector('.page__lead').textContent,
                start: {SHADOW}.querySelector('[part=call-button]').textContent.trim(),
            }})"""
        ) | {"catalogue": catalogue(page, "en")}
    finally:
        context.close()


def test_a_german_browser_sees_the_english_default_demo_in_english(browser: Browser, app_url):
    seen = page_languages(browser, app_url, "de-DE")
    assert seen["page"] == "en" and seen["card"] == "en"
    assert seen["lead"] == "Press the button and talk. You can also type."
    assert seen["start"] == seen["catalogue"]["action.start"]


@pytest.fixture(scope="module")
def german_url(serve_app, tmp_path_factory) -> str:
    demos = Path(tmp_path_factory.mktemp("german-default")) / "demos.toml"
    demos.write_text(GERMAN_DEFAULT, encoding="utf-8")
    return serve_app(demos_file=str(demos))


def test_a_german_default_demo_makes_the_whole_page_german(browser: Browser, german_url):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(german_url)
        expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "de"
        assert page.evaluate(f"{SHADOW}.querySelector('.card').lang") == "de"
        expect(page.locator(".page__lead")).to_have_text(
            "Drücken Sie den Knopf und sprechen Sie. Sie können auch tippen."
        )
        expect(page.locator(part("call-button"))).to_have_text(catalogue(page, "de")["action.start"])
    finally:
        context.close()
