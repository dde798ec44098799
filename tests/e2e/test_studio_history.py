"""Back in the studio after a refused form: Chromium's Back into a page that answered a POST (a refused
sign-in, a demo saved with a mistake) showed "Confirm Form Resubmission" (net::ERR_CACHE_MISS), and a
reload would post the form again. The studio's pages that answer a POST turn their history entry into
a plain visit of the same address (static/js/pages/posted.js), so Back and reload just open the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from webcall import ROOT
from webcall.accounts import Accounts
from webcall.db import open_database

from .studio import PASSWORD, studio_database, studio_settings

REP_EMAIL = "hana@example.com"
DEMO = "northwind"  # from the repo's demos.toml, which studio_settings() seeds


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    url = studio_database(tmp_path_factory, "history")
    Accounts(open_database(url, ROOT)).add(REP_EMAIL, PASSWORD, role="rep")
    return serve_app(**studio_settings(url))


def answered(page: Page) -> None:
    """Wait until the page answering the POST has run its scripts: a module script (posted.js) runs
    before DOMContentLoaded, and only then is its history entry a visit. Left earlier (a busy machine
    can run it late), Back lands on the resubmission error whatever the page does."""
    page.wait_for_load_state("domcontentloaded")


def back_opens(page: Page, url: str) -> None:
    """Back lands on `url` as a page, not on Chromium's resubmission error."""
    page.go_back()
    expect(page).to_have_url(url)
    expect(page.locator("h1")).to_be_visible()


def test_back_after_a_refused_sign_in_opens_the_sign_in_page(page: Page, studio_url: str):
    page.goto(f"{studio_url}/demos/login")
    page.fill("#email", REP_EMAIL)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("#password-error")).to_be_visible()  # refused: the form again, with why
    answered(page)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{studio_url}/demos")
    # The sign-in page as a visit, which sends a signed-in rep on to the studio.
    back_opens(page, f"{studio_url}/demos")


def test_back_after_a_refused_save_opens_the_editor(page: Page, studio_url: str):
    page.goto(f"{studio_url}/demos/login")
    page.fill("#email", REP_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{studio_url}/demos")
    page.goto(f"{studio_url}/demos/new")
    page.fill("#f-slug", "Not A Slug!")
    page.fill("#f-title", "History demo")
    page.click("button[name=action][value=save]")
    expect(page.locator("#f-slug")).to_have_attribute("aria-invalid", "true")
    answered(page)
    page.fill("#f-slug", "history-demo")
    page.click("button[name=action][value=save]")
    expect(page).to_have_url(f"{studio_url}/demos/history-demo/edit")
    back_opens(page, f"{studio_url}/demos/new")
    page.reload()  # a plain visit: nothing is posted again
    expect(page.locator("#f-slug")).to_be_visible()


def test_back_after_a_refused_share_link_opens_the_demos_page(page: Page, studio_url: str):
    """The link form posts to an address no visit opens (/demos/<slug>/links): Back opens the page the
    form was on."""
    page.goto(f"{studio_url}/demos/login")
    page.fill("#email", REP_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{studio_url}/demos")
    form = page.locator(f"form[action='/demos/{DEMO}/links']")
    form.locator("input[name=label]").fill("Too far ahead")
    form.locator("input[name=expires]").fill("9999d")  # the page's pattern allows it; the server does not
    form.get_by_role("button", name="Make link").click()
    expect(page.locator(".form-error")).to_contain_text("days away")
    expect(page).to_have_url(f"{studio_url}/demos")  # posted to /demos/<slug>/links: its entry is a visit now
    form = page.locator(f"form[action='/demos/{DEMO}/links']")
    form.locator("input[name=expires]").fill("7d")
    form.get_by_role("button", name="Make link").click()
    expect(page.get_by_role("status").filter(has_text="is made")).to_be_visible()
    back_opens(page, f"{studio_url}/demos")
