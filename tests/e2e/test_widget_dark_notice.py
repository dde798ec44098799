"""The launcher's notice on a dark OS follows the panel's theme: `auto` (the default) is dark there, as
`dark` is. static/css/widget.css gave the notice its dark colours for data-theme=dark only, so a
visitor on a dark OS saw "Calls are not available on this website" as a light pink box in a dark panel.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from . import widget_site
from .widget_site import launcher, open_site, widget

host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app


def _luminance(css_colour: str) -> float:
    """WCAG relative luminance of a computed `rgb(r, g, b)`."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _colours(page: Page, selector: str) -> tuple[str, str]:
    return page.locator(selector).evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
    )


def test_the_notice_is_dark_in_the_auto_theme_on_a_dark_os(page, host, widget_app):
    page.emulate_media(color_scheme="dark")
    open_site(page, host, widget_app, "blocked")  # a demo this site may not use: the notice
    launcher(page, "elsewhere").click()
    notice = page.locator(f"{widget('elsewhere')} [part=notice]")
    expect(notice).to_have_attribute("data-code", "origin_not_allowed")
    expect(page.locator(f"{widget('elsewhere')} .w")).to_have_attribute("data-theme", "auto")
    panel_background, _ = _colours(page, f"{widget('elsewhere')} .panel")
    background, text = _colours(page, f"{widget('elsewhere')} [part=notice]")
    assert _luminance(panel_background) < 0.05, panel_background  # the panel is dark
    assert _luminance(background) < 0.05 and _luminance(text) > 0.5, (background, text)
