"""Host pages under the Content-Security-Policy docs/widget.md gives website owners, in Chromium.

The policy is built from the docs (tests/e2e/host_csp.py), never written here, so the docs cannot say
one thing while the tests run another: the table's `connect-src APP LIVEKIT` let a `wss://` source stand
for its `https://` twin, which Chromium does not, and every call logged a CSP error (livekit-client's
`prepareConnection` fetches the twin) while the tests quietly allowed it. The nonce-based policy
(`'strict-dynamic'`) blocks both documented tags unless they carry the page's nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from html import escape

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Page, expect

from . import widget_site
from .conftest import Sandbox
from .harness import serve
from .host_csp import DOCS_APP, DOCS_LIVEKIT, documented_line, documented_sources, fill, https_twin, parse
from .host_csp import section as docs_section
from .widget_site import Recorder, launcher, livekit_url, new_creates, open_site, widget

# The widget tests' module fixtures (the sample host site, its demos, the app serving them).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

# Every CSP violation the page's documents report, from the first byte on (composed: shadow roots too).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`);
}, true);
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


def csp_errors(rec: Recorder) -> list[str]:
    found = rec.errors + rec.warnings
    return [e for e in found if "Content Security Policy" in e or "could not prepare" in e]


def test_a_voice_call_under_the_documented_policy_reports_no_csp_violation(page, host, widget_app, sandbox):
    """Exactly the docs' table (tests/e2e/widget_site.py's host page): a call from the launcher, start to
    hang-up, with nothing refused. With `connect-src APP LIVEKIT` alone Chromium refused the HEAD request
    to the LiveKit URL's http(s) twin ("Connecting to 'http://127.0.0.1:…/' violates … connect-src",
    then livekit-client's "could not prepare connection")."""
    page.add_init_script(RECORD_VIOLATIONS)
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "voice")
    launcher(page, "alpen").click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["audio_input_enabled"] is True
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert violations(page) == []
    assert csp_errors(rec) == [] and rec.errors == []
    # The docs' own example spells the twin as the rule above makes it.
    assert f"`{https_twin(DOCS_LIVEKIT)}`" in docs_section()


# ── a nonce-based policy ('strict-dynamic') ───────────────────────────────────────────────────────


def documented_nonce_tags() -> dict[str, str]:
    """The tags docs/widget.md gives for a nonce-based policy: the launcher's and the inline module."""
    tags = [line.strip() for line in docs_section().splitlines() if 'nonce="NONCE"' in line]
    kind = {"/widget.js": "launcher", "/itellico-call.js": "inline"}
    by_kind = {next((k for path, k in kind.items() if path in t), t): t for t in tags}
    assert set(by_kind) == {"launcher", "inline"}, tags
    return by_kind


def nonce_page(kind: str, app: str, livekit: str) -> Response:
    nonce = secrets.token_urlsafe(16)  # fresh per response, as a real site's
    tag = documented_nonce_tags()[kind].replace(DOCS_APP, app).replace("NONCE", nonce)
    # The inline element itself (the docs' section 2), by text: no microphone, no consent step.
    element = f'<itellico-call demo="northwind" api-base="{escape(app)}" mode="text"></itellico-call>'
    body = f"<h1>Acme Dental</h1>{element if kind == 'inline' else ''}{tag}"
    html = f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Acme</title>{body}</html>'
    response = Response(html, mimetype="text/html")
    policy = fill(documented_line("'strict-dynamic'"), app, livekit).replace("NONCE", nonce)
    response.headers["Content-Security-Policy"] = policy
    return response


@pytest.fixture(scope="module")
def strict_host(sandbox: Sandbox) -> Iterator[str]:
    site = Flask(__name__)

    @site.get("/nonce/<kind>")
    def page(kind: str) -> Response:
        return nonce_page(kind, request.args["app"], livekit_url(sandbox))

    with serve(site) as url:
        # The origin the demos file allows (widget_site.host's), served by another server: the port
        # differs, so allow it through the app's own setting instead.
        yield url.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def strict_app(serve_app, demos_file: str, strict_host: str) -> str:
    return serve_app(demos_file=demos_file, allowed_origins=(strict_host,))


def test_the_documented_nonce_policy_line_keeps_the_tables_other_entries():
    """The whole nonce-based line the docs show: `default-src 'none'`, the nonce with 'strict-dynamic',
    and every other entry of the table (a host that copies it gets a working call)."""
    line = parse(fill(documented_line("'strict-dynamic'"), DOCS_APP, DOCS_LIVEKIT))
    assert line["default-src"] == ["'none'"]
    assert line["script-src"] == ["'nonce-NONCE'", "'strict-dynamic'"]
    table = documented_sources(DOCS_APP, DOCS_LIVEKIT)
    for directive, sources in table.items():
        if directive not in ("script-src", "frame-src"):  # a nonce does the first; no frame here
            assert line.get(directive) == sources, (directive, line.get(directive), sources)


def test_a_strict_dynamic_host_with_the_nonced_launcher_tag_gets_a_working_call(
    page, strict_host, strict_app, sandbox
):
    """`default-src 'none'; script-src 'nonce-…' 'strict-dynamic'; …` and the documented tag with the
    page's nonce: the launcher shows, its panel (a dynamic import) opens, the call button is enabled and
    a call (livekit-client, another import) starts. Without the nonce the browser ran neither tag
    ("host-based allowlisting is disabled")."""
    page.add_init_script(RECORD_VIOLATIONS)
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.goto(f"{strict_host}/nonce/launcher?app={strict_app}")
    button = launcher(page, "northwind")
    expect(button).to_have_text("Talk to Ava")
    button.click()
    expect(page.locator(f"{widget('northwind')} [part=panel]")).to_be_visible()
    element = page.locator(f"{widget('northwind')} itellico-call")
    element.locator("[data-action=accept]").click()  # the demo's consent text
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["audio_input_enabled"] is True
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    expect(element.locator("[part=call-button]")).to_be_enabled()
    expect(element.locator("[part=call-button]")).not_to_have_attribute("aria-disabled", "true")
    assert violations(page) == [] and rec.errors == [], (violations(page), rec.errors)


def test_a_strict_dynamic_host_with_the_nonced_module_tag_gets_a_working_inline_element(
    page, strict_host, strict_app, sandbox
):
    page.add_init_script(RECORD_VIOLATIONS)
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.goto(f"{strict_host}/nonce/inline?app={strict_app}")
    element = page.locator("itellico-call")
    call = element.locator("[part=call-button]")
    expect(call).to_be_visible()
    expect(call).to_be_enabled()
    call.click()
    expect(page.locator('itellico-call[data-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["audio_input_enabled"] is False
    element.evaluate("(el) => el.end()")
    expect(page.locator('itellico-call[data-state="ended"]')).to_have_count(1, timeout=15_000)
    assert violations(page) == [] and rec.errors == [], (violations(page), rec.errors)
