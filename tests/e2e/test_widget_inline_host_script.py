"""The inline <itellico-call> element and the host page's own scripts, in Chromium, on another origin.

docs/widget.md's section 2 gives the element, its module tag, and the one-liner that sets `variables`.
Put after the module tag, that ordinary script runs first (a module script is deferred): the element was
not defined yet, so `variables` became a plain property of the element, hiding the class's, and the call
went out without them, silently (`mode` the same: its attribute never changed). And the host's listeners:
one that reordered or masked `itellico-call:transcript`'s `detail` changed the element's own transcript
(its `transcript` property and the downloads); a retry's first `itellico-call:state` said it came from
`idle`, not from the `ended` or `error` the element showed. The demos are widget_site.py's (northwind
takes the variable `name`); the host page runs under the documented CSP (tests/e2e/host_csp.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, request
from markupsafe import escape
from playwright.sync_api import Page, expect

from . import widget_site
from .conftest import AppFactory, Sandbox
from .harness import serve_elsewhere
from .widget_site import host_policy, livekit_url, new_creates

host = widget_site.host
demos_file = widget_site.demos_file

ELEMENT = "itellico-call"

# The docs' one-liner, as an owner's own script after the module tag; it notes whether the element was
# defined when it ran (the order this file is about).
EARLY = """
window.definedWhenSet = Boolean(customElements.get('itellico-call'));
const call = document.querySelector('itellico-call');
call.variables = { name: 'Jane' };
call.mode = 'text';
"""

# An owner's analytics: every state event kept, the transcript shown latest first with digits masked,
# by changing the event's own detail.
LISTENERS = """
window.states = [];
document.addEventListener('itellico-call:state', (e) => window.states.push({ ...e.detail }));
document.addEventListener('itellico-call:transcript', (e) => {
  e.detail.entries.reverse();
  for (const line of e.detail.entries) line.text = line.text.replace(/[0-9]/g, '#');
});
"""

SCRIPTS = {"early": EARLY, "listeners": LISTENERS}


def site(livekit: str) -> Flask:
    """docs/widget.md's section 2 (`?mode=` on the tag, if given), then the owner's `?script=`."""
    app = Flask(__name__)

    @app.get("/page")
    def page() -> Response:
        base = escape(request.args["app"])
        mode = request.args.get("mode")
        mode_attribute = f' mode="{escape(mode)}"' if mode else ""
        html = (
            '<!doctype html><html lang="en"><meta charset="utf-8"><title>Acme</title>'
            '<link rel="icon" href="data:,"><h1>Acme Dental</h1>'
            f'<itellico-call demo="northwind"{mode_attribute}></itellico-call>'
            f'<script type="module" src="{base}/static/js/itellico-call.js"></script>'
            f'<script src="/{escape(request.args["script"])}.js"></script></html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = host_policy(request.args["app"], livekit)
        return response

    @app.get("/<name>.js")
    def script(name: str) -> Response:
        return Response(SCRIPTS[name], mimetype="text/javascript")

    return app


@pytest.fixture(scope="module")
def script_host(sandbox: Sandbox) -> Iterator[str]:
    with serve_elsewhere(site(livekit_url(sandbox))) as url:
        yield url


@pytest.fixture(scope="module")
def script_app(serve_app: AppFactory, demos_file: str, script_host: str) -> str:
    return serve_app(demos_file=demos_file, allowed_origins=(script_host,))


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(f"{ELEMENT} [part=call-button]")).to_be_visible()


def state(page: Page, name: str) -> None:
    expect(page.locator(f'{ELEMENT}[data-state="{name}"]')).to_have_count(1, timeout=20_000)


def test_variables_and_mode_set_before_the_module_defines_the_element_reach_the_call(
    page: Page, script_host, script_app, sandbox
):
    before = len(sandbox.creates())
    open_page(page, f"{script_host}/page?app={script_app}&script=early")
    assert page.evaluate("window.definedWhenSet") is False  # the docs' order: the owner's script ran first
    page.locator(f"{ELEMENT} [part=call-button]").click()
    state(page, "in-call")
    (created,) = new_creates(sandbox, before)
    assert created["test_variables"].get("name") == "Jane", created
    assert created["audio_input_enabled"] is False
    expect(page.locator(ELEMENT)).to_have_attribute("mode", "text")  # `mode` reflects its attribute
    page.locator(ELEMENT).evaluate("(el) => el.end()")
    state(page, "ended")
    assert page.console_errors == []


def test_host_listeners_change_nothing_of_the_element_and_a_new_call_starts_from_ended(
    page: Page, script_host, script_app
):
    open_page(page, f"{script_host}/page?app={script_app}&script=listeners&mode=text")
    element = page.locator(ELEMENT)
    element.locator("[part=call-button]").click()
    state(page, "in-call")
    for text in ("first 1", "my number is 0123 456"):
        assert element.evaluate("(el, text) => el.sendText(text)", text) is True
    typed = element.evaluate("(el) => el.transcript.filter((l) => l.source === 'typed').map((l) => l.text)")
    assert typed == ["first 1", "my number is 0123 456"]  # in order, digits as typed

    element.evaluate("(el) => el.end()")
    state(page, "ended")
    seen = len(page.evaluate("window.states"))
    element.locator("[part=call-button]").click()  # call again
    state(page, "in-call")
    assert page.evaluate("window.states")[seen] == {"state": "connecting", "previous": "ended"}
    element.evaluate("(el) => el.end()")
    state(page, "ended")
    assert page.console_errors == []
