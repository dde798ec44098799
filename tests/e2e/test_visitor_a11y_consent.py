"""The launcher's first open for a keyboard and screen-reader visitor, in Chromium (visitor audit).

The demo `northwind` has a consent text. On the first open the call UI is new: its card stays hidden
until its stylesheet and language are in (static/js/element-view.js), so the consent step's Accept,
focused at once, could not take the focus: it stayed on the panel, the consent text unread, and in a
landscape phone window Accept was below the panel's fold. Host page and app on two origins, as in
tests/e2e/widget_site.py (whose fixtures these are).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from . import widget_site
from .widget_site import WIDGET, launcher, open_site, widget

host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

CONSENT = "This demo call is processed by an AI agent."  # widget_site.demos_toml's northwind

# The focused control through every shadow root: what a screen reader is on.
DEEP_FOCUS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? (el.dataset.action || el.getAttribute('part') || el.tagName) : null;
}"""


def focus_becomes(page: Page, wanted: str, timeout_s: float = 10) -> None:
    """Wait until the deep focus is `wanted` (polled: the wait_for_function of other pages needs eval)."""
    seen = None
    for _ in range(int(timeout_s / 0.05)):
        seen = page.evaluate(DEEP_FOCUS)
        if seen == wanted:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"focus is on {seen!r}, not {wanted!r}")


def test_the_first_open_by_keyboard_focuses_accept_in_view_described_by_the_consent(
    page: Page, host, widget_app
):
    page.set_viewport_size({"width": 844, "height": 390})  # a phone in landscape
    open_site(page, host, widget_app, "text")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    page.locator("#search").focus()
    for _ in range(5):  # Tab to the launcher, as a keyboard visitor does
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement?.matches('{WIDGET}')"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    focus_becomes(page, "accept")
    accept = page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")
    expect(accept).to_have_accessible_description(CONSENT)
    panel = page.locator(f"{widget('northwind')} [part=panel]")
    a, p = accept.bounding_box(), panel.bounding_box()
    assert a and p and a["y"] >= p["y"] and a["y"] + a["height"] <= p["y"] + p["height"], (a, p)
    expect(accept).to_be_in_viewport(ratio=1)
