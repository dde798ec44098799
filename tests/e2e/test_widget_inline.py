"""The inline <itellico-call> element in a host page's content, on another origin than the app
(tests/e2e/widget_site.py serves the host)."""

from __future__ import annotations

from playwright.sync_api import expect

from webcall import ROOT

from . import widget_site
from .widget_site import (
    AVA,
    TRUSTED_TYPES,
    Recorder,
    host_events,
    launcher,
    new_creates,
    open_site,
    widget,
)

# The sample host site and the app that allows it, one of each per file (tests/e2e/widget_site.py).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app


def test_inline_element_works_in_page_content_on_another_origin(page, host, widget_app, sandbox):
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "inline")
    element = page.locator(".inline-call itellico-call")
    element.locator("[part=call-button]").click()
    expect(page.locator('.inline-call itellico-call[data-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["agent_id"] == AVA and created["audio_input_enabled"] is False
    assert "in-call" in [e["detail"]["state"] for e in host_events(page, "northwind", "state")]
    element.evaluate("(el) => el.end()")
    expect(page.locator('.inline-call itellico-call[data-state="ended"]')).to_have_count(1, timeout=15_000)
    assert rec.errors == []

    # A variable the demo does not take refuses the call (documented); the console names it for the
    # site's owner, as the launcher does (it said only "400 (BAD REQUEST)").
    element.evaluate("(el) => { el.variables = { secret: 'x', name: 'Jane' }; el.start(); }")
    expect(page.locator('.inline-call itellico-call[data-state="error"]')).to_have_count(1, timeout=15_000)
    assert len(new_creates(sandbox, before)) == 1
    warned = [w for w in rec.warnings if "variables.secret" in w]
    assert len(warned) == 1 and "not allowed" in warned[0], rec.warnings


def test_an_inline_element_on_a_site_no_demo_allows_says_so(page, host, widget_app, sandbox):
    # The browser hides the refused preflight as a network error ("No connection"); the element asks
    # the widget endpoint why, as the launcher does, and tells the visitor and the site's owner.
    before = len(sandbox.creates())
    elsewhere = host.replace("localhost", "127.0.0.1")  # the same host server under a name no demo allows
    rec = Recorder(page)
    page.goto(f"{elsewhere}/site/inline?app={widget_app}")
    element = page.locator(".inline-call itellico-call")
    element.locator("[part=call-button]").click()
    expect(page.locator('.inline-call itellico-call[data-state="error"]')).to_have_count(1, timeout=15_000)
    expect(element.locator(".error-step")).to_contain_text("origin_not_allowed")
    expect(element.locator(".error-title")).to_have_text("Calls are not enabled on this website")
    assert any(f"calls from {elsewhere} are not allowed" in w for w in rec.warnings), rec.warnings
    assert new_creates(sandbox, before) == []


def test_a_host_with_trusted_types_gets_its_launchers_a_text_call_and_the_inline_element(
    page, host, widget_app, sandbox
):
    """The documented strict CSP plus `require-trusted-types-for 'script'` and the policy name the docs
    give: a plain string into innerHTML throws there, so without our policy there was no launcher and
    the inline element stayed empty."""
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "trusted-types")
    expect(launcher(page, "northwind")).to_have_text("Talk to Ava")
    expect(launcher(page, "alpen")).to_have_text("Mit uns sprechen")  # the loader's second run, too
    inline = page.locator(".inline-call itellico-call")
    expect(inline.locator("[part=call-button]")).to_be_visible()
    expect(inline.locator("[part=call-button] .call-icon svg")).to_have_count(1)

    launcher(page, "northwind").click()
    nw = page.locator(f"{widget('northwind')} itellico-call")
    nw.locator("[data-action=accept]").click()  # the consent text
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    expect(nw.locator('[data-role="agent"][data-final="true"] .line-text').first).to_contain_text(
        "this is Ava", timeout=20_000
    )
    (created,) = new_creates(sandbox, before)
    assert created["agent_id"] == AVA and created["audio_input_enabled"] is False
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert rec.errors == []  # no Trusted Types violation, no script error
    assert f"\n{TRUSTED_TYPES}\n" in (ROOT / "docs" / "widget.md").read_text()  # what the docs tell hosts
