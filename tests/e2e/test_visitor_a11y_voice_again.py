"""After a refused microphone, "Continue by typing" was a one-way door (visitor audit), in Chromium.

The text call it started left the element in text mode: "Call again" started another chat even when
the microphone was allowed by then. And the advice said to reload the page, though allowing the
microphone and pressing "Try again" works without. Now the next call after such a text call is by
voice again, and the advice says "Try again".
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from . import call_page
from .screens import EL, catalogue, element_state, instrumented_page, log, open_page, part

browser_that_denies = call_page.browser_that_denies  # a fixture: no microphone permission


def test_after_typing_because_the_microphone_was_refused_the_next_call_is_by_voice(
    browser_that_denies: Browser,
    app_url,
):
    context = browser_that_denies.new_context()  # the microphone is refused
    page = instrumented_page(context)
    try:
        open_page(page, app_url)
        en = catalogue(page)
        page.click(part("call-button"))
        panel = page.locator(part("error"))
        expect(panel).to_have_attribute("data-code", "mic_denied", timeout=15_000)
        advice = panel.locator(".error-next")
        expect(advice).to_have_text(en["error.mic_denied.next.chrome"])
        assert "reload" not in advice.inner_text().lower()
        assert "Try again" in advice.inner_text()  # the button beside it, which works without a reload

        panel.locator('[data-action="switch-to-text"]').click()
        element_state(page, "in-call")
        assert page.evaluate(f"{EL}.mode") == "text"
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
        assert page.evaluate(f"{EL}.mode") == "voice"  # the door is open again
        call = page.locator(part("call-button"))
        expect(call).to_have_text(en["action.callAgain"])
        expect(page.locator(part("subtitle"))).to_have_text(en["subtitle.voice"])

        assert len(log(page)["gum"]) == 1  # the refused request; the chat asked nothing

        context.grant_permissions(["microphone"], origin=app_url)  # the visitor allows it now, no reload
        call.click()  # a voice call
        element_state(page, "in-call")
        expect(page.locator(part("mute-button"))).to_be_visible()
        refused, allowed = log(page)["gum"]
        assert "liveAt" not in refused and allowed["liveAt"], (refused, allowed)  # live for this call
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()
