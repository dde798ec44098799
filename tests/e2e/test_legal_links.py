"""The imprint and privacy policy of whoever deploys the app (WEBCALL_IMPRINT_URL, WEBCALL_PRIVACY_URL),
linked from a footer of our own pages in the page's language: on `/`, on a German demo page and on the
notice that replaces it when the share link is missing; at 320 px and on a phone turned to landscape. They
open in a new tab, so a visitor who reads the privacy policy mid-call keeps the call. Unset: no footer
links at all."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from webcall import ROOT
from webcall.calllog import CallLog
from webcall.db import engine_for
from webcall.demo_registry import DemoRegistry
from webcall.links import ShareLinks
from webcall.settings import Settings

from .screens import axe_violations, no_horizontal_scroll

IMPRINT = "https://legal.example.com/impressum"
PRIVACY = "https://legal.example.com/datenschutz"
PHONE = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('legal-links') / 'calls.sqlite3'}"


@pytest.fixture(scope="module")
def legal_url(serve_app, database) -> str:
    return serve_app(
        demos_file=str(ROOT / "demos.toml"), database_url=database, imprint_url=IMPRINT, privacy_url=PRIVACY
    )


@pytest.fixture(scope="module")
def alpenblick_link(base_settings: Settings, database, legal_url) -> str:
    """A valid share link's path to the German, link-only demo, stored as the studio stores it."""
    demo = DemoRegistry.load(ROOT / "demos.toml", base_settings).get("alpenblick")
    assert demo.language == "de" and demo.link_only
    link = ShareLinks(base_settings.secret_key).issue(demo, {"name": "Maria"}, int(time.time()) + 3600)
    CallLog(engine_for(database, ROOT)).add_link(link, "Maria", created_by="web")
    return link.path()


def footer_links(page: Page) -> list[tuple[str, str | None, str | None, str | None]]:
    """The links of the page's one footer landmark: text, href, target, rel."""
    footer = page.get_by_role("contentinfo")
    expect(footer).to_have_count(1)
    links = footer.get_by_role("link")
    expect(links.first).to_be_visible()
    return [
        (link.inner_text(), *(link.get_attribute(a) for a in ("href", "target", "rel")))
        for link in links.all()
    ]


def big_enough_and_on_the_page(page: Page) -> None:
    """Each link is a target at least 24 px high (WCAG 2.2 target size), inside the viewport's width."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    for link in page.get_by_role("contentinfo").get_by_role("link").all():
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box and box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    no_horizontal_scroll(page)


def test_the_index_links_imprint_and_privacy_and_they_open_in_a_new_tab(browser: Browser, legal_url):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})  # axe
    context.route("https://legal.example.com/**", lambda route: route.fulfill(body="<p>Datenschutz</p>"))
    page = context.new_page()
    try:
        page.goto(f"{legal_url}/")
        assert footer_links(page) == [
            ("Imprint", IMPRINT, "_blank", "noopener"),
            ("Privacy", PRIVACY, "_blank", "noopener"),
        ]
        assert axe_violations(page, {"include": [["footer"]]}, impacts=None) == []
        with context.expect_page() as opened:
            page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
        assert opened.value.url == PRIVACY
        assert page.url == f"{legal_url}/"  # the call page stays where it was
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [(320, 640), (640, 320)], ids=["320", "landscape"])
def test_a_german_demo_and_its_link_notice_say_impressum_and_datenschutz(
    browser: Browser, legal_url, alpenblick_link, viewport
):
    german = [
        ("Impressum", IMPRINT, "_blank", "noopener"),
        ("Datenschutz", PRIVACY, "_blank", "noopener"),
    ]
    context = browser.new_context(**PHONE, viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        page.goto(f"{legal_url}{alpenblick_link}")
        expect(page.locator(".demo__title")).to_have_text("Alpenblick Hotels: Ihre KI-Rezeption")
        assert footer_links(page) == german
        big_enough_and_on_the_page(page)
        # No link: static/js/pages/demo.js replaces the whole page, its footer too, with the notice.
        page.goto(f"{legal_url}/demo/alpenblick")
        expect(page.locator('[data-reason="link_only"] h1')).to_have_text(
            "Diese Demo öffnet sich über Ihren persönlichen Link"
        )
        assert footer_links(page) == german
        big_enough_and_on_the_page(page)
    finally:
        context.close()


def test_without_the_settings_no_page_has_legal_links(page: Page, serve_app, app_url):
    page.goto(f"{app_url}/")
    expect(page.locator("itellico-call")).to_be_attached()
    expect(page.get_by_role("contentinfo")).to_have_count(0)
    expect(page.get_by_role("link")).to_have_count(0)
    demos = serve_app(demos_file=str(ROOT / "demos.toml"))
    page.goto(f"{demos}/demo/northwind")
    expect(page.locator(".demo__title")).to_be_visible()
    footer = page.get_by_role("contentinfo")
    expect(footer).to_have_text("Voice agent by itellico")  # the page's own line, and no links
    expect(footer.get_by_role("link")).to_have_count(0)
