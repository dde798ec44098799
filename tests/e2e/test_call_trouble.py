"""When a call on our page meets trouble, in Chromium against the sandbox: a microphone denied,
missing or in use, autoplay blocked, going offline, a busy or misconfigured server, the maximum length,
a dropped call, a call script that fails to load. Each says what happened and what to do."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from . import call_page
from .call_page import AGENT_FINAL, GREETING, QUESTION, reply_to, type_message
from .screens import (
    EL,
    ELEMENT,
    SHADOW,
    catalogue,
    deny_microphone,
    element_state,
    events,
    instrumented_page,
    log,
    open_page,
    part,
    shoot,
)

# Fixtures (tests/e2e/call_page.py).
ipage = call_page.ipage
browser_that_denies = call_page.browser_that_denies


def test_microphone_denied_explains_browser_steps_and_switches_to_text(browser_that_denies, app_url, sandbox):
    context = browser_that_denies.new_context()  # no microphone permission
    page = instrumented_page(context)
    try:
        open_page(page, app_url)
        en = catalogue(page)
        page.click(part("call-button"))
        panel = page.locator(part("error"))
        expect(panel).to_be_visible(timeout=15_000)
        assert panel.get_attribute("data-code") == "mic_denied"
        assert panel.get_attribute("role") == "alert"
        expect(panel.locator(".error-title")).to_have_text(en["error.mic_denied.title"])
        expect(panel.locator(".error-message")).to_have_text(en["error.mic_denied.message"])
        expect(panel.locator(".error-next")).to_have_text(en["error.mic_denied.next.chrome"])
        (error,) = [e["detail"] for e in events(page, "error")]
        assert error["code"] == "mic_denied" and error["step"] == "microphone" and error["fatal"] is True

        switch = panel.locator('[data-action="switch-to-text"]')
        expect(switch).to_be_visible()
        switch.click()
        element_state(page, "in-call")
        assert page.evaluate(f"{EL}.mode") == "text"
        expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
        type_message(page, QUESTION)
        expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
        assert sandbox.creates()[-1]["audio_input_enabled"] is False
        assert len(log(page)["gum"]) == 1  # text mode never asked again
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("error_name", "code"), [("NotFoundError", "mic_not_found"), ("NotReadableError", "mic_in_use")]
)
def test_no_microphone_or_microphone_in_use_is_explained_with_text_offered(
    context, app_url, error_name, code
):
    context.add_init_script(deny_microphone(error_name))
    page = context.new_page()
    open_page(page, app_url)
    en = catalogue(page)
    page.click(part("call-button"))
    panel = page.locator(part("error"))
    expect(panel).to_have_attribute("data-code", code, timeout=10_000)
    expect(panel.locator(".error-title")).to_have_text(en[f"error.{code}.title"])
    expect(panel.locator(".error-next")).to_have_text(en[f"error.{code}.next"])
    expect(panel.locator('[data-action="switch-to-text"]')).to_be_visible()
    expect(panel.locator('[data-action="retry"]')).to_be_visible()


def test_autoplay_blocked_shows_tap_to_hear_and_a_tap_clears_it(launch, app_url):
    browser = launch(extra_args=["--autoplay-policy=document-user-activation-required"])
    context = browser.new_context(permissions=["microphone"])
    # Start the call from the page itself, with no user gesture, and report the banner on the console:
    # every Playwright evaluate or locator query counts as a user gesture, so none may run before.
    # Text mode: Chromium lets a page that captures the microphone autoplay, so a voice call is never
    # blocked there.
    context.add_init_script(
        """addEventListener('load', () => customElements.whenDefined('itellico-call').then(() => {
             const el = document.querySelector('itellico-call');
             const banner = el.shadowRoot.querySelector('[part=audio-blocked]');
             let told = false;
             new MutationObserver(() => {
               // Told once the agent's audio element is in and still blocked:
               // nothing plays it again by itself.
               const audio = el.shadowRoot.querySelector('.sink audio');
               if (told || banner.hidden || el.state !== 'in-call' || !audio) return;
               told = true;
               console.log('audio-blocked-banner ' + el.state);
             }).observe(el.shadowRoot, { attributes: true, childList: true, subtree: true });
             el.start();
           }))"""
    )
    page = context.new_page()
    try:
        with page.expect_console_message(
            lambda m: m.text.startswith("audio-blocked-banner"), timeout=30_000
        ) as msg:
            page.goto(f"{app_url}/?mode=text")
        assert msg.value.text == "audio-blocked-banner in-call"
        banner = page.locator(part("audio-blocked"))
        expect(banner).to_be_visible()
        # Said as well as shown (nobody is heard, the state says "Speaking"): an alert, like its sibling
        # banners. It was in no live region, so a screen reader said nothing about the silence.
        said = catalogue(page)["banner.audioBlocked"]
        expect(page.get_by_role("alert").filter(has_text=said)).to_be_visible()
        shoot(page, "extra-desktop-en-audio-blocked")
        page.click(f'{ELEMENT} [data-action="start-audio"]')
        expect(banner).to_be_hidden()
        page.wait_for_function(
            f"() => [...{SHADOW}.querySelectorAll('.sink audio')].some((a) => !a.paused)", timeout=10_000
        )
        page.evaluate(f"{EL}.end()")
    finally:
        context.close()
        browser.close()  # a browser of its own: else it stays open, playing nothing, to the session's end


def test_reconnect_after_going_offline_and_the_call_goes_on(ipage: Page, context: BrowserContext, app_url):
    page = ipage
    open_page(page, app_url)
    en = catalogue(page)
    page.click(part("call-button"))
    element_state(page, "in-call")
    expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
    banner = page.locator(part("reconnecting"))
    context.set_offline(True)
    # At once: the browser knows it is offline; livekit-client notices only at its ping timeout (~15 s),
    # and once "In call" stayed on meanwhile with nothing said.
    expect(banner).to_be_visible(timeout=3_000)
    expect(banner).to_have_text(en["banner.reconnecting"])
    context.set_offline(False)
    # The banner hides as the browser is back online; livekit-client's own Reconnecting may come only
    # then (a busy page takes the socket's close late: the banner shows again) and its Reconnected
    # after the rebuilt connection, seconds later: that is what announces "Reconnected.", and after it
    # the banner stays hidden.
    expect(page.locator(f"{ELEMENT} [data-announcer]")).to_have_text(en["banner.reconnected"], timeout=30_000)
    expect(banner).to_be_hidden()
    assert page.evaluate(f"{EL}.state") == "in-call"
    # The agent still answers, and its audio still arrives (re-attached after the reconnect).
    before = page.evaluate(f"{EL}.getConnectionStats()")["inboundAudioBytes"]
    type_message(page, QUESTION)
    expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
    page.wait_for_function(
        f"async (b) => (await {EL}.getConnectionStats()).inboundAudioBytes > b + 2000",
        arg=before,
        timeout=15_000,
    )
    assert page.locator(f"{ELEMENT} .sink audio").count() >= 1
    page.click(part("call-button"))
    element_state(page, "ended")


# What the error panel shows as it counts down, recorded by the page at each change: its next-step line,
# "Try again" (words, disabled) and whether the big call button is held (aria-disabled); `heldAtClick`:
# whether it was held when clicked. Each number shows for one second only: none has to be caught live.
COUNTDOWN_LOG = """(root) => {
  const log = window.__countdown = { shown: [], heldAtClick: [] };
  const next = root.querySelector('[part=error] .error-next');
  const retry = root.querySelector('[part=error] [data-action=retry]');
  const call = root.querySelector('[part=call-button]');
  const held = () => call.getAttribute('aria-disabled') === 'true';
  new MutationObserver(() => {
    const now = { next: next.textContent, retry: retry.textContent, retryDisabled: retry.disabled,
                  callHeld: held() };
    if (now.next && JSON.stringify(now) !== JSON.stringify(log.shown.at(-1))) log.shown.push(now);
  }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  call.addEventListener('click', () => log.heldAtClick.push(held()), true);
}"""


def test_busy_server_counts_down_retry_after_with_retry_disabled(page, app_url, sandbox):
    sandbox.fault(mode="rate_limit", retry_after="4")
    open_page(page, app_url)
    en = catalogue(page)

    def shown_at(seconds: int) -> dict[str, object]:
        """The panel with `seconds` left of the server's Retry-After (0: the wait is over)."""
        if not seconds:
            return {
                "next": en["error.retry.now"],
                "retry": en["action.tryAgain"],
                "retryDisabled": False,
                "callHeld": False,
            }
        key = "error.retry.inOne" if seconds == 1 else "error.retry.in"  # "1 second", not "1 seconds"
        words = {"next": en[key], "retry": en["action.tryAgainIn"]}
        return {k: v.replace("{seconds}", str(seconds)) for k, v in words.items()} | {
            "retryDisabled": True,
            "callHeld": True,  # the big button would start the same refused call: held too (aria-disabled)
        }

    def until_shown(seconds: int) -> None:
        page.wait_for_function(
            "(s) => window.__countdown.shown.some((x) => x.next === s)", arg=shown_at(seconds)["next"]
        )

    page.evaluate(f"({COUNTDOWN_LOG})({SHADOW})")
    page.click(part("call-button"))
    panel = page.locator(part("error"))
    expect(panel).to_have_attribute("data-code", "rate_limited", timeout=10_000)
    expect(panel.locator(".error-title")).to_have_text(en["error.rate_limited.title"])
    retry = panel.locator('[data-action="retry"]')
    next_step = panel.locator(".error-next")
    # It counts down from the server's Retry-After (4 s), the first thing the panel showed.
    until_shown(4)
    assert page.evaluate("window.__countdown.shown[0]") == shown_at(4)
    call_button = page.locator(part("call-button"))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    call_button.click(force=True)  # force: Playwright itself waits for an aria-disabled button
    assert page.evaluate("window.__countdown.heldAtClick") == [False, True]  # the start, then while held
    until_shown(2)
    assert posts == [] and page.locator(f'{ELEMENT}[data-state="error"]').count() == 1
    until_shown(1)
    expect(retry).to_be_enabled(timeout=3_000)
    expect(retry).to_have_text(en["action.tryAgain"])
    expect(next_step).to_have_text(en["error.retry.now"])
    expect(call_button).not_to_have_attribute("aria-disabled", "true")
    assert posts == []  # the click while held started nothing, then or later
    # Every step as shown: down a second at a time (a stalled page may skip one), each with its "Try
    # again" and held button, to "You can try again now" with both released.
    steps = [shown_at(n) for n in (4, 3, 2, 1, 0)]
    shown = page.evaluate("window.__countdown.shown")
    assert all(s in steps for s in shown), shown
    order = [steps.index(s) for s in shown]
    assert order == sorted(set(order)) and {0, 2, 3, 4} <= set(order), shown
    sandbox.clear()
    retry.click()  # the server has room again: now the call goes through
    element_state(page, "in-call")
    page.click(part("call-button"))
    element_state(page, "ended")


def test_misconfigured_server_says_the_site_owner_must_fix_it(page, app_url, sandbox):
    sandbox.fault(mode="server_error", status=401)  # the stand-in refuses our credentials
    open_page(page, app_url)
    en = catalogue(page)
    page.click(part("call-button"))
    panel = page.locator(part("error"))
    expect(panel).to_have_attribute("data-code", "misconfigured", timeout=10_000)
    expect(panel.locator(".error-title")).to_have_text(en["error.misconfigured.title"])
    expect(panel.locator(".error-next")).to_have_text(en["error.misconfigured.next"])
    expect(panel.locator('[data-action="retry"]')).to_be_hidden()  # retrying cannot help
    expect(panel.locator('[data-action="switch-to-text"]')).to_be_hidden()


def test_max_call_length_warns_then_ends_the_call(page, app_url):
    open_page(page, app_url)
    en = catalogue(page)
    page.evaluate(f"{EL}.setAttribute('max-call-seconds', '8')")
    page.evaluate(
        f"""() => {{ window.__ended = [];
        {EL}.addEventListener('itellico-call:ended', (e) => window.__ended.push(e.detail)); }}"""
    )
    page.click(part("call-button"))
    element_state(page, "in-call")
    expect(page.locator(f"{ELEMENT} .timer-value")).to_contain_text("/ 0:08")
    warning = page.locator(part("max-warning"))
    expect(warning).to_be_visible(timeout=5_000)
    expect(warning).to_contain_text(en["banner.maxLength"].split("{seconds}")[1].strip())
    element_state(page, "ended", timeout=15_000)
    (ended,) = page.evaluate("window.__ended")
    assert ended["reason"] == "max-duration" and 7 <= ended["durationSeconds"] <= 10, ended
    expect(page.locator(f"{ELEMENT} .ended-reason")).to_have_text(en["ended.max-duration"])
    expect(page.locator(f"{ELEMENT} [data-announcer]")).to_have_text(en["ended.max-duration"])
    expect(warning).to_be_hidden()


def test_dropped_call_shows_the_error_and_the_after_call_panel(page, app_url):
    """Another participant joining with the same identity makes livekit-server drop this one
    (DUPLICATE_IDENTITY): a drop that no reconnect can undo, without waiting ~45 s for retries to run out."""
    open_page(page, app_url)
    en = catalogue(page)
    with page.expect_response(lambda r: r.url.endswith("/api/calls")) as info:
        page.click(part("call-button"))
    created = info.value.json()
    element_state(page, "in-call")
    intruder = page.context.new_page()
    intruder.goto(app_url)
    intruder.evaluate(
        """async ([url, token]) => {
        const lk = await import('/vendor/livekit-client.esm.mjs');
        window.__room = new lk.Room();
        await window.__room.connect(url, token);
      }""",
        [created["livekit_url"], created["token"]],
    )
    element_state(page, "error", timeout=20_000)
    panel = page.locator(part("error"))
    expect(panel).to_have_attribute("data-code", "call_dropped")
    expect(panel.locator(".error-title")).to_have_text(en["error.call_dropped.title"])
    # The status line says the same as the panels ("The call dropped"), not "Call failed".
    expect(page.locator(part("status"))).to_have_text(en["state.dropped"])
    summary = page.locator(part("summary"))
    expect(summary).to_be_visible()
    expect(summary.locator(".ended-reason")).to_have_text(en["ended.dropped"])
    expect(summary).to_have_attribute("data-loaded", "true", timeout=20_000)
    expect(summary.locator('[data-summary="duration"]')).not_to_have_text("\u2013")  # the placeholder dash
    note = summary.locator(".summary-note")
    # Either the backend's record, or a plain sentence that it is not available: never a blank panel.
    assert summary.get_attribute("data-status") or note.inner_text().startswith(en["summary.unavailable"])
    shoot(page, "extra-desktop-en-dropped")
    intruder.evaluate("window.__room.disconnect()")
    intruder.close()


SCRIPTS = re.compile(r".*/(itellico-call|embed-frame)(\.[0-9a-f]+)?\.js.*")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", "Loading the call"),
        ("/demo/northwind", "Loading the call"),
        ("/embed/northwind?lang=de", "Der Anruf"),
    ],
)
def test_a_page_whose_call_script_fails_says_so_instead_of_showing_nothing(page: Page, app_url, path, words):
    # With itellico-call.js slow or failing to load, the page said "Press the button and talk" with no
    # button (and the embed page was blank). The element's own content shows until it is defined.
    page.route(SCRIPTS, lambda route: route.abort())
    page.goto(app_url.rstrip("/") + path)
    expect(page.locator("itellico-call .call-fallback")).to_be_visible()
    expect(page.locator("itellico-call .call-fallback")).to_contain_text(words)
    page.unroute(SCRIPTS)
    page.reload()
    expect(page.locator(f"{ELEMENT} [part=call-button]")).to_be_visible()
    expect(page.locator("itellico-call .call-fallback")).to_be_hidden()  # the defined element hides it
