"""The language of the launcher's own words (static/widget.js), as a screen reader takes it, in Chromium.

The launcher and its panel carried no `lang`: on an English host page (`<html lang="en">`) a German
demo's "Mit uns sprechen" and "Schließen" were exposed as English, so a screen reader spoke German words
with an English voice (and the reverse on a German page with an English demo). The demos are
widget_site.py's (northwind speaks English, alpen German); the host page here, in either language, runs
under the documented CSP (tests/e2e/host_csp.py) on another origin than the app. Also the German words
of the iframe page's own notice (static/js/embed-frame.js), on widget_site.py's iframe host page, and the
language of the demo's own words (its consent text and title) when the element speaks another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, Response, request
from markupsafe import escape
from playwright.sync_api import Page, Route, expect

from . import widget_site
from .conftest import AppFactory, Sandbox
from .harness import serve_elsewhere
from .screens import catalogue
from .widget_site import Recorder, host_policy, launcher, livekit_url, until, widget

host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

# The language a node is in: its own or its nearest ancestor's `lang`, across shadow roots (as the
# accessibility tree inherits it), and whether the browser's own `:lang()` agrees.
LANGUAGE = """(el) => {
  let node = el;
  while (node && !(node.nodeType === Node.ELEMENT_NODE && node.hasAttribute('lang'))) {
    node = node.parentNode instanceof ShadowRoot ? node.parentNode.host : node.parentNode;
  }
  const lang = node ? node.getAttribute('lang') : '';
  return { lang, matches: lang !== '' && el.matches(`:lang(${lang})`) };
}"""


def site(livekit: str) -> Flask:
    """A host page in the language of `?lang=`, with a launcher for each `?demo=`."""
    app = Flask(__name__)

    @app.get("/page")
    def page() -> Response:
        base = request.args["app"]
        tags = "".join(
            f'<script src="{escape(base)}/widget.js" data-demo="{escape(d)}" data-mode="text" async></script>'
            for d in request.args.getlist("demo")
        )
        html = (
            f'<!doctype html><html lang="{escape(request.args["lang"])}"><meta charset="utf-8">'
            f'<title>Acme</title><link rel="icon" href="data:,"><h1>Acme Dental</h1>{tags}</html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = host_policy(base, livekit)
        return response

    return app


@pytest.fixture(scope="module")
def lang_host(sandbox: Sandbox) -> Iterator[str]:
    with serve_elsewhere(site(livekit_url(sandbox))) as url:
        yield url


@pytest.fixture(scope="module")
def lang_app(serve_app: AppFactory, demos_file: str, lang_host: str) -> str:
    return serve_app(demos_file=demos_file, allowed_origins=(lang_host,))


def language(page: Page, demo: str, part: str) -> dict:
    return page.locator(f"{widget(demo)} [part={part}]").evaluate(LANGUAGE)


def test_a_german_demo_on_an_english_page_marks_its_words_german(page: Page, lang_host, lang_app):
    page.goto(f"{lang_host}/page?app={lang_app}&lang=en&demo=alpen&demo=northwind")
    expect(launcher(page, "alpen")).to_have_accessible_name("Mit uns sprechen")
    expect(launcher(page, "northwind")).to_have_accessible_name("Talk to Ava")
    page.evaluate("ItellicoWebCall.get('alpen').open(false)")  # the panel and its Close button
    expect(page.locator(f"{widget('alpen')} [part=close-button]")).to_have_accessible_name("Schließen")
    for part in ("launcher", "close-button", "panel", "announce"):
        assert language(page, "alpen", part) == {"lang": "de", "matches": True}, part
    assert language(page, "northwind", "launcher") == {"lang": "en", "matches": True}
    assert page.console_errors == []


def test_an_english_demo_on_a_german_page_marks_its_words_english(page: Page, lang_host, lang_app):
    page.goto(f"{lang_host}/page?app={lang_app}&lang=de&demo=northwind")
    expect(launcher(page, "northwind")).to_have_accessible_name("Talk to Ava")
    page.evaluate("ItellicoWebCall.get('northwind').open(false)")
    expect(page.locator(f"{widget('northwind')} [part=close-button]")).to_have_accessible_name("Close")
    for part in ("launcher", "close-button", "panel"):
        assert language(page, "northwind", part) == {"lang": "en", "matches": True}, part
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("tag", "close", "told"),
    [("dev", "Close", True), ("de_AT", "Schließen", False), ("DE-at", "Schließen", False)],
)
def test_data_lang_is_its_tags_first_subtag_not_its_first_two_letters(
    page: Page, lang_host, lang_app, tag: str, close: str, told: bool
):
    """`de-AT` and `de_AT` are German; `dev` (a typo, a template's placeholder) is no language the
    launcher speaks: the owner is told, and the English demo's launcher speaks English. Its first two
    letters made it German, without a word."""
    rec = Recorder(page)
    page.goto(f"{lang_host}/page?app={lang_app}&lang=en&demo=alpen")  # loads widget.js
    expect(launcher(page, "alpen")).to_be_visible()
    # With a theme it does not take, so the owner's hints (one call for all its options) surely come.
    page.evaluate(
        "([app, lang]) => ItellicoWebCall.mount({demo: 'northwind', apiBase: app, lang, theme: 'drak'})"
        ".open(false)",
        [lang_app, tag],
    )
    expect(page.locator(f"{widget('northwind')} [part=close-button]")).to_have_accessible_name(close)
    # Whatever its UI speaks, the call's transcript marks the agent's lines with the demo's language.
    expect(page.locator(f"{widget('northwind')} itellico-call")).to_have_attribute("agent-lang", "en")
    until(page, lambda: [w for w in rec.warnings if 'data-theme "drak"' in w], "the owner's hints")
    assert bool([w for w in rec.warnings if f'data-lang "{tag}" is not en or de' in w]) is told, rec.warnings


def test_a_german_iframe_without_the_microphone_says_so_in_plain_german(page: Page, host, widget_app):
    """The framed page's notice read "Sprache ist in diesem Rahmen aus": "Sprache" is language as much as
    voice, and "Rahmen" is no word a visitor uses for an embedded page (static/js/embed-frame.js)."""
    page.goto(f"{host}/frame/alpen?app={widget_app}&allow=0")  # an <iframe> without allow="microphone"
    frame = page.frame_locator("#call-frame")
    notice = frame.locator("[data-notice=microphone]")
    expect(notice).to_be_visible()
    assert frame.locator("html").get_attribute("lang") == "de"
    expect(notice.locator(".embed__notice-title")).to_have_text("Sprachanrufe sind hier nicht möglich")
    expect(notice.locator(".embed__notice-text")).to_have_text(
        "Diese Website hat das Mikrofon hier nicht erlaubt. Sie können dem Agenten stattdessen schreiben."
    )
    expect(frame.locator('itellico-call[mode="text"]')).to_have_count(1)  # and it offers text


def test_the_iframes_notice_without_any_catalogue_speaks_english_not_keys(page: Page, host, widget_app):
    """No catalogue could be fetched (offline, blocked): the notice read "error.mic_blocked_by_page.title",
    under the German page's lang. Now the page's own English words stay, said to be English
    (templates/embed.html, static/js/embed-frame.js), the same words as the English catalogue."""
    page.route("**/static/js/i18n/*.js", lambda route: route.abort("internetdisconnected"))
    page.goto(f"{host}/frame/alpen?app={widget_app}&allow=0")
    frame = page.frame_locator("#call-frame")
    notice = frame.locator("[data-notice=microphone]")
    expect(notice).to_be_visible()
    expect(frame.locator("itellico-call .card")).to_be_visible()  # the element found no catalogue either
    title, text = notice.locator(".embed__notice-title"), notice.locator(".embed__notice-text")
    expect(title).to_have_text("Voice is off on this website")
    assert not re.search(r"error\.", notice.inner_text()), notice.inner_text()
    assert title.evaluate(LANGUAGE) == {"lang": "en", "matches": True}
    page.unroute("**/static/js/i18n/*.js")
    en = catalogue(next(f for f in page.frames if "/embed/" in f.url), "en")
    expect(title).to_have_text(en["error.mic_blocked_by_page.title"])
    expect(text).to_have_text(en["error.mic_blocked_by_page.message"])


def test_the_demos_own_words_keep_the_demos_language_under_another_ui_language(
    page: Page, lang_host, lang_app
):
    """An English demo under `lang: 'de'` on a German page: its consent text and its title (title-text),
    written in English by the rep, sat in the card's lang="de" and a screen reader read them with a German
    voice. They take the demo's language (agent-lang); the card's own words stay German, and so does a
    title that is the card's translated default."""
    page.goto(f"{lang_host}/page?app={lang_app}&lang=de&demo=alpen")  # loads widget.js
    expect(launcher(page, "alpen")).to_be_visible()
    page.evaluate(
        "(app) => ItellicoWebCall.mount({demo: 'northwind', apiBase: app, lang: 'de'}).open(false)", lang_app
    )
    el = f"{widget('northwind')} itellico-call"
    page.locator(f"{el} [part=call-button]").click()
    consent = page.locator(f"{el} .consent-text")
    expect(consent).to_have_text("This demo call is processed by an AI agent.")
    assert consent.evaluate(LANGUAGE) == {"lang": "en", "matches": True}
    assert page.locator(f"{el} [part=title]").evaluate(LANGUAGE) == {"lang": "en", "matches": True}
    assert page.locator(f"{el} [data-action=accept]").evaluate(LANGUAGE) == {"lang": "de", "matches": True}
    # Without a title-text the title is the card's own words (the agent's name, or "Talk to our AI agent"
    # translated): the UI's language.
    page.locator(el).evaluate("(e) => ['title-text', 'agent-name'].forEach((a) => e.removeAttribute(a))")
    title = page.locator(f"{el} [part=title]")
    expect(title).not_to_have_text("Northwind Dental")
    assert title.evaluate(LANGUAGE) == {"lang": "de", "matches": True}
    assert page.console_errors == []


def test_the_iframes_notice_shows_in_the_visitors_language_first(page: Page, host, widget_app):
    """The notice's English words are in the page (for a page that gets no catalogue); a German visitor's
    notice shows once German is in, not English first and then German (two alerts for a screen reader)."""
    held: list[Route] = []
    page.route("**/static/js/i18n/*.js", lambda route: held.append(route))
    page.goto(f"{host}/frame/alpen?app={widget_app}&allow=0", wait_until="commit")
    frame = page.frame_locator("#call-frame")
    expect(frame.locator('itellico-call[mode="text"]')).to_have_count(1)  # the frame knows: no microphone
    until(page, lambda: held, "the German catalogue's request")
    expect(frame.locator("body[data-microphone=blocked]")).to_have_count(1)
    notice = frame.locator("[data-notice=microphone]")
    expect(notice).to_be_hidden()
    for route in held:
        route.continue_()
    expect(notice.locator(".embed__notice-title")).to_have_text("Sprachanrufe sind hier nicht möglich")
    expect(notice).to_be_visible()
