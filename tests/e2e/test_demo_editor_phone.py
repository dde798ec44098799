"""The demo editor's Preview button on a phone, in Chromium: the preview frame is under the whole form
there (about 2600 px down at 390 px wide), so pressing Preview seemed to do nothing; it now brings the
preview into view. On a wide screen the preview is beside the form and nothing moves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from webcall import ROOT
from webcall.accounts import Accounts
from webcall.db import open_database

from .studio import PASSWORD, sign_in, studio_database, studio_settings

REP_EMAIL = "pia@example.com"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    url = studio_database(tmp_path_factory, "editor-phone")
    Accounts(open_database(url, ROOT)).add(REP_EMAIL, PASSWORD, role="rep")
    return serve_app(**studio_settings(url))


def editor(browser: Browser, studio_url: str, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=width < 900)
    page = context.new_page()
    sign_in(page, studio_url, REP_EMAIL, PASSWORD)
    page.goto(f"{studio_url}/demos/new")
    page.fill("#f-title", "Seen at once")
    # The preview has drawn the form once (it refreshes as the rep types).
    expect(page.frame_locator("iframe[name=preview]").locator("h1.demo__title")).to_have_text("Seen at once")
    return page


def press_preview(page: Page, touch: bool = False) -> None:
    """Press Preview where it is on the screen (in the bar stuck to the bottom), as a person does:
    Playwright's own click first scrolls to the button's place in the page, at the end of the form."""
    box = page.locator("[data-preview-button]").bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= height, box  # on the screen
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


def test_preview_on_a_phone_brings_the_preview_into_view(browser: Browser, studio_url: str):
    page = editor(browser, studio_url, 390, 844)
    try:
        frame = page.locator("#preview")
        assert page.evaluate("document.getElementById('preview').getBoundingClientRect().top") > 844
        expect(frame).not_to_be_in_viewport()
        page.fill("#f-description", "Typed just now.")
        with page.expect_response(lambda r: r.url.endswith("/demos/preview")):
            press_preview(page, touch=True)
        expect(frame).to_be_in_viewport(ratio=0.5)
        preview = page.frame_locator("iframe[name=preview]")
        expect(preview.locator(".demo__description, p", has_text="Typed just now.").first).to_be_visible()
    finally:
        page.context.close()


def test_preview_beside_the_form_moves_nothing(browser: Browser, studio_url: str):
    page = editor(browser, studio_url, 1280, 800)
    try:
        expect(page.locator("#preview")).to_be_in_viewport(ratio=0.5)
        before = page.evaluate("window.scrollY")
        with page.expect_response(lambda r: r.url.endswith("/demos/preview")):
            press_preview(page)
        assert page.evaluate("window.scrollY") == before
    finally:
        page.context.close()
