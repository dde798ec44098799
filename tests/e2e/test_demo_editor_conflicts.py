"""Two people editing one demo in Chromium: an admin saves while a rep has the editor open; the rep's
save is not stored over it, the editor comes back with the admin's change merged in and marked, and
the rep's second save keeps both. A draft restored after the demo changed is merged the same way
(it keeps what its form was opened on)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from webcall import ROOT
from webcall.accounts import Accounts
from webcall.db import open_database

from .screens import axe_violations, shoot
from .studio import ADMIN_EMAIL, PASSWORD, editor_ready, sign_in, studio_database, studio_settings

REP_EMAIL = "erin@example.com"
EDIT = "/demos/northwind/edit"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    url = studio_database(tmp_path_factory, "conflicts")
    accounts = Accounts(open_database(url, ROOT))  # the admin of the settings is made only with no account
    accounts.add(ADMIN_EMAIL, PASSWORD, role="admin")
    accounts.add(REP_EMAIL, PASSWORD, role="rep")
    return serve_app(**studio_settings(url))


@pytest.fixture
def people(browser: Browser, studio_url: str) -> Iterator[tuple[Page, Page]]:
    """The rep's tab and the admin's, each signed in in a browser of their own."""
    contexts: list[BrowserContext] = []
    pages = []
    for email in (REP_EMAIL, ADMIN_EMAIL):
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # axe
        contexts.append(context)
        page = context.new_page()
        sign_in(page, studio_url, email, PASSWORD)
        pages.append(page)
    yield pages[0], pages[1]
    for context in contexts:
        context.close()


def saved_by(page: Page, studio_url: str, fill: dict[str, str]) -> None:
    page.goto(f"{studio_url}{EDIT}")
    for selector, value in fill.items():
        page.fill(selector, value)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice--done")).to_contain_text("Saved.")


def test_a_save_on_an_out_of_date_editor_merges_instead_of_overwriting(people, studio_url: str):
    rep, admin = people
    rep.goto(f"{studio_url}{EDIT}")
    rep.fill("#f-description", "Typed by the rep.")
    saved_by(admin, studio_url, {"#f-title": "Northwind, renamed by the admin"})

    rep.get_by_role("button", name="Save").click()
    conflict = rep.locator("#conflict")
    expect(conflict).to_contain_text("Not saved yet")
    expect(conflict).to_contain_text(ADMIN_EMAIL)
    expect(rep.locator("#f-title")).to_have_value("Northwind, renamed by the admin")
    note = rep.locator('[data-note-for="title"]')
    expect(note).to_have_text("Changed meanwhile: this is the saved value now.")
    expect(rep.locator("#f-title")).to_have_attribute("aria-describedby", "f-title-note")
    expect(rep.locator("#f-description")).to_have_value("Typed by the rep.")
    editor_ready(rep)
    expect(rep.locator("[data-draft-offer]")).to_be_hidden()  # the page shows the draft itself
    assert axe_violations(rep, {"include": [["main"]], "exclude": [["iframe"]]}) == []
    shoot(rep, "studio-demo-editor-conflict-desktop")

    rep.get_by_role("button", name="Save").click()
    expect(rep.locator(".notice--done")).to_contain_text("Saved.")
    rep.goto(f"{studio_url}/demo/northwind")
    expect(rep.locator("h1.demo__title")).to_have_text("Northwind, renamed by the admin")
    expect(rep.locator("body")).to_contain_text("Typed by the rep.")


def test_a_draft_restored_after_a_change_is_merged_too(people, studio_url: str):
    rep, admin = people
    rep.goto(f"{studio_url}{EDIT}")
    rep.fill("#f-title", "A title from the rep's draft")
    rep.goto(f"{studio_url}/demos")  # left without saving: the tab keeps the draft
    saved_by(admin, studio_url, {"#f-description": "Written by the admin meanwhile."})

    rep.goto(f"{studio_url}{EDIT}")
    expect(rep.locator("#f-description")).to_have_value("Written by the admin meanwhile.")
    rep.locator("[data-draft-offer]").get_by_role("button", name="Restore them").click()
    expect(rep.locator("#f-title")).to_have_value("A title from the rep's draft")
    rep.get_by_role("button", name="Save").click()
    # The draft's description is the one from before the admin's save: that is not the rep's change.
    expect(rep.locator("#conflict")).to_contain_text("Not saved yet")
    expect(rep.locator("#f-description")).to_have_value("Written by the admin meanwhile.")
    expect(rep.locator("#f-title")).to_have_value("A title from the rep's draft")
    rep.get_by_role("button", name="Save").click()
    expect(rep.locator(".notice--done")).to_contain_text("Saved.")
    expect(rep.locator("#f-description")).to_have_value("Written by the admin meanwhile.")
    expect(rep.locator("#f-title")).to_have_value("A title from the rep's draft")
