"""The iframe embed (/embed/<slug>) in a host page of another origin, and its postMessage bridge
(tests/e2e/widget_site.py serves the host)."""

from __future__ import annotations

from playwright.sync_api import Frame, Page, expect

from . import widget_site
from .conftest import wait_until
from .screens import WAKE_LOCK
from .widget_site import (
    Recorder,
    frame_messages,
    new_creates,
)

# The sample host site and the app that allows it, one of each per file (tests/e2e/widget_site.py).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

# ── the iframe embed ──────────────────────────────────────────────────────────────────────────────


def message(page: Page, kind: str, **attrs: str):
    """The parent's log of bridge messages (tests/e2e/hosts/host.js)."""
    extra = "".join(f'[data-{name}="{value}"]' for name, value in attrs.items())
    return page.locator(f'#message-log li[data-type="{kind}"]{extra}')


def embed_frame(page: Page) -> Frame:
    return next(f for f in page.frames if "/embed/" in f.url)


def frame_wake_lock(page: Page) -> list[str]:
    """The framed page's wake lock requests and releases (screens.WAKE_LOCK, in every frame)."""
    return [f"{w['kind']} {w.get('type', '')}".strip() for w in embed_frame(page).evaluate("window.__wake")]


def test_iframe_with_microphone_calls_and_bridges_events_to_the_parent(page, host, widget_app, sandbox):
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.context.add_init_script(WAKE_LOCK)
    page.goto(f"{host}/frame/northwind?app={widget_app}&allow=1")  # the snippet of docs/widget.md
    expect(message(page, "ready")).to_have_count(1)
    (ready,) = frame_messages(page, "ready")
    assert ready["origin"] == widget_app and ready["data"]["detail"]["microphone"] is True
    frame = page.frame_locator("#call-frame")
    expect(frame.locator("[data-notice=microphone]")).to_be_hidden()

    # Commands from the parent: variables (one refused), then start.
    page.evaluate(
        "window.hostRecord.send({command: 'setVariables', variables: {name: 'Jane', secret: 'x'}, id: 1})"
    )
    expect(message(page, "result", id="1")).to_have_count(1)
    (result,) = [m for m in frame_messages(page, "result") if m["data"]["detail"]["id"] == 1]
    assert result["data"]["detail"]["value"]["accepted"] == ["name"]
    page.evaluate("window.hostRecord.send({command: 'start'})")
    frame.locator("[data-action=accept]").click()  # the consent text, inside the frame
    expect(message(page, "state", state="in-call")).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["audio_input_enabled"] is True
    assert created["test_variables"] == {"company": "Northwind Dental", "name": "Jane"}
    # The snippet's allow="screen-wake-lock": the phone's screen stays on for the call, not after it.
    wait_until(lambda: frame_wake_lock(page) == ["request screen"], 5, "the wake lock")
    page.evaluate("window.hostRecord.send({command: 'setMuted', muted: true, id: 2})")
    expect(frame.locator("[part=mute-button]")).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.hostRecord.send({command: 'end'})")
    expect(message(page, "ended")).to_have_count(1, timeout=15_000)
    assert frame_wake_lock(page) == ["request screen", "release"]
    assert all(m["origin"] == widget_app for m in frame_messages(page))
    assert rec.errors == []
    # The framed page ran on the minified build (embed-frame.js and its chunks), not the plain modules.
    assert rec.fetched("/static/js/embed-frame.js") and rec.fetched("/static/js/chunk-")
    assert rec.fetched("call-session.js") == []


def test_iframe_without_microphone_permission_explains_and_offers_text(page, host, widget_app, sandbox):
    before = len(sandbox.creates())
    page.context.add_init_script(WAKE_LOCK)
    page.goto(f"{host}/frame/northwind?app={widget_app}&allow=0")
    frame = page.frame_locator("#call-frame")
    notice = frame.locator("[data-notice=microphone]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("did not allow the microphone")
    expect(message(page, "microphone-unavailable")).to_have_count(1)
    expect(frame.locator('itellico-call[mode="text"]')).to_have_count(1)
    frame.locator("[part=call-button]").click()
    frame.locator("[data-action=accept]").click()
    expect(frame.locator('itellico-call[data-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["audio_input_enabled"] is False
    # No allow="screen-wake-lock" either: the frame does not ask (asking would log a policy violation).
    assert frame_wake_lock(page) == []
    frame.locator("itellico-call").evaluate("(el) => el.end()")


def test_the_docs_iframe_snippet_as_written_sets_variables_and_starts(page, host, widget_app, sandbox):
    """docs/widget.md's iframe tag and postMessage snippet, copied verbatim onto a page with the site's own
    button. The snippet sent its commands as soon as it ran, before the frame's page (and its listener)
    existed: Chromium refused them (target origin vs the frame's about:blank), no `result` came and no call
    started. Then it started on `ready`: a call on every page view; now from the button."""
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.goto(f"{host}/docs-frame?app={widget_app}")
    expect(message(page, "result", id="1")).to_have_count(1, timeout=15_000)
    (result,) = [m for m in frame_messages(page, "result") if m["data"]["detail"].get("id") == 1]
    assert result["data"]["detail"]["command"] == "setVariables"
    assert result["data"]["detail"]["value"] == {"accepted": ["name"], "rejected": []}
    # Nothing starts on load: the snippet started a call on every page view (an audit).
    frame = page.frame_locator("iframe")
    expect(frame.locator("itellico-call")).to_have_attribute("data-state", "idle")
    page.click("#talk")  # the site's own button
    frame.locator("[data-action=accept]").click()  # the demo's consent text, then the call
    expect(message(page, "state", state="in-call")).to_have_count(1, timeout=20_000)
    expect(message(page, "result", id="")).to_have_count(1, timeout=15_000)  # `start` has no id
    (started,) = [m for m in frame_messages(page, "result") if m["data"]["detail"]["command"] == "start"]
    assert started["data"]["detail"]["ok"] is True, started
    (created,) = new_creates(sandbox, before)
    assert created["test_variables"].get("name") == "Jane", created["test_variables"]
    frame.locator("itellico-call").evaluate("(el) => el.end()")
    expect(message(page, "ended")).to_have_count(1, timeout=15_000)
    assert rec.errors == [], rec.errors


def test_a_disallowed_parent_cannot_frame_the_embed_page(page, host, widget_app):
    rec = Recorder(page)
    page.goto(f"{host}/frame/elsewhere?app={widget_app}&allow=1")
    wait_until(lambda: any("frame-ancestors" in e for e in rec.errors), 10, "the CSP frame-ancestors refusal")
    assert frame_messages(page) == []
