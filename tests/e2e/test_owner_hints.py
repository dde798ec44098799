"""A website owner's mistakes, in Chromium on a host page served from another origin than the app: the
visitor gets the element's or the launcher's own message, and the owner one `[itellico web-call]` console
line naming what to fix (docs/widget.md, "Console hints for the site's owner").

The audit these answer: an inline element without `api-base` posted to the host page's own server, and
the visitor read "Something went wrong on our side"; a launcher that could not load its config (app down,
wrong path, mixed content, the page's CSP) said only "check your connection"; typos on the script tag
were ignored without a word; `body { transform: … }` drew the launcher at the foot of a long page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Page, expect

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import AppFactory, Sandbox
from .harness import serve_elsewhere

AVA = DEFAULT_AGENT_ID
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
PREFIX = "[itellico web-call] "


def host_app() -> Flask:
    """A website owner's server: `/page?html=…` answers that page (with `csp=…`, under that policy);
    anything else is its own 404/405, as a shop's server answers a POST to /api/calls."""
    app = Flask(__name__)

    @app.get("/page")
    def page() -> Response:
        response = Response(request.args["html"], mimetype="text/html")
        if request.args.get("csp"):
            response.headers["Content-Security-Policy"] = request.args["csp"]
        return response

    return app


@pytest.fixture(scope="module")
def host() -> Iterator[str]:
    with serve_elsewhere(host_app()) as url:
        yield url


@pytest.fixture(scope="module")
def app(serve_app: AppFactory, host: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    demos = tmp_path_factory.mktemp("owner-hints") / "demos.toml"
    demos.write_text(
        f"""
[demos.northwind]
title = "Northwind Dental"
agent_id = "{AVA}"
language = "en"
default_mode = "text"
allowed_origins = ["{host}"]

[demos.alpen]
title = "Alpenblick Hotels"
agent_id = "{LENA}"
language = "de"
default_mode = "text"
allowed_origins = ["{host}", "https://shop.example"]
"""
    )
    return serve_app(demos_file=str(demos))


def warnings_of(page: Page) -> list[str]:
    """The page's console warnings from now on (a list that fills as they come)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "warning" else None)
    return found


def page_url(host: str, html: str, csp: str = "") -> str:
    return f"{host}/page?{urlencode({'html': html, 'csp': csp})}"


def open_page(page: Page, host: str, html: str, csp: str = "") -> list[str]:
    warnings = warnings_of(page)
    page.goto(page_url(host, html, csp))
    return warnings


def told(warnings: list[str], *words: str) -> list[str]:
    return [w for w in warnings if all(word in w for word in words)]


def ours(word: str):
    """A console message predicate: our warning (not Chromium's own error about the same URL) with `word`."""
    return lambda m: m.type == "warning" and m.text.startswith(PREFIX) and word in m.text


def until(page: Page, condition: Callable[[], object], what: str, timeout_s: float = 10) -> None:
    """Wait for a condition on the test's side (console lines collected here), letting Playwright deliver."""
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"timed out waiting for {what}")


def next_task(page: Page) -> None:
    """Let the page run the tasks it has queued so far."""
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 0))")


def element_page(app: str, *elements: str) -> str:
    module = f'<script type="module" src="{app}/static/js/itellico-call.js"></script>'
    return (
        f'<!doctype html><html lang="en"><title>Shop</title><h1>Shop</h1>{"".join(elements)}{module}</html>'
    )


def launcher_page(app: str, attributes: str, before: str = "") -> str:
    tag = f'<script src="{app}/widget.js" {attributes} async></script>'
    return f'<!doctype html><html lang="en"><title>Shop</title>{before}<h1>Shop</h1>{tag}</html>'


def new_creates(sandbox: Sandbox, before: int) -> list[dict]:
    return sandbox.creates()[before:]


# ── the inline element ───────────────────────────────────────────────────────────────────────────


def test_the_docs_first_element_snippet_calls_the_app_it_was_loaded_from(page, host, app, sandbox):
    """docs/widget.md's first snippet has no api-base: put on another site with the module loaded from the
    app, the element posted to the host's own server (`501 Unsupported method ('POST')`, an HTML 404) and
    the visitor read "Something went wrong on our side"."""
    docs = (ROOT / "docs" / "widget.md").read_text()
    snippet = re.search(r"```html\n(<itellico-call .*?)```", docs, re.S)
    assert snippet, "docs/widget.md lost its first element snippet"
    html = snippet.group(1).replace('src="/static/', f'src="{app}/static/')
    assert "api-base" not in html, html
    before = len(sandbox.creates())
    warnings = open_page(page, host, f"<!doctype html><title>Shop</title>{html}")
    element = page.locator("itellico-call")
    element.evaluate("(el) => { el.mode = 'text'; }")
    element.locator("[part=call-button]").click()
    expect(page.locator('itellico-call[data-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["agent_id"] == AVA
    element.evaluate("(el) => el.end()")
    expect(page.locator('itellico-call[data-state="ended"]')).to_have_count(1, timeout=15_000)
    assert not told(warnings, PREFIX), warnings


def test_an_api_base_that_is_not_the_app_is_the_owners_to_fix_and_named(page, host, app, sandbox):
    """An api-base on the shop's own server (here a path there): its HTML 404 read as "Call not found"."""
    before = len(sandbox.creates())
    wrong = f"{host}/webcall"
    warnings = open_page(
        page,
        host,
        element_page(app, f'<itellico-call demo="northwind" mode="text" api-base="{wrong}"></itellico-call>'),
    )
    page.locator("itellico-call [part=call-button]").click()
    error = page.locator("itellico-call [part=error]")
    expect(error).to_be_visible(timeout=15_000)
    expect(error).to_have_attribute("data-code", "misconfigured")  # "the site's owner must fix this"
    hints = told(warnings, f"POST {wrong}/api/calls answered HTTP 404", "api-base")
    assert len(hints) == 1 and hints[0].startswith(PREFIX), warnings
    assert new_creates(sandbox, before) == []


def test_data_demo_and_an_unknown_demo_on_the_element_are_named(page, host, app, sandbox):
    """`data-demo` (the launcher's name) silently called the demo `default`; an unknown `demo` said
    nothing in the console, while the launcher names the demo and the app."""
    before = len(sandbox.creates())
    warnings = open_page(
        page,
        host,
        element_page(
            app,
            '<itellico-call id="a" data-demo="northwind" mode="text"></itellico-call>',
            f'<itellico-call id="b" demo="acme" mode="text" api-base="{app}"></itellico-call>',
        ),
    )
    expect(page.locator("#a [part=call-button]")).to_be_visible()
    hints = told(warnings, "data-demo")
    assert len(hints) == 1 and '"demo"' in hints[0] and hints[0].startswith(PREFIX), warnings
    page.locator("#b [part=call-button]").click()
    expect(page.locator("#b [part=error]")).to_have_attribute("data-code", "unknown_demo", timeout=15_000)
    assert told(warnings, f'there is no demo "acme" on {app}', "demo attribute"), warnings
    assert new_creates(sandbox, before) == []


def test_a_livekit_url_missing_from_the_hosts_connect_src_is_named(page, host, app, sandbox):
    """The page's CSP lets the app in but not the call's LiveKit URL: the visitor is told to turn off a
    VPN; the owner learns which directive lacks which origins."""
    livekit = sandbox.stack.public_livekit_url or sandbox.stack.livekit.url
    twin = livekit.replace("ws://", "http://").replace("wss://", "https://")
    csp = f"default-src 'self'; script-src 'self' {app}; style-src 'self' {app}; connect-src 'self' {app}"
    warnings = open_page(
        page,
        host,
        element_page(app, f'<itellico-call demo="northwind" mode="text" api-base="{app}"></itellico-call>'),
        csp,
    )
    page.locator("itellico-call [part=call-button]").click()
    expect(page.locator("itellico-call [part=error]")).to_have_attribute(
        "data-code", "livekit_unreachable", timeout=20_000
    )
    hints = told(warnings, "Content-Security-Policy", f"add {livekit} {twin} to connect-src")
    assert len(hints) == 1 and hints[0].startswith(PREFIX), warnings
    assert "access_token" not in hints[0]


# ── the launcher ─────────────────────────────────────────────────────────────────────────────────


def open_launcher(page: Page) -> None:
    page.locator("itellico-widget [part=launcher]").click()
    expect(page.locator("itellico-widget [part=notice]")).to_have_attribute("data-code", "load_failed")


def test_a_launcher_whose_app_is_down_names_the_url_it_tried(page, host, app):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    url = f"{down}/api/demos/northwind/widget"
    warnings = warnings_of(page)
    with page.expect_console_message(ours(url), timeout=10_000) as message:
        page.goto(page_url(host, launcher_page(app, f"data-demo=northwind data-api-base={down}")))
    line = message.value.text
    assert line.startswith(PREFIX) and "could not be loaded" in line and f"can read from {down}:" in line, (
        line
    )
    assert "mixed content" not in line
    open_launcher(page)
    page.locator("itellico-widget [data-action=retry]").click()  # the same cause again: said once
    expect(page.locator("itellico-widget [part=notice]")).to_have_attribute("data-code", "load_failed")
    next_task(page)
    assert len(told(warnings, url)) == 1, warnings


def test_a_launcher_with_a_wrong_path_names_the_url_and_the_suspects(page, host, app):
    """The app's own 404 for a path it does not have carries no CORS headers: to the page it is no answer
    at all, like a host that is down. The line names the URL with its path, and says to drop the path."""
    wrong = f"{app}/webcall"
    url = f"{wrong}/api/demos/northwind/widget"
    with page.expect_console_message(ours(url), timeout=10_000) as message:
        page.goto(page_url(host, launcher_page(app, f"data-demo=northwind data-api-base={wrong}")))
    line = message.value.text
    assert line.startswith(PREFIX) and "could not be loaded" in line and f"can read from {app}:" in line, line
    assert "data-api-base" in line and "no path" in line, line
    open_launcher(page)


def test_a_launcher_asking_http_from_an_https_page_says_mixed_content(browser, app):
    """An https shop (routed here) with `data-api-base="http://…"`: the browser blocks the request
    before it leaves, and the owner read nothing."""
    context = browser.new_context()
    loader = (ROOT / "static" / "widget.js").read_text()
    html = launcher_page(
        "https://shop.example", 'data-demo="northwind" data-api-base="http://call.example.test"'
    )
    context.route("https://shop.example/", lambda route: route.fulfill(body=html, content_type="text/html"))
    context.route(
        "https://shop.example/widget.js",
        lambda route: route.fulfill(body=loader, content_type="text/javascript"),
    )
    # The loader fetches its words from where it came (here: the shop, which copied the app's files).
    hints = (ROOT / "static" / "js" / "widget-hints.js").read_text()
    context.route(
        "https://shop.example/static/js/widget-hints.js",
        lambda route: route.fulfill(body=hints, content_type="text/javascript"),
    )
    try:
        page = context.new_page()
        with page.expect_console_message(ours("call.example.test"), timeout=10_000) as message:
            page.goto("https://shop.example/")
        line = message.value.text
        assert line.startswith(PREFIX) and "mixed content" in line and "https://call.example.test" in line, (
            line
        )
    finally:
        context.close()


def test_a_launcher_the_hosts_csp_blocks_names_the_directive_to_add(page, host, app):
    csp = f"default-src 'self'; script-src 'self' {app}; style-src 'self' {app}; connect-src 'self'"
    warnings = warnings_of(page)
    with page.expect_console_message(ours("Content-Security-Policy"), timeout=10_000) as message:
        page.goto(page_url(host, launcher_page(app, "data-demo=northwind"), csp))
    line = message.value.text
    url = f"{app}/api/demos/northwind/widget"
    assert line.startswith(PREFIX) and f"could not be loaded from {url}" in line, line
    assert f"add {app} to its connect-src" in line, line
    open_launcher(page)
    next_task(page)
    assert told(warnings, url) == [line], warnings  # one cause, one line: not "no answer" besides


def test_typos_on_the_script_tag_are_named_once_each(page, host, app):
    """`data-postion`, `data-theme="drak"`, `data-mode="txt"`, `data-lang="fr"`, `data-variable` were
    ignored without a word (the text demo took a voice call, the German demo spoke English)."""
    attributes = (
        'data-demo="alpen" data-postion="bottom-left" data-theme="drak" data-mode="txt" data-lang="fr" '
        'data-variable=\'{"name": "Jo"}\' data-cfasync="false"'
    )
    warnings = open_page(page, host, launcher_page(app, attributes))
    button = page.locator("itellico-widget [part=launcher]")
    expect(button).to_have_text("Mit uns sprechen")  # data-lang="fr": the demo's language, not English
    # The words come with a module fetched for them (a page without a mistake fetches none).
    until(page, lambda: len(told(warnings, PREFIX)) >= 5, "five hints")
    next_task(page)
    expected = {
        "data-postion": "data-position",
        'data-theme "drak"': "auto, light or dark",
        'data-mode "txt"': "voice or text",
        'data-lang "fr"': "en or de",
        "data-variable ": "data-variables",
    }
    for subject, remedy in expected.items():
        hints = told(warnings, subject)
        assert len(hints) == 1 and remedy in hints[0] and hints[0].startswith(PREFIX), (subject, warnings)
    assert not told(warnings, "cfasync"), warnings  # another script's attribute: not ours to judge
    assert len(told(warnings, PREFIX)) == len(expected), warnings


def test_a_transformed_body_keeps_the_launcher_in_the_window(page, host, app):
    """`body { transform: … }` makes the body the containing block of `position: fixed`: on a 3000 px
    page the launcher was drawn at y=3088, out of sight."""
    style = "<style>body { transform: translateZ(0); margin: 0 } .tall { height: 3000px }</style>"
    open_page(
        page, host, launcher_page(app, 'data-demo="northwind"', before=f'{style}<div class="tall"></div>')
    )
    button = page.locator("itellico-widget [part=launcher]")
    expect(button).to_be_visible()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    viewport = page.viewport_size or {"height": 0}
    assert box and box["y"] + box["height"] <= viewport["height"], box
