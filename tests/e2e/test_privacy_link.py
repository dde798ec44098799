"""The privacy policy where the visitor decides to talk (the element's `privacy-url`), in Chromium: a
"Privacy policy" link in the element's fine print under the call button before a call and in its consent
step. Our pages set it from WEBCALL_PRIVACY_URL; the launcher takes the website owner's own from
`data-privacy-url` (on a host page on another origin), the embed page from `?privacy_url=`. A new tab
(leaving the page would end a call), keyboard reachable, no axe problem, room at 320 px and on a phone
turned to landscape. A `javascript:` address is no link, and the page's owner is told once."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from urllib.parse import urlencode

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from webcall import ROOT

from .conftest import AppFactory
from .harness import serve_elsewhere
from .screens import SHADOW, axe_violations, no_horizontal_scroll, shoot

PRIVACY = "https://legal.example.com/datenschutz"  # the deployment's (WEBCALL_PRIVACY_URL)
OWNER = "https://www.acme-dental.example/privacy"  # a website owner's, on their launcher or frame
NAME = "Privacy policy (opens in a new tab)"
GERMAN_NAME = "Datenschutzerklärung (öffnet in einem neuen Tab)"
PHONE = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2}
REL = "noopener noreferrer"


def host_app() -> Flask:
    """A website owner's page with the launcher: `?app=` the app, `?privacy=` its data-privacy-url."""
    app = Flask(__name__)

    @app.get("/site")
    def site() -> Response:
        tag = (
            f'<script src="{escape(request.args["app"])}/widget.js" data-demo="northwind" '
            f'data-privacy-url="{escape(request.args["privacy"])}" async></script>'
        )
        page = f'<!doctype html><html lang="en"><title>Acme Dental</title><h1>Acme Dental</h1>{tag}</html>'
        return Response(page, mimetype="text/html")

    @app.get("/framed")
    def framed() -> Response:
        src = escape(request.args["src"])
        frame = f'<iframe src="{src}" allow="microphone" width="420" height="640"></iframe>'
        page = f'<!doctype html><html lang="en"><title>Acme Dental</title><h1>Acme Dental</h1>{frame}</html>'
        return Response(page, mimetype="text/html")

    return app


@pytest.fixture(scope="module")
def host() -> Iterator[str]:
    with serve_elsewhere(host_app()) as url:
        yield url


@pytest.fixture(scope="module")
def privacy_app(serve_app: AppFactory, host: str) -> str:
    return serve_app(demos_file=str(ROOT / "demos.toml"), privacy_url=PRIVACY, allowed_origins=(host,))


@pytest.fixture
def legal_site(browser: Browser) -> Iterator[BrowserContext]:
    """A context (axe may run: bypass_csp) where the policies' addresses answer."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})
    context.route("https://**/*privacy*", lambda route: route.fulfill(body="<p>Privacy</p>"))
    context.route("https://**/datenschutz", lambda route: route.fulfill(body="<p>Datenschutz</p>"))
    yield context
    context.close()


def link(page: Page, part: str) -> Locator:
    return page.locator(f'itellico-call [part="{part}"]')


def opens_in_a_new_tab(anchor: Locator, href: str) -> None:
    expect(anchor).to_be_visible()
    expect(anchor).to_have_attribute("href", href)
    expect(anchor).to_have_attribute("target", "_blank")
    expect(anchor).to_have_attribute("rel", REL)


def fits(page: Page, anchor: Locator) -> None:
    """A 24 px target (WCAG 2.5.8) inside the window's width, and the page does not scroll sideways."""
    anchor.scroll_into_view_if_needed()
    expect(anchor).to_be_in_viewport()
    box = anchor.bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box and box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    no_horizontal_scroll(page)


def test_the_index_shows_the_deployments_privacy_policy_at_the_call_button(legal_site, privacy_app):
    page = legal_site.new_page()
    page.goto(f"{privacy_app}/")
    stage = link(page, "privacy-link")
    opens_in_a_new_tab(stage, PRIVACY)
    # In the element's own shadow DOM, by its name; the page's footer has a "Privacy" link of its own.
    expect(page.locator("itellico-call").get_by_role("link", name=NAME)).to_have_count(1)
    assert axe_violations(page) == []
    # Keyboard: the next stop after the call button, and Enter opens the policy beside the call.
    page.locator('itellico-call [part="call-button"]').focus()
    page.keyboard.press("Tab")
    assert page.evaluate(f"{SHADOW}.activeElement?.getAttribute('part')") == "privacy-link"
    with legal_site.expect_page() as opened:
        page.keyboard.press("Enter")
    assert opened.value.url == PRIVACY
    assert page.url == f"{privacy_app}/"


@pytest.mark.parametrize("viewport", [(320, 640), (640, 320)], ids=["320", "landscape"])
def test_a_demo_with_a_consent_text_shows_it_in_the_consent_step(browser: Browser, privacy_app, viewport):
    context = browser.new_context(**PHONE, viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        page.goto(f"{privacy_app}/demo/northwind")
        stage = link(page, "privacy-link")
        opens_in_a_new_tab(stage, PRIVACY)
        fits(page, stage)
        shoot(page, f"privacy-{viewport[0]}x{viewport[1]}-idle")
        page.locator('itellico-call [part="call-button"]').click()
        expect(page.locator('itellico-call [part="consent"]')).to_be_visible()
        consent = link(page, "consent-privacy-link")
        opens_in_a_new_tab(consent, PRIVACY)
        fits(page, consent)
        expect(stage).to_be_hidden()  # not twice on screen
        shoot(page, f"privacy-{viewport[0]}x{viewport[1]}-consent")
        assert page.evaluate(f"{SHADOW}.querySelector('[part=consent]').contains({SHADOW}.activeElement)")
        page.locator('itellico-call [data-action="decline"]').click()
        expect(stage).to_be_visible()
    finally:
        context.close()


def test_the_embed_page_shows_the_owners_privacy_policy_in_its_language(legal_site, privacy_app, host):
    page = legal_site.new_page()
    embed = f"{privacy_app}/embed/northwind?{urlencode({'lang': 'de', 'privacy_url': OWNER})}"
    page.goto(f"{host}/framed?{urlencode({'src': embed})}")
    frame = page.frame_locator("iframe")
    stage = frame.locator('itellico-call [part="privacy-link"]')
    opens_in_a_new_tab(stage, OWNER)  # the owner's, not the deployment's
    expect(frame.locator("itellico-call").get_by_role("link", name=GERMAN_NAME)).to_be_visible()
    # Opened in a tab, not framed by a site the demo allows: nobody's address is shown on our page.
    page.goto(embed)
    expect(page.locator('itellico-call [part="call-button"]')).to_be_visible()
    expect(link(page, "privacy-link")).to_be_hidden()
    bad = f"{privacy_app}/embed/northwind?{urlencode({'privacy_url': 'javascript:alert(1)'})}"
    page.goto(f"{host}/framed?{urlencode({'src': bad})}")
    expect(frame.locator('itellico-call [part="call-button"]')).to_be_visible()
    expect(frame.locator('itellico-call [part="privacy-link"]')).to_have_count(1)
    expect(frame.locator('itellico-call [part="privacy-link"]')).to_be_hidden()


def open_launcher(page: Page, host: str, app: str, privacy: str) -> list[str]:
    """The owner's page, its launcher opened (the call waits for the consent); the console's warnings."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(f"{host}/site?{urlencode({'app': app, 'privacy': privacy})}")
    page.locator('itellico-widget [part="launcher"]').click()
    expect(page.locator('itellico-widget itellico-call [part="consent"]')).to_be_visible()
    return warnings


def test_the_launcher_shows_the_owners_privacy_policy_from_data_privacy_url(legal_site, host, privacy_app):
    page = legal_site.new_page()
    open_launcher(page, host, privacy_app, OWNER)
    consent = page.locator('itellico-widget [part="consent-privacy-link"]')
    opens_in_a_new_tab(consent, OWNER)
    with legal_site.expect_page() as opened:
        consent.click()
    assert opened.value.url == OWNER
    page.locator('itellico-widget [data-action="decline"]').click()
    opens_in_a_new_tab(page.locator('itellico-widget [part="privacy-link"]'), OWNER)


def test_a_javascript_privacy_url_shows_no_link_and_tells_the_owner_once(legal_site, host, privacy_app):
    page = legal_site.new_page()
    warnings = open_launcher(page, host, privacy_app, "javascript:alert(1)")
    for part in ("consent-privacy-link", "privacy-link"):
        anchor = page.locator(f'itellico-widget [part="{part}"]')
        expect(anchor).to_have_count(1)
        expect(anchor).to_be_hidden()
        assert anchor.evaluate("(a) => a.hasAttribute('href')") is False
    page.locator('itellico-widget [data-action="decline"]').click()
    expect(page.locator('itellico-widget [part="privacy-link"]')).to_be_hidden()
    told = [w for w in warnings if "privacy-url" in w]
    assert told == [
        '[itellico web-call] privacy-url "javascript:alert(1)" is not an absolute http(s) URL:'
        " no privacy link"
    ]
