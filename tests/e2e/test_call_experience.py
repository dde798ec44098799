"""The call experience (issue 4), end to end in Chromium against the sandbox: states, fast start,
agent states, timer, mute, typing, a double click, cancelling a start, two calls on one page.

The transcript is in test_call_transcript.py, what goes wrong in test_call_trouble.py, the element's
API, consent and settings in test_call_element.py. Languages, accessibility, mobile, theme and the
screenshots of every state are in test_call_screens.py.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from webcall import ROOT

from . import call_page
from .call_page import AGENT_FINAL, GREETING, QUESTION, reply_to, type_message
from .screens import (
    EL,
    ELEMENT,
    SHADOW,
    catalogue,
    element_state,
    events,
    instrumented_page,
    log,
    open_page,
    part,
)

# Fixtures (tests/e2e/call_page.py).
ipage = call_page.ipage


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

    # 4. Interim lines are styled apart from final ones (italic; the agent's dimmed too: the visitor's
    # white words on a dimmed accent fell under 4.5:1, tests/e2e/test_visitor_a11y_contrast.py), and
    # lines stay in order.
    styles = log(page)["styles"]
    interim = [s for s in styles if not s["final"]]
    final = [s for s in styles if s["final"]]
    assert interim and final
    assert all(s["fontStyle"] == "italic" for s in interim), interim
    assert all((float(s["opacity"]) < 1) == (s["role"] == "agent") for s in interim), interim
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
    # ... and by the keyboard shortcut while focus is in the call, but never while typing in the message
    # box, nor from the bare page (WCAG 2.1.4: speech input said words with an "m" and muted the call).
    page.focus(part("message-input"))
    page.keyboard.press("m")
    expect(mute).to_have_attribute("aria-pressed", "true")
    page.locator(part("title")).click()  # focus on nothing: the bare page
    page.keyboard.press("m")
    assert page.evaluate(f"{EL}.muted") is True
    mute.focus()
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
# (REPEAT_CLICK_MS in static/js/repeat-click.js, read from there: the waits below follow it).
REPEAT_CLICK_MS = int(
    re.search(r"REPEAT_CLICK_MS = (\d+)", (ROOT / "static/js/repeat-click.js").read_text()).group(1)
)

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
    page = instrumented_page(context, HOLD_MIC)
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
    # The guard is about time (REPEAT_CLICK_MS between clicks): the next click comes after it, on purpose.
    page.wait_for_timeout(REPEAT_CLICK_MS * 2)
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
    page.wait_for_timeout(REPEAT_CLICK_MS * 2)  # past the guard's time: a deliberate tap, a Cancel
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


def test_with_two_calls_on_a_page_m_mutes_only_the_one_with_focus(page: Page, app_url):
    # One M on the bare page used to toggle every call on it: muting one and unmuting the other. Now M
    # works only while focus is in an element (WCAG 2.1.4), so a bare-page M mutes none.
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
    assert muted() == [False, False]
    # A key aimed at an element (focus in it) is for that element.
    second.locator("[part=call-button]").focus()
    page.keyboard.press("m")
    expect(second.locator("[part=mute-button]")).to_have_attribute("aria-pressed", "true")
    assert muted() == [False, True]
    first.locator("[part=call-button]").focus()
    page.keyboard.press("m")
    expect(first.locator("[part=mute-button]")).to_have_attribute("aria-pressed", "true")
    assert muted() == [True, True]
    for element in (first, second):
        element.evaluate("(el) => el.end()")
        expect(element).to_have_attribute("data-state", "ended")
