"""The embeddable widget in Chromium, on a host page served from ANOTHER origin than the app.

The app runs on http://127.0.0.1:<B>; the sample host page (tests/e2e/hosts/) on http://localhost:<A>,
with a strict Content-Security-Policy of its own. Calls go to the stand-in and the local agents.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask, Response, render_template_string, request, url_for
from playwright.sync_api import Browser, Frame, Page, Playwright, Route, expect

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import SCREENSHOTS, AppFactory, Sandbox, wait_until
from .harness import serve_elsewhere
from .host_csp import DOCS_APP, documented_sources, header, merge
from .screens import WAKE_LOCK
from .test_call_lifecycle import kick_agent

HOSTS = Path(__file__).parent / "hosts"
AVA = DEFAULT_AGENT_ID
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
BUDGET_GZIP_BYTES = 10 * 1024
WIDGET = "itellico-widget"


def widget(demo: str) -> str:
    return f'{WIDGET}[data-demo="{demo}"]'


def demos_toml(host_origin: str) -> str:
    return f"""
[demos.northwind]
title = "Northwind Dental"
agent_id = "{AVA}"
display_name = "Ava at Northwind"
language = "en"
default_mode = "voice"
allowed_origins = ["{host_origin}"]
consent_text = "This demo call is processed by an AI agent."
[demos.northwind.test_variables]
company = "Northwind Dental"
[demos.northwind.variables]
name = 60
[demos.northwind.brand]
company = "Northwind Dental"
accent = "#0f766e"
theme = "light"
[demos.northwind.widget]
label = "Talk to Ava"

[demos.alpen]
title = "Alpenblick Hotels"
agent_id = "{LENA}"
display_name = "Lena"
language = "de"
default_mode = "text"
allowed_origins = ["{host_origin}"]
[demos.alpen.test_variables]
company = "Alpenblick Hotels"
[demos.alpen.variables]
name = 60
[demos.alpen.brand]
company = "Alpenblick Hotels"
accent = "#b45309"
theme = "dark"
[demos.alpen.widget]
position = "bottom-left"

[demos.elsewhere]
title = "Somebody else's demo"
allowed_origins = ["http://localhost:9"]
"""


SCENARIOS: dict[str, dict[str, Any]] = {
    # Two independent launchers: Ava (variables from data-variables, one not allowed), Lena (JS API).
    "two": {
        "widgets": [
            {"demo": "northwind", "variables": json.dumps({"name": "Jane", "secret": "nope"})},
            {"demo": "alpen"},
        ]
    },
    "text": {"widgets": [{"demo": "northwind", "mode": "text"}]},
    "hostile": {"widgets": [{"demo": "northwind", "mode": "text"}], "hostile": True},
    # `html { zoom: 1.5 }` (tests/e2e/hosts/zoom.css): viewport units inside the launcher are zoomed too.
    "zoomed": {"widgets": [{"demo": "northwind", "mode": "text"}], "zoom": True},
    "blocked": {"widgets": [{"demo": "elsewhere"}]},
    "inline": {"widgets": [], "inline": "northwind"},
    # Lena (no consent text) by voice: a start goes straight to the microphone.
    "voice": {"widgets": [{"demo": "alpen", "mode": "voice"}]},
    "alpen": {"widgets": [{"demo": "alpen"}]},
    "bad-accent": {
        "widgets": [
            {
                "demo": "northwind",
                "mode": "text",
                "accent": "red; background:url(x.png)",
                "position": "top-left",
            }
        ]
    },
    # The loader without data-demo (only the JS API), and with an empty one (the default demo).
    "no-demo": {"widgets": [{}]},
    "empty-demo": {"widgets": [{"demo": ""}]},
    # Two launchers in one corner (stacked).
    "one-corner": {"widgets": [{"demo": "northwind"}, {"demo": "alpen", "position": "bottom-right"}]},
    # One demo's script tag twice (a theme and a plugin each add it).
    "twice": {"widgets": [{"demo": "alpen"}, {"demo": "alpen"}]},
    # The documented CSP plus Trusted Types: two launchers (the loader runs once per tag) and an inline
    # element, so the element's modules are loaded both by the launcher and by the page.
    "trusted-types": {
        "widgets": [{"demo": "northwind", "mode": "text"}, {"demo": "alpen"}],
        "inline": "northwind",
        "trusted_types": True,
    },
}

# What docs/widget.md tells a host with Trusted Types to add to the CSP above (checked against the docs).
TRUSTED_TYPES = "require-trusted-types-for 'script'; trusted-types itellico-call"


# The sample host page's own policy, before the widget: its own files only (the icon is a data: URL).
HOST_OWN = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "media-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
}


def host_policy(app_url: str, livekit_url: str, trusted_types: bool = False) -> str:
    """The host page's CSP: its own, plus exactly what docs/widget.md's table tells an owner to add."""
    policy = header(merge(HOST_OWN, documented_sources(app_url, livekit_url)))
    return f"{policy}; {TRUSTED_TYPES}" if trusted_types else policy


def docs_iframe_embed(app_url: str) -> tuple[str, str]:
    """docs/widget.md's iframe tag and its postMessage snippet, as written there, for the app at app_url."""
    section = (ROOT / "docs" / "widget.md").read_text().split("### 3. Iframe", 1)[1].split("\n### ", 1)[0]
    tag = section.split("```html\n", 1)[1].split("```", 1)[0]
    snippet = section.split("**postMessage bridge.**", 1)[1].split("```js\n", 1)[1].split("```", 1)[0]
    return tag.replace(DOCS_APP, app_url), snippet.replace(DOCS_APP, app_url)


def livekit_url(sandbox: Sandbox) -> str:
    """The LiveKit URL the stand-in hands to browsers (the create's `livekit_url`)."""
    return sandbox.stack.public_livekit_url or sandbox.stack.livekit.url


def host_app(livekit: str) -> Flask:
    """The sample host site (`?app=` picks the app); its CSP allows exactly what docs/widget.md lists."""
    app = Flask(__name__, static_folder=str(HOSTS), static_url_path="/assets")

    def csp(app_url: str, trusted_types: bool = False) -> str:
        return host_policy(app_url, livekit, trusted_types)

    def page(name: str, trusted_types: bool = False, **context: Any) -> Response:
        app_url = request.args["app"]
        html = render_template_string((HOSTS / name).read_text(), app=app_url, **context)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp(app_url, trusted_types)
        return response

    @app.get("/site/<scenario>")
    def site(scenario: str) -> Response:
        s = SCENARIOS[scenario]
        return page(
            "widget-host.html",
            trusted_types=s.get("trusted_types", False),
            widgets=s["widgets"],
            hostile=s.get("hostile"),
            zoom=s.get("zoom"),
            inline=s.get("inline"),
        )

    @app.get("/sandboxed/<scenario>")
    def sandboxed(scenario: str) -> Response:
        # A site that frames its own page in a sandbox without allow-same-origin: that page's origin
        # is opaque, and its requests say `Origin: null`, whatever its URL.
        html = '<!doctype html><title>Framed</title><iframe sandbox="allow-scripts" src="{{ src }}"></iframe>'
        src = f"/site/{scenario}?app={request.args['app']}"
        return Response(render_template_string(html, src=src), mimetype="text/html")

    @app.get("/docs-frame")
    def docs_frame() -> Response:
        # The docs' iframe tag, then their snippet as the page's own script right after it (the CSP allows
        # no inline script); host.js only records the frame's messages for the test.
        app_url = request.args["app"]
        tag, _ = docs_iframe_embed(app_url)
        snippet = url_for("docs_snippet", app=app_url)
        html = (
            '<!doctype html><html lang="en"><title>Docs iframe</title><link rel="icon" href="data:,">'
            '<script src="/assets/host.js"></script>'
            f'<body>{tag}<script src="{snippet}"></script></body></html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp(app_url)
        return response

    @app.get("/docs-snippet.js")
    def docs_snippet() -> Response:
        return Response(docs_iframe_embed(request.args["app"])[1], mimetype="text/javascript")

    @app.get("/frame/<demo>")
    def frame(demo: str) -> Response:
        return page("frame-host.html", demo=demo, allow=request.args.get("allow") == "1")

    return app


@pytest.fixture(scope="module")
def host(sandbox: Sandbox) -> Iterator[str]:
    with serve_elsewhere(host_app(livekit_url(sandbox))) as url:
        yield url


@pytest.fixture(scope="module")
def demos_file(host: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("widget") / "demos.toml"
    path.write_text(demos_toml(host))
    return str(path)


@pytest.fixture(scope="module")
def widget_app(serve_app: AppFactory, demos_file: str) -> str:
    return serve_app(demos_file=demos_file)


class Recorder:
    """Every request, console message and error of a page, from the first byte on."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                self.errors if m.type == "error" else self.warnings if m.type == "warning" else []
            ).append(m.text),
        )

    def fetched(self, part: str) -> list[str]:
        return [url for url in self.requests if part in url]


def open_site(page: Page, host: str, app: str, scenario: str) -> Recorder:
    recorder = Recorder(page)
    page.goto(f"{host}/site/{scenario}?app={app}")
    return recorder


def launcher(page: Page, demo: str):
    return page.locator(f"{widget(demo)} [part=launcher]")


def host_events(page: Page, demo: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    found = page.evaluate("window.hostRecord.events")
    return [e for e in found if (demo is None or e["demo"] == demo) and (kind is None or e["type"] == kind)]


def new_creates(sandbox: Sandbox, before: int) -> list[dict[str, Any]]:
    return sandbox.creates()[before:]


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


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
    assert len(gzip.compress((ROOT / "static" / "widget.js").read_bytes(), 9)) <= BUDGET_GZIP_BYTES

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
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)


GET_USER_MEDIA_SPY = """
window.__getUserMedia = 0;
const getUserMedia = MediaDevices.prototype.getUserMedia;
MediaDevices.prototype.getUserMedia = function (...args) {
  window.__getUserMedia += 1;
  return getUserMedia.apply(this, args);
};
"""


def until(page: Page, condition: Any, what: str, timeout_s: float = 10) -> None:
    """Wait for a condition on the test's side (a route handler ran), letting Playwright deliver events."""
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"timed out waiting for {what}")


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


def test_an_invalid_data_accent_is_ignored_and_the_demo_accent_kept(page, host, widget_app):
    rec = open_site(page, host, widget_app, "bad-accent")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    expect(button).to_have_css("background-color", "rgb(15, 118, 110)")  # brand.accent, not the default blue
    warned = [w for w in rec.warnings if "red; background:url(x.png)" in w]
    assert len(warned) == 1 and "is not a CSS colour" in warned[0], rec.warnings
    # So is a position there is none of (it was ignored without a word): the demo's corner is used.
    warned = [w for w in rec.warnings if "top-left" in w]
    assert len(warned) == 1 and "bottom-right or bottom-left" in warned[0], rec.warnings


MOUNT_FROM_CODE = """
document.addEventListener('load', (e) => {
  if (e.target instanceof HTMLScriptElement && e.target.src.endsWith('/widget.js')) {
    window.ItellicoWebCall.mount({ demo: 'northwind', mode: 'text' });
  }
}, true);
"""


def next_task(page: Page) -> None:
    """Let the page run the tasks it queued so far (the loader checks for launchers a task after load)."""
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 0))")


def test_a_script_tag_without_data_demo_loads_only_the_js_api(page, host, widget_app):
    """Without data-demo the tag mounts nothing: it loads ItellicoWebCall for launchers mounted from code.
    When none is mounted by the time the page has loaded, the console says what is missing, once."""
    rec = Recorder(page)
    with page.expect_console_message(lambda m: "data-demo" in m.text, timeout=10_000) as told:
        page.goto(f"{host}/site/no-demo?app={widget_app}")
    assert told.value.type == "warning"
    assert "no launcher" in told.value.text and "ItellicoWebCall.mount" in told.value.text, told.value.text
    next_task(page)
    assert page.locator(WIDGET).count() == 0
    assert page.evaluate("ItellicoWebCall.widgets.length") == 0
    assert len([w for w in rec.warnings if "data-demo" in w]) == 1, rec.warnings

    # The page mounts its launcher from code as soon as the script has loaded: no warning.
    page.add_init_script(MOUNT_FROM_CODE)
    rec = Recorder(page)
    page.goto(f"{host}/site/no-demo?app={widget_app}")
    expect(launcher(page, "northwind")).to_have_text("Talk to Ava")
    next_task(page)
    assert not [w for w in rec.warnings if "data-demo" in w], rec.warnings
    assert rec.errors == []


def test_the_docs_js_api_example_works_with_an_async_script_tag(page, host, widget_app, sandbox):
    """docs/widget.md's JavaScript API example, as written there, on a page whose tag is `async` at the
    end of the body (the docs' tag): `ready` fired before the launcher was in ItellicoWebCall.widgets,
    so `get()` gave undefined and setVariables threw; the call went out without the variable."""
    example = (ROOT / "docs" / "widget.md").read_text().split("**JavaScript API.**", 1)[1]
    listener = example.split("```js\n", 1)[1].split("\n// ", 1)[0]  # the listener, not the comment lines
    assert "itellico-widget:ready" in listener and "setVariables" in listener, listener
    page.add_init_script(listener)
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "text")
    expect(launcher(page, "northwind")).to_be_visible()
    launcher(page, "northwind").click()
    page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()  # the consent text
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["test_variables"].get("name") == "Jane", created["test_variables"]
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert rec.errors == []


def test_an_empty_data_demo_mounts_the_default_demo(page, host, widget_app):
    rec = open_site(page, host, widget_app, "empty-demo")
    expect(page.locator(widget("default"))).to_have_count(1)
    next_task(page)
    assert not [w for w in rec.warnings if "data-demo" in w and "no launcher" in w], rec.warnings


def test_rate_limited_widget_tells_the_person_to_try_again_shortly(
    page, host, serve_app, demos_file, sandbox
):
    app = serve_app(demos_file=demos_file, rate_limit_per_ip="1/minute")
    # Use up this IP's one call a minute (an unknown demo: counted, nothing goes upstream).
    assert httpx.post(f"{app}/api/calls", json={"demo": "no-such-demo"}).status_code == 404
    before = len(sandbox.creates())
    open_site(page, host, app, "text")
    with page.expect_response(lambda r: r.url == f"{app}/api/calls" and r.request.method == "POST") as info:
        launcher(page, "northwind").click()
        page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()
    assert info.value.status == 429 and info.value.headers.get("retry-after")
    error = page.locator(f"{widget('northwind')} itellico-call [part=error]")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-code", "rate_limited")
    expect(error).to_contain_text("try again", ignore_case=True)
    assert page.locator(widget("northwind")).get_attribute("data-call-state") == "error"
    assert new_creates(sandbox, before) == []


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


# ── the iframe embed ──────────────────────────────────────────────────────────────────────────────


def frame_messages(page: Page, kind: str | None = None) -> list[dict[str, Any]]:
    found = page.evaluate("window.hostRecord.messages")
    return [
        m
        for m in found
        if m["data"].get("source") == "itellico-call" and (kind is None or m["data"]["type"] == kind)
    ]


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
    """docs/widget.md's iframe tag and postMessage snippet, copied verbatim onto a page. The snippet sent
    its commands as soon as it ran, before the frame's page (and its listener) existed: Chromium refused
    them (target origin vs the frame's about:blank), no `result` came and no call started."""
    before = len(sandbox.creates())
    rec = Recorder(page)
    page.goto(f"{host}/docs-frame?app={widget_app}")
    expect(message(page, "result", id="1")).to_have_count(1, timeout=15_000)
    (result,) = [m for m in frame_messages(page, "result") if m["data"]["detail"].get("id") == 1]
    assert result["data"]["detail"]["command"] == "setVariables"
    assert result["data"]["detail"]["value"] == {"accepted": ["name"], "rejected": []}
    frame = page.frame_locator("iframe")
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


def test_a_page_that_swaps_its_body_gets_a_working_launcher_again_and_no_dead_one(page, host, widget_app):
    """Turbo Drive and htmx swap <body> and run its scripts again. The swapped-out launcher stayed in
    ItellicoWebCall.widgets and get() returned it (its start() then ran a call nobody could see), and the
    new script tag's launcher came second. `widgets` listed it until a get() or mount() ran."""
    open_site(page, host, widget_app, "alpen")
    expect(launcher(page, "alpen")).to_be_visible()
    app = widget_app
    swapped = page.evaluate(
        """(app) => new Promise((resolve) => {
        const body = document.createElement('body');
        document.body.replaceWith(body);
        const listed = window.ItellicoWebCall.widgets.length; // read first: get() below prunes
        const gone = window.ItellicoWebCall.get('alpen');
        document.addEventListener('itellico-widget:ready', () => {
          const api = window.ItellicoWebCall;
          const live = api.get('alpen')?.element.isConnected;
          resolve({listed, gone: gone === undefined, count: api.widgets.length, live});
        }, {once: true});
        const tag = Object.assign(document.createElement('script'), {src: app + '/widget.js'});
        tag.dataset.demo = 'alpen';
        body.append(tag);
      })""",
        app,
    )
    assert swapped == {"listed": 0, "gone": True, "count": 1, "live": True}
    expect(launcher(page, "alpen")).to_be_visible()


def test_the_same_demos_script_tag_twice_shows_one_launcher_and_says_why(page, host, widget_app):
    rec = open_site(page, host, widget_app, "twice")
    expect(launcher(page, "alpen")).to_be_visible()
    page.wait_for_load_state("load")
    expect(page.locator(widget("alpen"))).to_have_count(1)
    assert any("already" in w and "alpen" in w for w in rec.warnings), rec.warnings


def test_an_open_panel_is_above_the_other_launchers_in_its_corner(page, host, widget_app):
    """Two launchers in one corner: the one stacked above was drawn over the lower one's open panel."""
    open_site(page, host, widget_app, "one-corner")
    for demo in ("northwind", "alpen"):
        expect(launcher(page, demo)).to_be_visible()
    # The tags are async: either may run first and take the bottom place.
    boxes = {demo: launcher(page, demo).bounding_box() or {} for demo in ("northwind", "alpen")}
    lower, upper = sorted(boxes, key=lambda demo: -boxes[demo]["y"])
    page.evaluate(f"window.ItellicoWebCall.get('{lower}').open(false)")
    expect(page.locator(f"{widget(lower)} [part=panel]")).to_be_visible()
    box = boxes[upper]
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-demo')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == lower


def test_a_page_with_its_own_itellico_call_element_is_told_ours_is_not_used(page, host, widget_app):
    """The page (or another script) defined `itellico-call` first: the launcher's panel and the inline
    element showed the page's element and nothing said why."""
    page.add_init_script("customElements.define('itellico-call', class extends HTMLElement {})")
    rec = open_site(page, host, widget_app, "inline")
    page.wait_for_load_state("networkidle")
    assert any("itellico-call" in w and "already defined" in w for w in rec.warnings), rec.warnings


def test_the_m_key_mutes_a_launchers_call_only_while_its_panel_is_open(page, host, widget_app, sandbox):
    """With the panel closed ("In call" on the launcher), M on the page muted or unmuted the call with
    nothing on screen to say so."""
    open_site(page, host, widget_app, "voice")
    button = launcher(page, "alpen")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    element = f"document.querySelector('{WIDGET}').shadowRoot.querySelector('itellico-call')"
    page.keyboard.press("Escape")  # the panel closes; the call goes on
    expect(page.locator(f"{widget('alpen')} [part=panel]")).to_be_hidden()
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press("m")
    assert page.evaluate(f"{element}.muted") is False
    button.click()  # open again: the call is in sight, and M mutes it
    expect(page.locator(f"{widget('alpen')} [part=panel]")).to_be_visible()
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press("m")
    page.wait_for_function(f"() => {element}.muted === true")
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
