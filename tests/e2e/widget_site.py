"""The widget tests' sample host site on ANOTHER origin than the app, its demos file, and helpers.

The app runs on http://127.0.0.1:<B>; the sample host page (tests/e2e/hosts/) on http://localhost:<A>,
with a strict Content-Security-Policy of its own: exactly what docs/widget.md tells an owner to allow.
A test file takes the fixtures by name (`host = widget_site.host`, and `demos_file`, `widget_app`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, render_template_string, request, url_for
from playwright.sync_api import Page

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import SCREENSHOTS, AppFactory, Sandbox
from .harness import serve_elsewhere
from .host_csp import DOCS_APP, documented_sources, header, merge

HOSTS = Path(__file__).parent / "hosts"
AVA = DEFAULT_AGENT_ID
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
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
            f'<body><button id="talk">Talk to us</button>{tag}<script src="{snippet}"></script></body></html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp(app_url)
        return response

    @app.get("/docs-snippet.js")
    def docs_snippet() -> Response:
        return Response(docs_iframe_embed(request.args["app"])[1], mimetype="text/javascript")

    @app.get("/head/<demo>")
    def head(demo: str) -> Response:
        # The loader's tag in <head>, where Turbo Drive sites put scripts: run once, kept across visits
        # that swap <body> (test_widget_launcher.py).
        html = render_template_string(
            '<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width">'
            '<title>Head tag</title><link rel="icon" href="data:,"><script src="/assets/host.js"></script>'
            '<script src="{{ app }}/widget.js" data-demo="{{ demo }}"></script></head>'
            "<body><h1>Page one</h1></body></html>",
            app=request.args["app"],
            demo=demo,
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp(request.args["app"])
        return response

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


def until(page: Page, condition: Any, what: str, timeout_s: float = 10) -> None:
    """Wait for a condition on the test's side (a route handler ran), letting Playwright deliver events."""
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"timed out waiting for {what}")


def frame_messages(page: Page, kind: str | None = None) -> list[dict[str, Any]]:
    found = page.evaluate("window.hostRecord.messages")
    return [
        m
        for m in found
        if m["data"].get("source") == "itellico-call" and (kind is None or m["data"]["type"] == kind)
    ]
