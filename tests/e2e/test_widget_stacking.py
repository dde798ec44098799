"""The launcher's layer under the website owner's control (`--itellico-z-index`), in Chromium.

Its layer was fixed at `z-index: 2147483000` (and `:host` is `position: static !important`), so a
cookie banner at 2147483647 covered the launcher entirely, and a sticky header there covered the open
panel's title and Close button, and an owner who wanted the launcher under their own bar could not
have that either. The host page here runs under the documented CSP (tests/e2e/host_csp.py), so its
rules come from a stylesheet file, as a real site's would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Page, expect

from . import widget_site
from .conftest import AppFactory, Sandbox, wait_until
from .harness import serve_elsewhere
from .widget_site import host_policy, launcher, livekit_url, widget

# The widget tests' demos file (northwind, allowed for widget_site's host only: this host is allowed
# through the app's own setting).
host = widget_site.host
demos_file = widget_site.demos_file

DEFAULT = 2147483000  # static/css/widget.css
MAX = 2147483647  # the largest z-index: cookie banners' favourite
BAR = {
    # A fixed cookie banner over the bottom of the window (where the launcher sits).
    "banner": "position: fixed; left: 0; right: 0; bottom: 0; height: 160px;",
    # A fixed header over the top of the window (where the open panel's title and Close are).
    "header": "position: fixed; left: 0; right: 0; top: 0; height: 70vh;",
}


def owner_site(livekit: str) -> Flask:
    site = Flask(__name__)

    @site.get("/page")
    def page() -> Response:
        app = request.args["app"]
        css = f"/owner.css?{request.query_string.decode()}"
        html = (
            '<!doctype html><html lang="en"><meta charset="utf-8"><title>Acme</title>'
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{css}">'
            '<div id="bar">We use cookies. <button type="button">OK</button></div><h1>Acme Dental</h1>'
            f'<script src="{app}/widget.js" data-demo="northwind" data-mode="text" async></script></html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = host_policy(app, livekit)
        return response

    @site.get("/owner.css")
    def owner_css() -> Response:
        args = request.args
        rules = f"#bar {{ {BAR[args['bar']]} z-index: {int(args['bar_z'])}; background: #222; color: #fff; }}"
        if "z" in args:  # the owner's choice for the launcher, as docs/widget.md says to set it
            rules += f"\nitellico-widget {{ --itellico-z-index: {int(args['z'])}; }}"
        return Response(rules, mimetype="text/css")

    return site


@pytest.fixture(scope="module")
def owner_host(sandbox: Sandbox) -> Iterator[str]:
    with serve_elsewhere(owner_site(livekit_url(sandbox))) as url:
        yield url


@pytest.fixture(scope="module")
def stacking_app(serve_app: AppFactory, demos_file: str, owner_host: str) -> str:
    return serve_app(demos_file=demos_file, allowed_origins=(owner_host,))


def on_top_at_centre(page: Page, selector: str) -> str:
    """Who the visitor's click at the centre of `selector` would reach: the launcher or the bar."""
    box = page.locator(selector).bounding_box()
    assert box, selector
    return page.evaluate(
        "([x, y]) => { const el = document.elementFromPoint(x, y);"
        " return el?.closest('itellico-widget') ? 'launcher'"
        " : el?.closest('#bar') ? 'bar' : el?.localName; }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )


@pytest.mark.parametrize(
    ("bar_z", "z", "expected"),
    [
        (MAX, MAX, "launcher"),  # above a cookie banner at the largest z-index (it comes later in the page)
        (100, 50, "bar"),  # below the owner's own bar, as asked
        (100, None, "launcher"),  # unset: the default layer, above ordinary bars
    ],
)
def test_the_owner_puts_the_launcher_above_or_below_a_fixed_banner(
    page, owner_host, stacking_app, bar_z, z, expected
):
    extra = "" if z is None else f"&z={z}"
    page.goto(f"{owner_host}/page?app={stacking_app}&bar=banner&bar_z={bar_z}{extra}")
    expect(launcher(page, "northwind")).to_be_visible()
    assert on_top_at_centre(page, f"{widget('northwind')} [part=launcher]") == expected
    assert page.console_errors == []


def test_the_open_panel_comes_above_a_sticky_header_when_the_owner_says_so(page, owner_host, stacking_app):
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"{owner_host}/page?app={stacking_app}&bar=header&bar_z={MAX}&z={MAX}")
    launcher(page, "northwind").click()
    close = f"{widget('northwind')} [part=close-button]"
    expect(page.locator(close)).to_be_visible()
    # The panel's Close, not the header, once it has opened: while it slides in, the centre measured a
    # moment before the look can be empty page ("html" once in a clean-clone run on a busy machine).
    # Under the header it would stay "bar".
    wait_until(lambda: on_top_at_centre(page, close) == "launcher", 5, "the panel's Close on top")
    page.locator(close).click()
    expect(page.locator(f"{widget('northwind')} [part=panel]")).to_be_hidden()
    assert page.console_errors == []
