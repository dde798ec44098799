"""The launcher clear of the website's own fixed bars (`--itellico-offset-bottom`, `-inline`), in Chromium.

On a phone the launcher sat 12px above the bottom of the window, over the page's fixed bottom navigation,
and its right-hand link could not be tapped (with the panel closed during a call too): `--itellico-z-index`
only changes which of the two is on top. The owner now says how much room their bars take, and the
launcher and its open panel stay clear of it. The host page runs under the documented CSP
(tests/e2e/host_csp.py), its rules in a stylesheet file, as in tests/e2e/test_widget_stacking.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Browser, Page, expect

from . import widget_site
from .conftest import AppFactory, Sandbox
from .harness import serve_elsewhere
from .widget_site import host_policy, launcher, livekit_url, widget

# The widget tests' demos file (northwind, allowed for widget_site's host only: this host is allowed
# through the app's own setting).
host = widget_site.host
demos_file = widget_site.demos_file

PHONE = {"width": 390, "height": 844}
NAV = 56  # the owner's fixed bottom navigation bar
RAIL = 80  # the owner's fixed side rail (desktop)
LINKS = ("Home", "Shop", "Cart")


def owner_site(livekit: str) -> Flask:
    site = Flask(__name__)

    @site.get("/page")
    def page() -> Response:
        app = request.args["app"]
        position = request.args.get("position", "bottom-right")
        css = f"/owner.css?{request.query_string.decode()}"
        links = "".join(f'<a href="#{name.lower()}">{name}</a>' for name in LINKS)
        html = (
            '<!doctype html><html lang="en"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Acme</title>'
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{css}">'
            f'<h1>Acme Shop</h1><nav id="nav">{links}</nav><div id="rail">Rail</div>'
            f'<script src="{app}/widget.js" data-demo="northwind" data-mode="text"'
            f' data-position="{position}" async></script></html>'
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = host_policy(app, livekit)
        return response

    @site.get("/owner.css")
    def owner_css() -> Response:
        args = request.args
        side = "left" if args.get("position") == "bottom-left" else "right"
        rules = [
            "body { margin: 0; }",
            f"#nav {{ position: fixed; left: 0; right: 0; bottom: 0; height: {NAV}px; z-index: 10;"
            " display: flex; justify-content: space-around; align-items: center; background: #333; }",
            "#nav a { color: #fff; padding: 12px; }",
            f"#rail {{ position: fixed; top: 0; bottom: 0; {side}: 0; width: {RAIL}px; background: #ccc;"
            f" display: {'block' if 'inline' in args else 'none'}; }}",
        ]
        # The owner's choice for the launcher, as docs/widget.md says to set it.
        if "offset" in args:
            rules.append(f"itellico-widget {{ --itellico-offset-bottom: {int(args['offset'])}px; }}")
        if "inline" in args:
            rules.append(f"itellico-widget {{ --itellico-offset-inline: {int(args['inline'])}px; }}")
        return Response("\n".join(rules), mimetype="text/css")

    return site


@pytest.fixture(scope="module")
def owner_host(sandbox: Sandbox) -> Iterator[str]:
    with serve_elsewhere(owner_site(livekit_url(sandbox))) as url:
        yield url


@pytest.fixture(scope="module")
def offset_app(serve_app: AppFactory, demos_file: str, owner_host: str) -> str:
    return serve_app(demos_file=demos_file, allowed_origins=(owner_host,))


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, permissions=["microphone"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found, selector
    return found


def links_are_tappable(page: Page, touch: bool = True) -> None:
    """What is at each nav link's centre is the link itself, and a tap (a click) there follows it."""
    for name in LINKS:
        link = box(page, f'#nav a[href="#{name.lower()}"]')
        x, y = link["x"] + link["width"] / 2, link["y"] + link["height"] / 2
        at = page.evaluate(
            "([x, y]) => { const el = document.elementFromPoint(x, y);"
            " return el?.closest('a')?.textContent || el?.localName; }",
            [x, y],
        )
        assert at == name, f"{name}'s centre is covered by {at}"
        page.touchscreen.tap(x, y) if touch else page.mouse.click(x, y)
        page.wait_for_function("(hash) => location.hash === hash", arg=f"#{name.lower()}")


def clear_of_the_nav(page: Page, selector: str) -> dict[str, float]:
    """`selector` is wholly on screen, above the nav bar."""
    found = box(page, selector)
    viewport = page.viewport_size
    assert viewport
    assert found["y"] >= 0 and found["y"] + found["height"] <= viewport["height"] - NAV, (selector, found)
    assert found["x"] >= 0 and found["x"] + found["width"] <= viewport["width"], (selector, found)
    return found


def test_on_a_phone_the_launcher_and_its_panel_stay_clear_of_the_owners_bottom_nav(
    phone: Page, owner_host, offset_app
):
    page = phone
    page.goto(f"{owner_host}/page?app={offset_app}&offset={NAV}")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    links_are_tappable(page)
    clear_of_the_nav(page, f"{widget('northwind')} [part=launcher]")

    # Open: the panel fits the window above the nav (and above the launcher); the nav still works.
    button.click()
    panel = f"{widget('northwind')} [part=panel]"
    accept = page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")
    # The consent step shown: the panel at its full height. Attached is too soon: the card shows once its
    # stylesheet and words are in (element-view.js), and the panel then grows upwards from its bottom.
    expect(accept).to_be_visible()
    expect(page.locator(panel)).to_be_in_viewport(ratio=1)
    opened = clear_of_the_nav(page, panel)  # one box: its top and height from the same moment
    assert opened["y"] + opened["height"] <= box(page, f"{widget('northwind')} [part=launcher]")["y"]
    links_are_tappable(page)

    # A call goes on behind the closed panel: the "In call" launcher stays clear of the nav too.
    accept.click()
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    button.click()
    expect(page.locator(panel)).to_be_hidden()
    expect(button).to_have_accessible_name("In call")
    clear_of_the_nav(page, f"{widget('northwind')} [part=launcher]")
    links_are_tappable(page)
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert page.console_errors == []


@pytest.mark.parametrize("position", ["bottom-right", "bottom-left"])
def test_on_a_desktop_the_launcher_keeps_clear_of_a_bottom_bar_and_a_side_rail(
    page: Page, owner_host, offset_app, position
):
    page.set_viewport_size({"width": 1280, "height": 600})  # short: the open panel's height is capped
    page.goto(f"{owner_host}/page?app={offset_app}&offset={NAV}&inline={RAIL}&position={position}")
    rail = box(page, "#rail")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    panel = f"{widget('northwind')} [part=panel]"
    for selector in (f"{widget('northwind')} [part=launcher]", panel):
        found = clear_of_the_nav(page, selector)
        if position == "bottom-right":
            assert found["x"] + found["width"] <= rail["x"], (selector, found, rail)
        else:
            assert found["x"] >= rail["x"] + rail["width"], (selector, found, rail)
        if selector != panel:
            button.click()
            # The consent step shown: the panel at its full height, not yet as it opens (see above).
            expect(page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")).to_be_visible()
    links_are_tappable(page, touch=False)
    assert page.console_errors == []


def test_without_the_offsets_the_launcher_stays_where_it_was(phone: Page, owner_host, offset_app):
    """Nothing changes for an owner who sets nothing: the launcher 12px from the phone's bottom corner."""
    phone.goto(f"{owner_host}/page?app={offset_app}")
    expect(launcher(phone, "northwind")).to_be_visible()
    found = box(phone, f"{widget('northwind')} [part=launcher]")
    assert found["y"] + found["height"] == PHONE["height"] - 12
    assert found["x"] + found["width"] == PHONE["width"] - 12
