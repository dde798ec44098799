"""The element is a guest on other people's pages: a call leaves nothing in the host's console but what
the owner should act on (warnings, errors). livekit-client logs at info level by default ("connecting
to …", "room connected", … about ten lines a call, a website-owner audit counted); the element lowers
its default to warn (static/js/livekit-logs.js), a default that a developer's own choice in
localStorage (`loglevel:livekit`) still overrides."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page

from .screens import element_state, open_page, part

CHATTY = ("log", "info", "debug")


def chatter(page: Page) -> list[str]:
    said: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in CHATTY and not message.text.startswith("[itellico-call]"):
            said.append(f"{message.type}: {message.text}")

    page.on("console", note)
    return said


def test_a_call_writes_no_info_lines_to_the_hosts_console(page: Page, app_url, sandbox):
    said = chatter(page)
    open_page(page, app_url)
    page.click(part("call-button"))
    element_state(page, "in-call")
    page.click(part("call-button"))  # hang up
    element_state(page, "ended")
    assert said == [], said


def test_a_developers_own_log_level_still_counts(page: Page, app_url, sandbox):
    said = chatter(page)
    page.goto(app_url)
    page.evaluate("localStorage.setItem('loglevel:livekit', 'INFO')")
    open_page(page, app_url)
    page.click(part("call-button"))
    element_state(page, "in-call")
    page.click(part("call-button"))
    element_state(page, "ended")
    assert any(line.startswith("info: ") for line in said), said
