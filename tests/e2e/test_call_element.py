"""The <itellico-call> element on our page, in Chromium against the sandbox: consent, its public API
and variables, the microphone it remembers, right-to-left pages, the message box on a phone and in
both themes."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from webcall.contrast import contrast_ratio

from . import call_page
from .call_page import AGENT_FINAL, GREETING, QUESTION, hex_of, reply_to, type_message
from .screens import (
    EL,
    ELEMENT,
    SHADOW,
    catalogue,
    element_state,
    log,
    open_page,
    part,
)

# Fixtures (tests/e2e/call_page.py).
ipage = call_page.ipage


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
    # start() from the page while the step shows resolves with the person's choice (it said false at
    # once, though Accept then started a call): false after Decline, true once the agent answered.
    # (Not awaited here: evaluate would wait for the promise, which waits for the click below.)
    outcomes = f"() => {{ window.__outcomes ??= []; {EL}.start().then((r) => __outcomes.push(r)); }}"
    page.evaluate(outcomes)
    consent.locator('[data-action="decline"]').click()
    expect(consent).to_be_hidden()
    assert len(sandbox.creates()) == creates_before  # declining starts nothing
    page.wait_for_function("window.__outcomes.length === 1")
    # end() while the step shows withdraws the call asked for (a host page's own Cancel, the iframe's
    # `end`): the step goes and start() says false (it stayed up, start() never settling).
    page.evaluate(outcomes)
    expect(consent).to_be_visible()
    page.evaluate(f"{EL}.end()")
    expect(consent).to_be_hidden()
    page.wait_for_function("window.__outcomes.length === 2")
    assert len(sandbox.creates()) == creates_before
    page.evaluate(outcomes)
    consent.locator('[data-action="accept"]').click()
    element_state(page, "in-call")
    page.wait_for_function("window.__outcomes.length === 3")
    assert page.evaluate("window.__outcomes") == [False, False, True]
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


def test_on_a_right_to_left_page_the_call_ui_reads_left_to_right(page: Page, app_url):
    """Its words are English or German: on an Arabic or Hebrew page (`dir=rtl`, inherited into the shadow
    root) the clock read "5:00 / 0:04" and sentences ended in front. Typed lines still follow their text."""
    open_page(page, app_url)
    page.evaluate("document.documentElement.dir = 'rtl'")
    direction = page.evaluate(f"getComputedStyle({SHADOW}.querySelector('.card')).direction")
    assert direction == "ltr"
    assert page.evaluate(f"{SHADOW}.querySelector('[part=message-input]').dir") == "auto"


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
