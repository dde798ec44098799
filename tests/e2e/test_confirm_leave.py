"""A reload mid-call asks first (`confirm-leave`, static/js/leave-guard.js), in Chromium on `/`.

The browser's own "Leave site?" dialog (a `beforeunload` dialog to Playwright) shows only while a call
is starting or live: not before the call, not after hang-up, so the page keeps its back/forward cache
otherwise. Chromium shows it only after a user gesture on the page; each phase clicks first, so a
listener left in place would show.
"""

from __future__ import annotations

from playwright.sync_api import Dialog, Page, expect

from .screens import ELEMENT, element_state, open_page, part


def reload_and_record(page: Page) -> list[str]:
    """Reload the page (accepting any dialog, so the reload goes through) and return the dialogs seen."""
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.reload()
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
    page.remove_listener("dialog", on_dialog)
    return seen


def test_a_reload_during_a_call_asks_first_and_only_then(page: Page, app_url, sandbox):
    open_page(page, app_url)
    expect(page.locator(ELEMENT)).to_have_attribute("confirm-leave", "")
    page.click("h1")  # a user gesture, after which Chromium would show the dialog of any listener
    assert reload_and_record(page) == [], "asked before any call"

    page.click(part("call-button"))
    element_state(page, "in-call")
    page.click(part("call-button"))  # hang up
    element_state(page, "ended")
    assert reload_and_record(page) == [], "asked after the call had ended"

    page.click(part("call-button"))
    element_state(page, "in-call")
    assert reload_and_record(page) == ["beforeunload"], "a reload ended a live call without asking"
    element_state(page, "idle")  # the reload went through: a fresh page
