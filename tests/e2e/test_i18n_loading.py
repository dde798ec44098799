"""The element's words in Chromium (built assets): a visitor downloads one catalogue, their language's,
English included (English travelled in the element's code, so a German visitor paid for two); the card
shows once its stylesheet and its words are in, never keys or another language first; and a catalogue
that cannot be fetched leaves English words (static/js/i18n.js CORE), tried again when the person is
about to call. docs/performance.md has the bytes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from .screens import ELEMENT, SHADOW, SHADOW_IF_PARSED, catalogue, part

CARD = f"{ELEMENT} .card"
CATALOGUES = "**/static/js/i18n/*.js"
# What an untranslated key looks like on screen: state.idle, error.network_error.title, action.start.
KEY = re.compile(r"\b[a-z]+(?:\.[A-Za-z_-]+)+\b")
STYLESHEET_IN = f"() => {SHADOW_IF_PARSED}?.querySelector('link[rel=stylesheet]')?.sheet != null"


def catalogues_fetched(page: Page) -> list[str]:
    return page.evaluate(
        """() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
            .filter((path) => path.startsWith('/static/js/i18n/'))"""
    )


def card_text(page: Page) -> str:
    return page.evaluate(f"{SHADOW}.querySelector('.card').innerText")


def next_frames(page: Page) -> None:
    """Let the page finish what its last events started (two frames), before looking."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_a_german_visitor_downloads_german_only_and_sees_german_first(page: Page, app_url):
    held: list[Route] = []
    page.route(
        CATALOGUES, lambda route: held.append(route)
    )  # each catalogue waits until the test lets it through
    page.goto(f"{app_url}/embed/northwind?lang=de", wait_until="commit")
    page.wait_for_function(STYLESHEET_IN)
    page.wait_for_function(f"() => {SHADOW_IF_PARSED}?.querySelector('.card') != null")
    for _ in range(600):  # the route handler runs while Playwright waits on the page
        if held:
            break
        next_frames(page)
    next_frames(page)
    # The stylesheet is in, the catalogue not: nothing shows yet (before: English words, then German).
    assert page.evaluate(f"{SHADOW}.querySelector('.card').hidden") is True
    assert [route.request.url.rsplit("/", 1)[1] for route in held] == ["de.js"]
    for route in held:
        route.continue_()
    expect(page.locator(CARD)).to_be_visible()
    de = catalogue(page, "de")
    expect(page.locator(part("call-button"))).to_have_text(de["action.start"])
    expect(page.locator(part("status"))).to_have_text(de["state.idle"])
    assert page.evaluate(f"{SHADOW}.querySelector('.card').lang") == "de"
    page.hover(part("call-button"))  # a call start's files load now: still no English
    assert catalogues_fetched(page) == ["/static/js/i18n/de.js"]


def test_an_english_visitor_downloads_english_only(page: Page, app_url):
    page.goto(f"{app_url}/embed/northwind?lang=en")
    expect(page.locator(part("call-button"))).to_have_text("Start call")
    page.hover(part("call-button"))
    assert catalogues_fetched(page) == ["/static/js/i18n/en.js"]
    assert not KEY.search(card_text(page)), card_text(page)


def test_without_its_catalogue_the_card_speaks_english_and_tries_again_on_intent(page: Page, app_url):
    failed: list[str] = []

    def fail(route: Route) -> None:
        failed.append(route.request.url.rsplit("/", 1)[1])
        route.abort("internetdisconnected")

    page.route(CATALOGUES, fail)
    page.goto(f"{app_url}/embed/northwind?lang=de")
    # Not blank, no keys: English words, said to be English.
    expect(page.locator(CARD)).to_be_visible()
    expect(page.locator(part("call-button"))).to_have_text("Start call")
    expect(page.locator(part("status"))).to_have_text("Ready")
    assert not KEY.search(card_text(page)), card_text(page)
    assert page.evaluate(f"{SHADOW}.querySelector('.card').lang") == "en"
    assert sorted(failed) == ["de.js", "de.js", "en.js", "en.js"]  # each tried twice, English second
    # The network is back: pointing at the call button fetches German again.
    page.unroute(CATALOGUES)
    page.hover(part("call-button"))
    de = catalogue(page, "de")
    expect(page.locator(part("call-button"))).to_have_text(de["action.start"])
    expect(page.locator(part("status"))).to_have_text(de["state.idle"])
    assert page.evaluate(f"{SHADOW}.querySelector('.card').lang") == "de"


# Every text the card shows, as it changes (its visible text and the names of its visible controls).
RECORD_TEXTS = f"""() => {{
  window.__texts = [];
  const root = {SHADOW};
  const snap = () => {{
    const card = root.querySelector('.card');
    if (card.hidden) return;
    const names = [...root.querySelectorAll('[aria-label]')].filter((el) => el.checkVisibility())
      .map((el) => el.getAttribute('aria-label'));
    window.__texts.push([card.innerText, ...names].join('\\n'));
  }};
  new MutationObserver(snap)
    .observe(root, {{ subtree: true, childList: true, characterData: true, attributes: true }});
  snap();
}}"""


@pytest.mark.parametrize("mode", ["voice", "text"])
def test_offline_without_a_catalogue_a_call_fails_in_words_not_keys(
    context: BrowserContext, page: Page, app_url, mode
):
    """The page's code came, then the network went (a train's tunnel): the visitor reads English words
    through the consent step and a call that fails, with Try again; never a key."""
    page.route(CATALOGUES, lambda route: route.abort("internetdisconnected"))
    page.goto(f"{app_url}/embed/northwind?lang=de&mode={mode}")
    expect(page.locator(part("call-button"))).to_have_text("Start call" if mode == "voice" else "Start chat")
    page.evaluate(RECORD_TEXTS)
    context.set_offline(True)
    try:
        page.click(part("call-button"))
        page.click(f"{ELEMENT} [data-action=accept]")  # northwind asks for consent first
        expect(page.locator(part("error"))).to_be_visible(timeout=20_000)
        next_frames(page)
        texts = page.evaluate("window.__texts")
        keys = sorted({key for text in texts for key in KEY.findall(text)})
        assert not keys, (keys, texts[-1])
        assert "Try again" in texts[-1] and "Call failed" in texts[-1], texts[-1]
    finally:
        context.set_offline(False)
