"""The embeddable widget in Chromium, on a host page served from ANOTHER origin than the app.

The app runs on http://127.0.0.1:<B>; the sample host page (tests/e2e/hosts/) on http://localhost:<A>,
with a strict Content-Security-Policy of its own. Calls go to the stand-in and the local agents.
"""

from __future__ import annotations

import gzip
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Playwright, Route, expect

from . import widget_site
from .test_call_lifecycle import kick_agent
from .widget_site import (
    AVA,
    LENA,
    WIDGET,
    Recorder,
    host_events,
    launcher,
    new_creates,
    open_site,
    shot,
    until,
    widget,
)

BUDGET_GZIP_BYTES = 10 * 1024

# The sample host site and the app that allows it, one of each per file (tests/e2e/widget_site.py).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

# ── the script embed ──────────────────────────────────────────────────────────────────────────────


def test_light_until_intent_then_a_cross_origin_call_with_events_and_variables(
    page, host, widget_app, sandbox
):
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "two")
    assert urlsplit(page.url).hostname == "localhost" and urlsplit(widget_app).hostname == "127.0.0.1"
    expect(launcher(page, "northwind")).to_be_visible()
    expect(launcher(page, "alpen")).to_be_visible()
    expect(launcher(page, "northwind")).to_have_text("Talk to Ava")  # label from the demo profile
    expect(launcher(page, "alpen")).to_have_text("Mit uns sprechen")  # the demo's language

    # Before any intent: only the loader, no element, no livekit-client; within the gzip budget.
    page.wait_for_load_state("networkidle")
    assert rec.fetched("livekit-client") == [] and rec.fetched("itellico-call.js") == []
    ours = [u for u in rec.requests if u.startswith(widget_app) and u.split("?")[0].endswith((".js", ".mjs"))]
    assert ours == [f"{widget_app}/widget.js"], ours
    loader = page.request.get(f"{widget_app}/widget.js").body()  # as served: the build's minified copy
    assert loader.startswith(b"(function(){") and len(gzip.compress(loader, 9)) <= BUDGET_GZIP_BYTES

    # One namespaced global, nothing else.
    added = page.evaluate(
        "Object.getOwnPropertyNames(window).filter((k) => !window.hostRecord.baseline.includes(k))"
    )
    assert added == ["ItellicoWebCall"], added
    # The variable the demo does not allow is refused with a clear warning, before any call.
    assert any('variable "secret" is not allowed for demo "northwind"' in w for w in rec.warnings), (
        rec.warnings
    )

    # The two launchers sit in different corners (profile positions).
    left = launcher(page, "alpen").bounding_box()
    right = launcher(page, "northwind").bounding_box()
    assert left and right and left["x"] < 100 < right["x"]

    # Hover warms: the element and livekit-client arrive before the click.
    with page.expect_request(lambda r: "livekit-client" in r.url):
        launcher(page, "northwind").hover()
    assert rec.fetched("widget-panel.js")
    # The minified build (the e2e suite's WEBCALL_ASSETS=built): shared chunks, not the plain modules.
    assert rec.fetched("/static/js/chunk-") and rec.fetched("call-session.js") == []

    launcher(page, "northwind").click()
    nw = page.locator(f"{widget('northwind')} itellico-call")
    page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()  # the consent text
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    expect(nw.locator('[data-role="agent"][data-final="true"] .line-text').first).to_contain_text(
        "Hello Jane, this is Ava", timeout=20_000
    )
    # In the demo's language (the launcher's agent-lang), for a screen reader's voice, whatever the UI's.
    expect(nw.locator('[data-role="agent"] .line-text').first).to_have_attribute("lang", "en")
    # The demo's name for its agent, not the agent's own ("Ava"), heads the call and labels its lines.
    expect(nw.locator("[part=title]")).to_have_text("Ava at Northwind")
    expect(nw.locator('[data-role="agent"] .line-who').first).to_have_text("Ava at Northwind")
    (created,) = new_creates(sandbox, before)
    assert created["agent_id"] == AVA
    assert created["test_variables"] == {"company": "Northwind Dental", "name": "Jane"}

    # The host page's own script got the element's events out of two shadow roots.
    states = [e["detail"]["state"] for e in host_events(page, "northwind", "state")]
    assert "in-call" in states and states[0] != "in-call"
    assert host_events(page, "northwind", "transcript")
    assert page.locator(f"{widget('alpen')}").get_attribute("data-call-state") == "idle"  # independent

    # The second widget, through the JS API: one name too long, one unknown; both refused, both warned.
    accepted = page.evaluate("ItellicoWebCall.get('alpen').setVariables({name: 'x'.repeat(61), room: '12'})")
    assert accepted == {}
    assert any('"name" is longer than 60 characters' in w for w in rec.warnings)
    assert any('variable "room" is not allowed for demo "alpen"' in w for w in rec.warnings)
    page.evaluate("ItellicoWebCall.get('alpen').setVariables({name: 'Max'})")
    launcher(page, "alpen").click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (_, lena) = new_creates(sandbox, before)
    assert lena["agent_id"] == LENA and lena["test_variables"] == {
        "company": "Alpenblick Hotels",
        "name": "Max",
    }
    assert (
        page.locator(widget("northwind")).get_attribute("data-call-state") == "in-call"
    )  # still its own call

    for demo in ("northwind", "alpen"):
        page.evaluate(f"ItellicoWebCall.get('{demo}').end()")
        expect(page.locator(f'{widget(demo)}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert [e["detail"]["reason"] for e in host_events(page, kind="ended")] == ["hangup", "hangup"]

    # Our styles did not leak: the host's button carries our class names and keeps its own look.
    leak = page.evaluate(
        "(() => { const s = getComputedStyle(document.getElementById('host-button'));"
        " return [s.borderRadius, s.position, s.backgroundColor]; })()"
    )
    assert leak[0] != "28px" and leak[1] == "static" and leak[2] != "rgb(15, 118, 110)", leak
    assert rec.errors == []  # no CSP violation, no script error, on a strict-CSP host page


def test_hostile_host_css_leaves_the_launcher_visible_and_keyboard_usable(page, host, widget_app, sandbox):
    rec = open_site(page, host, widget_app, "hostile")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box and box["width"] >= 56 and box["height"] >= 56, box
    looks = button.evaluate(
        "(b) => { const s = getComputedStyle(b);"
        " return [s.fontFamily, s.fontSize, s.display, s.backgroundColor]; }"
    )
    assert "Comic" not in looks[0] and looks[1] == "16px" and looks[2] == "inline-flex", looks
    assert looks[3] == "rgb(15, 118, 110)"  # the demo's accent, not the host's magenta

    # Keyboard: Tab reaches the launcher; the focus ring is visible; Enter opens; Escape closes.
    page.locator("#search").focus()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement?.matches('{WIDGET}')"):
            break
    assert page.evaluate(
        f"document.querySelector('{widget('northwind')}').shadowRoot.activeElement?.classList.contains('launcher')"
    )
    ring = button.evaluate(
        "(b) => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"], ring
    page.keyboard.press("Enter")
    panel = page.locator(f"{widget('northwind')} [part=panel]")
    expect(panel).to_be_visible()
    page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    page.locator(f"{widget('northwind')} itellico-call [part=message-input]").fill("what are your prices")
    page.keyboard.press("Enter")
    expect(
        page.locator(f'{widget("northwind")} [data-role="agent"]', has_text="forty nine euros")
    ).to_have_count(1, timeout=20_000)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_have_text("In call")  # minimised, the call goes on
    # The call ends by itself while minimised (here the agent leaves): the panel shows why. It only
    # turned back into "Talk to us", and the visitor never learned the call was over.
    call_id = page.locator(f"{widget('northwind')} itellico-call").evaluate("(el) => el.callId")
    kick_agent(sandbox, call_id)
    expect(panel).to_be_visible(timeout=20_000)
    expect(page.locator(f"{widget('northwind')} itellico-call [part=summary]")).to_be_visible()
    assert [e["detail"]["reason"] for e in host_events(page, "northwind", "ended")] == ["agent-ended"]
    expect(button).to_be_focused()  # focus stayed where the visitor was (Escape put it there)
    assert rec.errors == []


def test_disallowed_origin_gets_a_clear_message_and_no_call(page, host, widget_app, sandbox):
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "blocked")
    launcher(page, "elsewhere").click()
    notice = page.locator(f"{widget('elsewhere')} [part=notice]")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-code", "origin_not_allowed")
    expect(notice).to_contain_text("Calls are not available on this website")
    assert any(f"calls from {host} are not allowed" in w for w in rec.warnings), rec.warnings
    # The element and livekit-client are never loaded for a site that may not call.
    assert rec.fetched("widget-panel.js") == [] and rec.fetched("livekit-client") == []
    # And a hand-made create for this demo from this origin (which another demo allows) is refused.
    outcome = page.evaluate(
        """(app) => fetch(app + '/api/calls', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({demo: 'elsewhere'})})
             .then(async (r) => [r.status, (await r.json()).error.code])""",
        widget_app,
    )
    assert outcome == [403, "origin_not_allowed"]
    assert new_creates(sandbox, before) == []
    # Variables set there: the origin is the problem (warned above), not the variable's name.
    assert page.evaluate("ItellicoWebCall.widgets[0].setVariables({name: 'x'})") == {}
    assert not [w for w in rec.warnings if "variable" in w], rec.warnings


def test_a_sandboxed_page_is_told_its_origin_is_opaque_not_a_wrong_origin(page, host, widget_app, sandbox):
    """In <iframe sandbox="allow-scripts"> the page's origin is opaque: the browser sends `Origin: null`,
    so even a page whose URL's origin the demo allows is refused. The console hint named the URL's
    origin ("Add this origin", which is allowed already); it must say why instead."""
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.goto(f"{host}/sandboxed/text?app={widget_app}")
    frame = page.frame_locator("iframe")
    frame.locator(f"{widget('northwind')} [part=launcher]").click()
    notice = frame.locator(f"{widget('northwind')} [part=notice]")
    expect(notice).to_have_attribute("data-code", "origin_not_allowed")
    hints = [w for w in rec.warnings if "are not allowed for demo" in w]
    assert len(hints) == 1, rec.warnings
    assert host not in hints[0] and "sandbox" in hints[0] and "allow-same-origin" in hints[0], hints[0]
    assert new_creates(sandbox, before) == []


def test_variables_set_while_the_config_failed_reach_the_call_after_try_again(
    page, host, widget_app, sandbox
):
    before = len(sandbox.creates())
    config = "**/api/demos/alpen/widget"
    page.route(config, lambda route: route.abort())
    page.add_init_script(OPENINGS)
    rec = open_site(page, host, widget_app, "alpen")
    expect(launcher(page, "alpen")).to_be_visible()  # shown once the config load is over, failed or not
    assert page.evaluate("ItellicoWebCall.get('alpen').setVariables({name: 'Max'})") == {}
    # The warning names the real problem (the config), not the variable, which the demo does allow.
    assert not [w for w in rec.warnings if 'variable "name"' in w], rec.warnings
    assert [w for w in rec.warnings if 'config of demo "alpen" could not be loaded' in w], rec.warnings
    page.unroute(config)
    launcher(page, "alpen").click()
    notice = page.locator(f"{widget('alpen')} [part=notice]")
    expect(notice).to_have_attribute("data-code", "load_failed")
    notice.locator("[data-action=retry]").click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["test_variables"] == {"company": "Alpenblick Hotels", "name": "Max"}  # checked once loaded
    # "Try again" in the open panel is no second opening: the page heard `itellico-widget:open` twice.
    assert page.evaluate("window.__openings") == ["open"]
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)


# The launcher's opening and closing events, as a page's own code hears them.
OPENINGS = """
window.__openings = [];
for (const type of ['open', 'close']) {
  document.addEventListener(`itellico-widget:${type}`, () => window.__openings.push(type));
}
"""

SHADOW_FOCUS = (
    "document.querySelector('itellico-widget[data-demo=alpen]').shadowRoot.activeElement?.className"
)


def test_the_pages_own_close_leaves_the_focus_where_the_visitor_is(page, host, widget_app):
    """close() from the page's code (its router, its own button) took the focus to the launcher, away
    from the field the visitor was typing in. Focus in the panel still goes back to the launcher."""
    page.add_init_script(OPENINGS)
    open_site(page, host, widget_app, "alpen")
    expect(launcher(page, "alpen")).to_be_visible()
    page.evaluate("ItellicoWebCall.get('alpen').open(false)")
    assert page.evaluate(SHADOW_FOCUS) == "panel"
    page.evaluate("ItellicoWebCall.get('alpen').close()")
    assert page.evaluate(SHADOW_FOCUS) == "launcher"
    page.evaluate("ItellicoWebCall.get('alpen').open(false)")
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('input'), {id: 'q'}))")
    page.focus("#q")  # the visitor types in the page's own field
    page.evaluate("ItellicoWebCall.get('alpen').close()")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.evaluate("window.__openings") == ["open", "close", "open", "close"]


GET_USER_MEDIA_SPY = """
window.__getUserMedia = 0;
const getUserMedia = MediaDevices.prototype.getUserMedia;
MediaDevices.prototype.getUserMedia = function (...args) {
  window.__getUserMedia += 1;
  return getUserMedia.apply(this, args);
};
"""


@pytest.mark.parametrize(("start", "close"), [("click", "escape"), ("click", "launcher"), ("api", "escape")])
def test_closing_the_panel_before_the_call_ui_loaded_cancels_the_start(
    page, host, widget_app, sandbox, start, close
):
    """A visitor who clicks (or whose page calls start()), then closes the panel while the call UI still
    loads (a slow link), said no: the microphone must not go on when the module arrives. Opening the panel
    again starts the call."""
    before = len(sandbox.creates())
    page.add_init_script(GET_USER_MEDIA_SPY)
    held: list[Route] = []
    lazy = "**/static/js/widget-panel.js"
    page.route(lazy, lambda route: held.append(route))  # the lazy module waits until the panel is closed
    rec = open_site(page, host, widget_app, "voice")
    button = launcher(page, "alpen")
    expect(button).to_be_visible()  # the config is there, so a click goes on to load the call UI
    panel = page.locator(f"{widget('alpen')} [part=panel]")
    if start == "click":
        button.click()
    else:
        page.evaluate(
            "() => { ItellicoWebCall.get('alpen').start(); }"
        )  # not awaited: it waits for the module
    expect(panel).to_be_visible()
    until(page, lambda: held, "the request for widget-panel.js")
    if close == "escape":
        page.keyboard.press("Escape")
    else:
        button.click()
    expect(panel).to_be_hidden()
    for route in held:
        route.continue_()
    page.unroute(lazy)
    # The element is made once the module is there; a start would have left `idle` in the same task.
    expect(page.locator(f"{widget('alpen')} itellico-call")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert page.locator(widget("alpen")).get_attribute("data-call-state") == "idle"
    assert host_events(page, "alpen", "state") == []
    assert page.evaluate("window.__getUserMedia") == 0
    assert rec.fetched("/api/calls") == [] and new_creates(sandbox, before) == []
    expect(button).not_to_have_text("Im Gespräch")

    # Opened again, later: the call starts as usual.
    button.click()
    expect(panel).to_be_visible()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["agent_id"] == LENA and created["audio_input_enabled"] is True
    assert page.evaluate("window.__getUserMedia") >= 1
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)


# ── screenshots ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_closed_open_in_call_and_error(
    browser: Browser, pw: Playwright, host, widget_app, sandbox, device
):
    options: dict[str, Any] = (
        {k: v for k, v in pw.devices["Pixel 7"].items() if k != "default_browser_type"}
        if device == "phone"
        else {"viewport": {"width": 1280, "height": 800}}
    )
    context = browser.new_context(permissions=["microphone"], **options)
    page = context.new_page()
    try:
        open_site(page, host, widget_app, "two")
        expect(launcher(page, "northwind")).to_be_visible()
        page.wait_for_load_state("networkidle")
        shot(page, f"widget-closed-{device}")
        launcher(page, "northwind").click()
        consent = page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")
        expect(consent).to_be_visible()
        shot(page, f"widget-open-{device}")
        consent.click()
        nw = page.locator(f"{widget('northwind')} itellico-call")
        expect(nw.locator('[data-role="agent"][data-final="true"]').first).to_be_visible(timeout=20_000)
        shot(page, f"widget-in-call-{device}")
        nw.evaluate("(el) => el.end()")
        expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(
            1, timeout=15_000
        )
        sandbox.fault(mode="server_error", status=500)
        nw.locator("[part=call-button]").click()  # "Call again"
        expect(nw.locator("[part=error]")).to_be_visible(timeout=10_000)
        shot(page, f"widget-error-{device}")
    finally:
        context.close()
