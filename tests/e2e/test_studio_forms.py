"""Studio forms in Chromium, where the browser decides what is posted and where the focus goes: a
refused editor save puts the focus on what went wrong, and Notifications' test button sends the
settings form, so the URL just typed is saved and tested (webcall/notification_prefs.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .studio import sign_in, studio_database, studio_settings

TYPED = "https://hooks.example.com/services/typed-just-now"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "forms")))


def test_a_refused_editor_save_focuses_what_went_wrong(page: Page, studio_url: str) -> None:
    # The focus was on <body>: a keyboard user started again from the navigation.
    sign_in(page, studio_url)
    page.goto(f"{studio_url}/demos/new")
    page.fill("#f-slug", "Acme Corp")  # not a slug
    page.get_by_role("button", name="Create the demo").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#form-errors")).to_be_focused()
    page.keyboard.press("Tab")  # on into the form
    assert page.evaluate("document.activeElement.closest('form') !== null")


def test_send_a_test_saves_and_tests_the_url_just_typed(page: Page, studio_url: str) -> None:
    # "Send a test" was a form of its own: it posted only its token, and the URL typed was gone.
    sign_in(page, studio_url)
    page.goto(f"{studio_url}/demos/notifications")
    page.fill("#webhook_url", TYPED)
    page.get_by_role("button", name="send a test").click()
    expect(page).to_have_url(f"{studio_url}/demos/notifications")
    expect(page.locator(".notice--done")).to_contain_text(["Saved.", "Test queued to 1 channel"])
    expect(page.locator("#webhook_url")).to_have_value(TYPED)
    page.reload()
    expect(page.locator("#webhook_url")).to_have_value(TYPED)  # saved, not only shown
