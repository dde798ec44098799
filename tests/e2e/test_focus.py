"""Keyboard focus through a call, in Chromium against the sandbox: whenever the control that has focus
goes away or is switched off (the call button while the call ends, the consent's Accept, the error
panel's "Try again"), focus lands on the next thing to use, never on <body>, where a keyboard or screen
reader user would start again from the top of the page."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from .screens import EL, ELEMENT, catalogue, element_state, events, instrumented_page, open_page, part

AGENT_FINAL = f'{ELEMENT} [data-role="agent"][data-final="true"]'
GREETING = "this is Ava from the itellico sandbox"

# Where focus is: the page's active element and, inside the element, which part or action has it.
FOCUS = f"""() => {{
  const inner = {EL}.shadowRoot.activeElement;
  return {{
    document: document.activeElement.tagName,
    element: inner && (inner.getAttribute('part') || inner.dataset.action || inner.tagName),
  }};
}}"""
ON = {"document": "ITELLICO-CALL"}

# The browser moves focus off a hidden or disabled control at its next rendering update: wait for two.
SETTLE = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"

# The call button's state as each `itellico-call:state` event reaches the page (the element has drawn it).
BUTTON_PER_STATE = f"""(() => {{
  window.__button = [];
  document.addEventListener('itellico-call:state', (e) => {{
    const b = {EL}.shadowRoot.querySelector('[part=call-button]');
    window.__button.push({{ state: e.detail.state, disabled: b.disabled,
                            ariaDisabled: b.getAttribute('aria-disabled') }});
  }});
}})()"""

# getUserMedia refuses once (the person clicked "Block"), then works (they changed their mind).
DENY_ONCE = """(() => {
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  let denied = false;
  md.getUserMedia = async (constraints) => {
    if (!denied) { denied = true; throw new DOMException('Permission denied', 'NotAllowedError'); }
    return gum(constraints);
  };
})()"""


def focus_is(page: Page, element: str) -> None:
    page.evaluate(SETTLE)
    assert page.evaluate(FOCUS) == {**ON, "element": element}


def tab(page: Page, key: str = "Tab") -> dict[str, str]:
    page.keyboard.press(key)
    return page.evaluate(FOCUS)


def start_by_keyboard(page: Page) -> None:
    page.focus(part("call-button"))
    page.keyboard.press("Enter")


def assert_switched_off_but_focusable_while_ending(page: Page) -> None:
    """While the call ended, the button said it was unavailable without giving up focus (`disabled`
    would drop focus to <body> at the browser's next frame, if the ending lasts that long)."""
    (ending,) = [b for b in page.evaluate("window.__button") if b["state"] == "ending"]
    assert ending == {"state": "ending", "disabled": False, "ariaDisabled": "true"}, ending
    assert page.locator(part("call-button")).get_attribute("aria-disabled") is None


def test_hanging_up_by_keyboard_keeps_focus_on_the_call_button(context: BrowserContext, app_url):
    page = instrumented_page(context, BUTTON_PER_STATE)
    open_page(page, app_url)
    en = catalogue(page)
    start_by_keyboard(page)
    element_state(page, "in-call")
    expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
    focus_is(page, "call-button")
    page.keyboard.press("Enter")  # End call
    element_state(page, "ended")
    focus_is(page, "call-button")
    expect(page.locator(part("call-button"))).to_have_text(en["action.callAgain"])
    assert_switched_off_but_focusable_while_ending(page)
    # Tab goes on to the transcript's tools and back; Enter calls again.
    assert tab(page) == {**ON, "element": "copy"}
    assert tab(page, "Shift+Tab") == {**ON, "element": "call-button"}
    page.keyboard.press("Enter")
    element_state(page, "in-call")
    assert [e["detail"]["reason"] for e in events(page, "ended")] == ["hangup"]
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")


def test_the_maximum_call_length_ending_the_call_keeps_focus_on_the_call_button(
    context: BrowserContext, app_url
):
    context.add_init_script(BUTTON_PER_STATE)
    page = context.new_page()
    open_page(page, app_url)
    page.evaluate(f"{EL}.setAttribute('max-call-seconds', '6')")
    start_by_keyboard(page)
    element_state(page, "in-call")
    focus_is(page, "call-button")
    element_state(page, "ended", timeout=20_000)
    focus_is(page, "call-button")
    assert_switched_off_but_focusable_while_ending(page)
    assert tab(page, "Shift+Tab")["element"] is None  # nothing before it in the element: out to the page


def test_accepting_the_consent_moves_focus_to_the_call_button(page: Page, app_url):
    page.goto(f"{app_url}/demo/northwind")  # a demo with a consent text
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
    start_by_keyboard(page)
    expect(page.locator(part("consent"))).to_be_visible()
    focus_is(page, "accept")
    page.keyboard.press("Enter")
    expect(page.locator(part("consent"))).to_be_hidden()
    focus_is(page, "call-button")  # now "Cancel"
    element_state(page, "in-call")
    focus_is(page, "call-button")  # now "End call"
    assert tab(page) == {**ON, "element": "mute-button"}
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")


def test_try_again_after_a_refused_microphone_moves_focus_to_the_call_button(
    context: BrowserContext, app_url
):
    context.add_init_script(DENY_ONCE)
    page = context.new_page()
    open_page(page, app_url)
    start_by_keyboard(page)
    panel = page.locator(part("error"))
    expect(panel).to_have_attribute("data-code", "mic_denied", timeout=15_000)
    focus_is(page, "call-button")
    assert tab(page) == {**ON, "element": "retry"}  # the panel's first button is next
    page.keyboard.press("Enter")  # Try again
    expect(panel).to_be_hidden()
    focus_is(page, "call-button")  # now "Cancel"
    element_state(page, "in-call")
    focus_is(page, "call-button")
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")
