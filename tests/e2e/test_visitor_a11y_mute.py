"""Muting with the M key for a screen-reader visitor, in Chromium (visitor audit).

M muted and unmuted in silence (focus is not on the mute button, so its state change is read by
nothing), and the button's name swapped to "Unmute microphone" while aria-pressed flipped too: a
pressed "Unmute" reads as the opposite of what it is. Now M is announced and the button keeps one
name, its state in aria-pressed. A German launcher (`alpen`, no consent text) by voice, on a host page
on another origin (tests/e2e/widget_site.py's fixtures).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from . import widget_site
from .widget_site import launcher, open_site, widget

host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app


def test_the_m_key_says_muted_and_on_and_the_mute_button_keeps_its_name(page: Page, host, widget_app):
    open_site(page, host, widget_app, "voice")
    launcher(page, "alpen").click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    call = f"{widget('alpen')} itellico-call"
    mute = page.locator(f"{call} [part=mute-button]")
    said = page.locator(f"{call} [data-announcer]")
    expect(mute).to_have_accessible_name("Mikrofon stummschalten")
    expect(mute).to_have_attribute("aria-pressed", "false")

    # M works while focus is in the call (not on the mute button itself, so nothing else says it).
    page.locator(f"{call} [part=call-button]").focus()
    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(said).to_have_text("Mikrofon stummgeschaltet")
    expect(mute).to_have_accessible_name("Mikrofon stummschalten")  # the state is aria-pressed's alone

    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "false")
    expect(said).to_have_text("Mikrofon eingeschaltet")
    expect(mute).to_have_accessible_name("Mikrofon stummschalten")
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
