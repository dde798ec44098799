"""The call experience (issue 4), end to end in Chromium against the sandbox: states, fast start, audio,
transcript, text, errors, timer and maximum length, consent, after-call, the element's public API.

Languages, accessibility, mobile, theme and the screenshots of every state are in test_call_screens.py.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sandbox.agents import load_agents
from sandbox.stack import DEFAULT_AGENT_ID
from webcall.contrast import contrast_ratio

from .harness import CHROMIUM, chromium_args
from .screens import (
    EL,
    ELEMENT,
    INSTRUMENT,
    SHADOW,
    catalogue,
    deny_microphone,
    element_state,
    events,
    log,
    open_page,
    part,
    shoot,
)

AGENT_FINAL = f'{ELEMENT} [data-role="agent"][data-final="true"]'
USER_FINAL = f'{ELEMENT} [data-role="user"][data-final="true"]'
GREETING = "this is Ava from the itellico sandbox"
QUESTION = "how much does it cost"


def reply_to(text: str) -> str:
    return load_agents()[DEFAULT_AGENT_ID].reply_to(text)


@pytest.fixture
def ipage(context: BrowserContext) -> Page:
    """A page with the instrumentation of screens.INSTRUMENT."""
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    return page


def type_message(page: Page, text: str) -> None:
    page.fill(part("message-input"), text)
    page.press(part("message-input"), "Enter")
    expect(page.locator(USER_FINAL, has_text=text)).to_have_count(1)


def test_voice_call_states_fast_start_agent_states_timer_mute_typing_and_wake_lock(ipage: Page, app_url):
    page = ipage
    open_page(page, app_url)
    en = catalogue(page)
    # The status text of every state, as it was shown (role=status announces it).
    page.evaluate(
        f"""() => {{
        window.__statusTexts = [];
        const status = {SHADOW}.querySelector('[part=status]');
        new MutationObserver(() => window.__statusTexts.push(status.textContent.trim()))
          .observe(status, {{ subtree: true, childList: true, characterData: true }});
      }}"""
    )
    status = page.locator(part("status"))
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    expect(status).to_have_text(en["state.idle"])

    page.click(part("call-button"))
    element_state(page, "in-call")
    expect(status).to_have_text(en["state.in-call"])
    expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)

    # 1. The states in order, each shown in words.
    states = [e["detail"]["state"] for e in events(page, "state")]
    assert states == ["requesting-mic", "connecting", "waiting-for-agent", "in-call"], states
    shown = page.evaluate("window.__statusTexts")
    for state in states:
        assert en[f"state.{state}"] in shown, (state, shown)

    # 2. Fast start: the microphone was live and published before the agent's first words arrived.
    record = log(page)
    first_agent_line = min(
        e["at"]
        for e in record["events"]
        if e["type"] == "transcript" and e["detail"]["entry"]["role"] == "agent"
    )
    (gum,) = record["gum"]
    assert gum["liveAt"] < first_agent_line
    assert record["published"] and record["published"][0]["at"] < first_agent_line
    assert gum["constraints"]["audio"]["echoCancellation"] is True

    # 3. Agent state labels, from lk.agent.state.
    agent_state = page.locator(part("agent-state"))
    expect(page.locator(f'{ELEMENT}[data-agent-state="listening"]')).to_have_count(1, timeout=20_000)
    expect(agent_state).to_have_text(en["agent.listening"])
    seen = {e["detail"]["agentState"] for e in events(page, "agent-state")}
    assert "speaking" in seen, seen

    # 4. Interim lines are styled apart from final ones (italic, dimmed), and lines stay in order.
    styles = log(page)["styles"]
    interim = [s for s in styles if not s["final"]]
    final = [s for s in styles if s["final"]]
    assert interim and final
    assert all(s["fontStyle"] == "italic" and float(s["opacity"]) < 1 for s in interim), interim
    assert all(s["fontStyle"] == "normal" and float(s["opacity"]) == 1 for s in final), final

    # 5. The call timer runs.
    timer = page.locator(part("timer"))
    expect(timer).to_be_visible()
    expect(page.locator(f"{ELEMENT} .timer-value")).not_to_have_text("0:00", timeout=5_000)

    # 6. Typing during a voice call (lk.chat): the agent answers the typed line.
    type_message(page, QUESTION)
    expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
    roles = page.evaluate(f"{EL}.transcript.map((e) => [e.role, e.source])")
    assert (
        roles[0] == ["agent", "voice"] and ["user", "typed"] in roles and roles[-1] == ["agent", "voice"]
    ), roles

    # 7. Mute by the button: the published microphone track stops sending.
    mute = page.locator(part("mute-button"))
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__micTrack.enabled") is False
    assert page.evaluate(f"{EL}.muted") is True
    # ... and by the keyboard shortcut, but never while typing in the message box.
    page.focus(part("message-input"))
    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "true")
    page.locator(part("title")).click()
    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__micTrack.enabled") is True
    page.keyboard.press("M")
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__micTrack.enabled") is False

    # The End call button shows the focus ring when the keyboard reaches it, as every control does
    # (its red glow outranked the ring: it looked the same focused or not).
    shadow = "(el) => getComputedStyle(el).boxShadow"
    end_button = page.locator(part("call-button"))
    resting = end_button.evaluate(shadow)
    mute.focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(f"{SHADOW}.activeElement?.getAttribute('part')") == "call-button"
    assert end_button.evaluate(shadow) != resting

    # 8. The screen stays on during the call, and is let go after it.
    wake = log(page)["wake"]
    assert [w["kind"] for w in wake] == ["request"] and wake[0]["type"] == "screen", wake
    page.click(part("call-button"))
    element_state(page, "ended")
    expect(status).to_have_text(en["state.ended"])
    assert [w["kind"] for w in log(page)["wake"]] == ["request", "release"]

    # 9. After the call: duration and status from GET /api/calls/<id>, and "call again".
    summary = page.locator(part("summary"))
    expect(summary).to_have_attribute("data-loaded", "true", timeout=20_000)
    expect(summary).to_have_attribute("data-status", "completed")
    expect(summary.locator('[data-summary="status"]')).to_have_text(en["callStatus.completed"])
    expect(summary.locator('[data-summary="duration"]')).to_have_text(re.compile(r"^0:\d\d$"))
    expect(summary.locator(".ended-reason")).to_have_text(en["ended.hangup"])
    expect(page.locator(part("call-button"))).to_have_text(en["action.callAgain"])
    assert [e["detail"]["state"] for e in events(page, "state")][-2:] == ["ending", "ended"]


# How soon a second tap on the starting call button is taken as the rest of a double-tap, not as Cancel
# (REPEAT_CLICK_MS in static/js/repeat-click.js).
REPEAT_CLICK_MS = 500

# getUserMedia held open until the test calls window.__releaseMic(), like a permission prompt nobody has
# answered yet: the call stays in requesting-mic, where the call button means Cancel.
HOLD_MIC = """(() => {
  let release;
  const held = new Promise((r) => { release = r; });
  window.__releaseMic = () => release();
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    const stream = await gum(constraints);
    await held;
    return stream;
  };
})()"""


def test_double_clicking_start_call_starts_one_call_and_a_later_click_hangs_up(ipage: Page, app_url):
    page = ipage
    open_page(page, app_url)
    # The second click of the double-click lands on the same button, which by then means Cancel.
    page.dblclick(part("call-button"))
    element_state(page, "in-call")
    assert [e["detail"]["state"] for e in events(page, "state")] == [
        "requesting-mic",
        "connecting",
        "waiting-for-agent",
        "in-call",
    ]
    assert events(page, "ended") == []
    page.click(part("call-button"))  # one deliberate click later: hang up
    element_state(page, "ended")
    assert [e["detail"]["reason"] for e in events(page, "ended")] == ["hangup"]


def test_cancel_while_starting_needs_a_deliberate_click_or_the_keyboard(browser: Browser, app_url):
    # A touch screen too: its double-tap is two taps, not a double-click.
    context = browser.new_context(permissions=["microphone"], has_touch=True)
    context.add_init_script(INSTRUMENT)
    context.add_init_script(HOLD_MIC)
    page = context.new_page()
    try:
        cancel_while_starting(page, app_url)
    finally:
        context.close()


def cancel_while_starting(page: Page, app_url: str) -> None:
    open_page(page, app_url)

    def states() -> list[str]:
        return [e["detail"]["state"] for e in events(page, "state")]

    def reasons() -> list[str]:
        return [e["detail"]["reason"] for e in events(page, "ended")]

    # A double-click starts the call and nothing else; a click a moment later cancels it.
    page.dblclick(part("call-button"))
    assert states() == ["requesting-mic"] and reasons() == []
    page.wait_for_timeout(1_000)
    page.click(part("call-button"))
    element_state(page, "ended")
    assert reasons() == ["cancelled"]

    # A double-tap that the touch screen does not count (event.detail stays 1): the same, by the time
    # between the taps (REPEAT_CLICK_MS, measured on the events' time stamps). The taps carry the times a
    # person's fingers gave them, 150 ms apart: sent with page.tap, each after its actionability checks,
    # the second came over 500 ms after the first on a busy machine (and even back to back a busy page
    # acknowledges each touch late). 80 px apart, both on the button: Chromium counts taps within 20 px
    # and 400 ms as a double-tap (detail 2), which the guard takes as a mouse's double-click.
    button = page.locator(part("call-button"))
    expect(button).to_be_enabled()
    page.evaluate(
        f"""() => {{ window.__taps = [];
        {SHADOW}.querySelector('[part=call-button]').addEventListener('click',
          (e) => window.__taps.push({{ at: e.timeStamp, pointer: e.pointerType, detail: e.detail }})); }}"""
    )
    box = button.bounding_box()
    assert box and box["width"] > 120, box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    first = time.time()
    for at, dx in ((first, -40), (first + 0.15, 40)):
        touch = {"touchPoints": [{"x": x + dx, "y": y}], "timestamp": at}
        cdp.send("Input.dispatchTouchEvent", {**touch, "type": "touchStart"})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": [], "timestamp": at + 0.05})
    cdp.detach()
    # Both taps reached the button, as single touches close enough to be one double-tap: else the test
    # would prove nothing (a tap beside the button), or something else (a counted double-tap, a Cancel).
    taps = page.wait_for_function("() => window.__taps.length >= 2 && window.__taps").json_value()
    assert [(t["pointer"], t["detail"]) for t in taps] == [("touch", 1), ("touch", 1)], taps
    assert taps[1]["at"] - taps[0]["at"] < REPEAT_CLICK_MS, taps
    assert states()[-1] == "requesting-mic", states()
    assert reasons() == ["cancelled"], "the second tap of a double-tap cancelled the call it had started"
    page.wait_for_timeout(1_000)
    page.tap(part("call-button"))
    element_state(page, "ended")
    assert reasons() == ["cancelled", "cancelled"]

    # A mouse counts its double-clicks: a single click right after the start is a deliberate Cancel.
    page.click(part("call-button"))
    page.click(part("call-button"))
    element_state(page, "ended")
    assert reasons() == ["cancelled"] * 3

    # The keyboard has no double-click: Enter cancels at once, after a click or after Enter.
    page.click(part("call-button"))
    page.keyboard.press("Enter")
    element_state(page, "ended")
    assert reasons() == ["cancelled"] * 4
    page.focus(part("call-button"))
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    element_state(page, "ended")
    assert reasons() == ["cancelled"] * 5
    assert states()[-3:] == ["requesting-mic", "ending", "ended"], states()

    # Once the microphone opens, a quickly started call connects.
    page.evaluate("window.__releaseMic()")
    page.click(part("call-button"))
    element_state(page, "in-call")
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")


def test_with_two_calls_on_a_page_a_bare_page_m_mutes_only_the_latest(page: Page, app_url):
    # One M on the bare page used to toggle every call on it: muting one and unmuting the other.
    open_page(page, app_url)
    page.evaluate("""() => {
      const first = document.querySelector('itellico-call');
      first.id = 'first';
      const second = first.cloneNode(true);
      second.id = 'second';
      first.after(second);
    }""")
    first, second = page.locator("#first"), page.locator("#second")
    for element in (first, second):
        element.locator("[part=call-button]").click()
        expect(element).to_have_attribute("data-state", "in-call", timeout=25_000)

    def muted() -> list[bool]:
        return page.evaluate("['first', 'second'].map((id) => document.getElementById(id).muted)")

    page.locator("body").click(position={"x": 2, "y": 2})  # focus on the bare page
    page.keyboard.press("m")
    expect(second.locator("[part=mute-button]")).to_have_attribute("aria-pressed", "true")
    assert muted() == [False, True]
    # A key aimed at an element (focus in it) is for that element.
    first.locator("[part=call-button]").focus()
    page.keyboard.press("m")
    expect(first.locator("[part=mute-button]")).to_have_attribute("aria-pressed", "true")
    assert muted() == [True, True]
    for element in (first, second):
        element.evaluate("(el) => el.end()")
        expect(element).to_have_attribute("data-state", "ended")


def test_transcript_copy_download_and_auto_scroll_with_jump_to_latest(browser, app_url, sandbox, tmp_path):
    context = browser.new_context(
        viewport={"width": 900, "height": 560}, permissions=["clipboard-read", "clipboard-write"]
    )
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    try:
        open_page(page, f"{app_url}/?mode=text")
        tools = page.locator(f"{ELEMENT} .tools")
        expect(tools).to_be_hidden()  # nothing to copy yet
        page.click(part("call-button"))
        element_state(page, "in-call")
        expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
        transcript = page.locator(part("transcript"))
        assert transcript.get_attribute("role") == "log" and transcript.get_attribute("aria-live") == "polite"

        scroller = f"{SHADOW}.querySelector('.transcript')"
        overflowing = f"() => {{ const t = {scroller}; return t.scrollHeight > t.clientHeight + 40; }}"
        gap = "t.scrollHeight - t.scrollTop - t.clientHeight"
        at_bottom = f"() => {{ const t = {scroller}; return {gap} < 4; }}"
        questions = ["what are your opening hours on saturday", QUESTION, "where are you located"]
        for i, q in enumerate(questions):
            type_message(page, q)
            expect(page.locator(AGENT_FINAL)).to_have_count(i + 2, timeout=20_000)
        page.wait_for_function(overflowing)
        page.wait_for_function(at_bottom)  # it followed every new line

        # Scrolled up: new lines no longer pull the view down, and "jump to latest" appears.
        jump = page.locator(part("jump-to-latest"))
        expect(jump).to_be_hidden()
        page.evaluate(f"{SHADOW}.querySelector('.transcript').scrollTop = 0")
        expect(jump).to_be_visible()
        # Typed in a right-to-left script: the box and the line read right to left, the others not.
        thanks = "\u0634\u0643\u0631\u0627 \u0644\u0643"  # Arabic "thank you"
        page.fill(part("message-input"), thanks)
        direction = "(el) => getComputedStyle(el).direction"
        assert page.locator(part("message-input")).evaluate(direction) == "rtl"
        page.press(part("message-input"), "Enter")
        expect(page.locator(USER_FINAL, has_text=thanks)).to_have_count(1)
        assert page.locator(f"{USER_FINAL} .line-text", has_text=thanks).evaluate(direction) == "rtl"
        assert page.locator(f"{USER_FINAL} .line-text", has_text=questions[0]).evaluate(direction) == "ltr"
        expect(page.locator(AGENT_FINAL)).to_have_count(len(questions) + 2, timeout=20_000)
        assert page.evaluate(f"{SHADOW}.querySelector('.transcript').scrollTop") == 0
        jump.click()
        page.wait_for_function(at_bottom)
        expect(jump).to_be_hidden()
        # Back at the bottom it follows again.
        type_message(page, "goodbye for now")
        expect(page.locator(AGENT_FINAL)).to_have_count(len(questions) + 3, timeout=20_000)
        page.wait_for_function(at_bottom)

        entries = page.evaluate(f"{EL}.transcript")
        lines = [e["text"].strip() for e in entries]

        # Copy: the whole conversation, in order, on the clipboard.
        expect(tools).to_be_visible()
        page.click(f'{ELEMENT} [data-action="copy"]')
        page.wait_for_function("() => navigator.clipboard.readText().then((t) => t.length > 0)")
        copied = page.evaluate("navigator.clipboard.readText()")
        positions = [copied.index(line) for line in lines]
        assert positions == sorted(positions), copied
        assert "You" in copied and "Ava" in copied

        # Download as text and as JSON.
        with page.expect_download() as info:
            page.click(f'{ELEMENT} [data-action="download-text"]')
        text_file = tmp_path / "t.txt"
        info.value.save_as(text_file)
        assert re.fullmatch(r"transcript-[\w-]+-\d{4}-\d{2}-\d{2}\.txt", info.value.suggested_filename)
        assert text_file.read_text() == copied
        with page.expect_download() as info:
            page.click(f'{ELEMENT} [data-action="download-json"]')
        json_file = tmp_path / "t.json"
        info.value.save_as(json_file)
        data = json.loads(json_file.read_text())
        assert info.value.suggested_filename.endswith(".json")
        assert data["call_id"] == page.evaluate(f"{EL}.callId")
        assert [m["message"] for m in data["messages"]] == lines
        assert [m["role"] for m in data["messages"]][:3] == ["agent", "user", "agent"]
        shoot(page, "extra-desktop-en-long-transcript")
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser_that_denies(pw):
    """Chromium without --use-fake-ui-for-media-stream: a microphone request nobody allowed is denied."""
    args = [a for a in chromium_args() if a != "--use-fake-ui-for-media-stream"]
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield browser
    browser.close()


def test_microphone_denied_explains_browser_steps_and_switches_to_text(browser_that_denies, app_url, sandbox):
    context = browser_that_denies.new_context()  # no microphone permission
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
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


CONSENT = "This call is recorded and transcribed to improve our service."


def test_consent_is_asked_once_remembered_across_reload_and_call_again_works(page, app_url, sandbox):
    def set_consent() -> None:
        page.evaluate(f"{EL}.setAttribute('consent-text', {json.dumps(CONSENT)})")

    open_page(page, app_url)
    en = catalogue(page)
    set_consent()
    page.click(part("call-button"))
    consent = page.locator(part("consent"))
    expect(consent).to_be_visible()
    expect(consent.locator(".consent-text")).to_have_text(CONSENT)
    # Focus moves to "Accept and start": a screen reader hears what is accepted, not only the button.
    expect(consent.locator('[data-action="accept"]')).to_have_accessible_description(CONSENT)
    assert page.evaluate(f"{EL}.state") == "idle"
    assert not any(c for c in sandbox.creates() if False)
    creates_before = len(sandbox.creates())
    consent.locator('[data-action="decline"]').click()
    expect(consent).to_be_hidden()
    assert len(sandbox.creates()) == creates_before  # declining starts nothing
    page.click(part("call-button"))
    consent.locator('[data-action="accept"]').click()
    element_state(page, "in-call")
    page.click(part("call-button"))
    element_state(page, "ended")

    # "Call again" from the after-call panel starts a new call, without asking again.
    call_again = page.locator(part("call-button"))
    expect(call_again).to_have_text(en["action.callAgain"])
    first_id = page.evaluate(f"{EL}.callId")
    call_again.click()
    expect(consent).to_be_hidden()
    element_state(page, "in-call")
    assert page.evaluate(f"{EL}.callId") != first_id
    page.click(part("call-button"))
    element_state(page, "ended")

    page.reload()
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
    set_consent()
    page.click(part("call-button"))
    expect(page.locator(f'{ELEMENT}:not([data-state="idle"])')).to_have_count(1)
    expect(consent).to_be_hidden()
    page.evaluate(f"{EL}.end()")


def test_public_api_properties_methods_and_events(ipage: Page, app_url, sandbox):
    page = ipage
    open_page(page, app_url)
    assert page.evaluate(f"[{EL}.state, {EL}.agentState, {EL}.callId, {EL}.mode]") == [
        "idle",
        None,
        None,
        "voice",
    ]
    with page.expect_response(lambda r: r.url.endswith("/api/calls")) as info:
        answered = page.evaluate(f"{EL}.start()")
    assert answered is True
    assert page.evaluate(f"{EL}.state") == "in-call"
    assert page.evaluate(f"{EL}.callId") == info.value.json()["call_id"]
    expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
    assert page.evaluate(f"{EL}.agentState") in ("listening", "speaking", "thinking", "idle")
    assert page.evaluate(f"{EL}.sendText({json.dumps(QUESTION)})") is True
    expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
    page.evaluate(f"{EL}.setMuted(true)")
    expect(page.locator(part("mute-button"))).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"[{EL}.muted, window.__micTrack.enabled]") == [True, False]
    page.evaluate(f"{EL}.setMuted(false)")
    assert page.evaluate(f"[{EL}.muted, window.__micTrack.enabled]") == [False, True]
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")
    assert page.evaluate(f"[{EL}.state, {EL}.agentState]") == ["ended", None]

    # A failing start, for the error event.
    sandbox.fault(mode="rate_limit", retry_after="7")
    assert page.evaluate(f"{EL}.start()") is False

    record = log(page)["events"]
    assert {e["type"] for e in record} == {"state", "agent-state", "transcript", "error", "ended"}
    assert all(e["bubbles"] and e["composed"] and e["target"] == "ITELLICO-CALL" for e in record)
    state = next(e["detail"] for e in record if e["type"] == "state")
    assert set(state) == {"state", "previous"} and state == {"state": "requesting-mic", "previous": "idle"}
    agent = next(e["detail"] for e in record if e["type"] == "agent-state")
    assert set(agent) == {"agentState"}
    transcript = next(e["detail"] for e in record if e["type"] == "transcript")
    assert set(transcript) == {"entry", "entries"}
    assert {"id", "role", "text", "final", "source", "timestamp"} <= set(transcript["entry"])
    ended = [e["detail"] for e in record if e["type"] == "ended"]
    assert ended[0]["reason"] == "hangup" and ended[0]["callId"] == info.value.json()["call_id"]
    assert isinstance(ended[0]["durationSeconds"], int)
    assert ended[-1]["reason"] == "failed" and ended[-1]["durationSeconds"] is None
    (error,) = [e["detail"] for e in record if e["type"] == "error"]
    assert error["code"] == "rate_limited" and error["step"] == "creating-call"
    assert error["fatal"] is True and error["retryAfter"] == 7 and isinstance(error["message"], str)


def test_variables_property_follows_the_page_variable_rule(page: Page, app_url, sandbox):
    """`variables` turns numbers and booleans into text, as the widget and the iframe bridge do, and drops
    what cannot be text with a console warning: the server would refuse the whole call otherwise."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(f"{app_url}/demo/northwind")  # allows the variable `name`
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()

    assert page.evaluate(f"{EL}.variables = {{ name: {{ first: 'Jane' }} }}, {EL}.variables") == {}
    assert any('variable "name"' in w and "not sent" in w for w in warnings), warnings
    assert page.evaluate(f"{EL}.variables = [1, 2], {EL}.variables") is None
    assert any("variables must be an object" in w for w in warnings), warnings
    assert page.evaluate(f"{EL}.variables = null, {EL}.variables") is None

    assert page.evaluate(f"{EL}.variables = {{ name: 5 }}, {EL}.variables") == {"name": "5"}
    before = len(sandbox.creates())
    page.click(part("call-button"))
    page.click(f"{ELEMENT} [data-action=accept]")  # the demo's consent text
    element_state(page, "in-call")
    (created,) = sandbox.creates()[before:]
    assert created["test_variables"]["name"] == "5", created
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")


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


def test_chosen_microphone_is_remembered_across_page_loads(ipage: Page, app_url):
    page = ipage
    open_page(page, app_url)
    page.click(part("call-button"))
    element_state(page, "in-call")
    page.click(f"{ELEMENT} [part=devices] summary")
    picker = page.locator(f'{ELEMENT} select[data-device="audioinput"]')
    # The pickers fill once the browser has listed its devices (async, after the call is up).
    expect(picker.locator('option:not([value="default"])')).not_to_have_count(0)
    options = picker.locator("option").evaluate_all("(all) => all.map((o) => o.value)")
    choice = [v for v in options if v != "default"][-1]
    picker.select_option(choice)
    stored = page.evaluate("JSON.parse(localStorage.getItem('itellico-call:devices'))")
    assert stored["audioinput"] == choice
    page.click(part("call-button"))
    element_state(page, "ended")

    page.reload()
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
    page.click(part("call-button"))
    element_state(page, "in-call")
    (gum,) = log(page)["gum"]
    assert gum["constraints"]["audio"]["deviceId"] == {"ideal": choice}
    page.click(f"{ELEMENT} [part=devices] summary")
    expect(picker).to_have_value(choice)
    page.click(part("call-button"))
    element_state(page, "ended")


# The scripts that define <itellico-call> on each page (the embed page's bundles the element).
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


def test_on_a_right_to_left_page_the_call_ui_reads_left_to_right(page: Page, app_url):
    """Its words are English or German: on an Arabic or Hebrew page (`dir=rtl`, inherited into the shadow
    root) the clock read "5:00 / 0:04" and sentences ended in front. Typed lines still follow their text."""
    open_page(page, app_url)
    page.evaluate("document.documentElement.dir = 'rtl'")
    direction = page.evaluate(f"getComputedStyle({SHADOW}.querySelector('.card')).direction")
    assert direction == "ltr"
    assert page.evaluate(f"{SHADOW}.querySelector('[part=message-input]').dir") == "auto"


def test_a_final_line_is_left_alone_while_later_lines_arrive(page: Page, app_url):
    """The transcript (role=log, additions announced) wrote every earlier line's text again on each word
    of the agent's next line: a new text node each time, which a screen reader may read as new."""
    open_page(page, f"{app_url}/?mode=text")
    page.click(part("call-button"))
    greeting = page.locator(AGENT_FINAL).first
    expect(greeting).to_contain_text(GREETING, timeout=20_000)
    page.evaluate(
        f"""() => {{
        window.__rewrites = 0;
        const line = {SHADOW}.querySelector('[data-role="agent"][data-final="true"] .line-text');
        new MutationObserver((m) => {{ window.__rewrites += m.length; }})
          .observe(line, {{childList: true, characterData: true, subtree: true}});
      }}"""
    )
    type_message(page, QUESTION)
    expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
    assert page.evaluate("window.__rewrites") == 0
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")


def test_the_message_box_stays_in_sight_on_a_phone_with_its_keyboard_open(browser: Browser, app_url):
    """On a phone the keyboard leaves little room: each answer grew the transcript above the box being
    typed in and pushed it below the screen."""
    context = browser.new_context(viewport={"width": 390, "height": 400}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        open_page(page, f"{app_url}/?mode=text")
        page.click(part("call-button"))
        expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
        box = page.locator(part("message-input"))
        box.focus()
        for question in (QUESTION, "what are your opening hours"):
            type_message(page, question)
            expect(page.locator(AGENT_FINAL, has_text=reply_to(question))).to_have_count(1, timeout=20_000)
            page.wait_for_function(
                f"() => {{ const r = {SHADOW}.querySelector('[part=message-input]').getBoundingClientRect();"
                " return r.top >= 0 && r.bottom <= innerHeight; }",
                timeout=5_000,
            )
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_message_box_and_its_placeholder_are_readable_in_both_themes(browser: Browser, app_url, scheme):
    """WCAG 1.4.3 and 1.4.11: the placeholder was 3.94:1 on the dark card (the browser's own grey), and
    the box's outline, its only edge, 1.38:1 (light) and 1.61:1 (dark)."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        open_page(page, f"{app_url}/?mode=text")
        page.click(part("call-button"))
        element_state(page, "in-call")
        colours = page.evaluate(
            f"""(() => {{ const box = {SHADOW}.querySelector('[part=message-input]');
            const card = {SHADOW}.querySelector('.card');
            return [getComputedStyle(box, '::placeholder').color, getComputedStyle(box).borderTopColor,
                    getComputedStyle(card).backgroundColor]; }})()"""
        )
        placeholder, border, card = (hex_of(c) for c in colours)
        assert contrast_ratio(placeholder, card) >= 4.5, (scheme, placeholder, card)
        assert contrast_ratio(border, card) >= 3, (scheme, border, card)
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()


def hex_of(rgb: str) -> str:
    """#rrggbb of a computed colour like rgb(117, 117, 117)."""
    r, g, b = (int(float(x)) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].replace(",", " ").split()[:3])
    return f"#{r:02x}{g:02x}{b:02x}"
