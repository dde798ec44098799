"""The host page's root font size does not reach the call UI (static/css/itellico-call.css is in px).

`rem` is the HOST document's root font size even inside a shadow root: with the "62.5% trick"
(`html { font-size: 62.5% }`, 1rem = 10px) the call button shrank from 240x56 to 150x35 px and the fine
print to 7.5 px, in the inline element and in the launcher's panel alike; a 30px root blew both up.
Here each is drawn on a host page (another origin, as on a customer's site) with the default root, then
with such a root, and its fixed sizes must be the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, render_template_string, request
from playwright.sync_api import Page, expect

from .conftest import AppFactory
from .harness import serve_elsewhere

DEMO = "rootsize"

# No CSP of its own (widget_site.py's host has the strict one): the page's root size is an inline <style>.
HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>A site with its own root font size</title>
  <link rel="icon" href="data:,">
  {% if root %}<style>html { font-size: {{ root }}; }</style>{% endif %}
</head>
<body>
  <h1>Everything your practice needs</h1>
  {% if kind == "inline" %}
  <itellico-call demo="{{ demo }}" api-base="{{ app }}"></itellico-call>
  <script type="module" src="{{ app }}/static/js/itellico-call.js"></script>
  {% else %}
  <script src="{{ app }}/widget.js" data-demo="{{ demo }}" async></script>
  {% endif %}
</body>
</html>"""


def host_app() -> Flask:
    app = Flask(__name__)

    @app.get("/<kind>")
    def site(kind: str) -> Response:
        html = render_template_string(
            HOST_PAGE, kind=kind, demo=DEMO, app=request.args["app"], root=request.args.get("root", "")
        )
        return Response(html, mimetype="text/html")

    return app


@pytest.fixture(scope="module")
def host() -> Iterator[str]:
    with serve_elsewhere(host_app()) as url:
        yield url


@pytest.fixture(scope="module")
def app(serve_app: AppFactory, host: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    demos: Path = tmp_path_factory.mktemp("root-font") / "demos.toml"
    demos.write_text(
        f"""
[demos.{DEMO}]
title = "Northwind Dental"
language = "en"
default_mode = "voice"
allowed_origins = ["{host}"]
[demos.{DEMO}.brand]
company = "Northwind Dental"
theme = "light"
"""
    )
    return serve_app(demos_file=str(demos))


# The call button's box and the computed font size of texts that have a size of their own: the fine print
# (the empty transcript's line), the tip under the button, the button's label, a transcript tool's label.
MEASURE = """(el) => {
  const root = el.shadowRoot;
  const size = (sel) => getComputedStyle(root.querySelector(sel)).fontSize;
  const box = root.querySelector('[part=call-button]').getBoundingClientRect();
  return {
    callButton: [box.width, box.height],
    callLabel: size('.call-label'),
    finePrint: size('[part=transcript-empty]'),
    tip: size('[part=hint]'),
    copyLabel: size('[data-action=copy]'),
  };
}"""


def measure(page: Page, host: str, app: str, kind: str, root: str) -> dict[str, Any]:
    page.goto(f"{host}/{kind}?app={app}&root={root.replace('%', '%25')}")
    if kind == "inline":
        element = page.locator("itellico-call")
    else:
        page.locator(f'itellico-widget[data-demo="{DEMO}"] [part=launcher]').click()
        element = page.locator(f'itellico-widget[data-demo="{DEMO}"] itellico-call')
    expect(element.locator("[part=call-button]")).to_be_visible()
    expect(element.locator("[part=transcript-empty]")).to_be_visible()
    root_size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert root_size == {"": "16px", "62.5%": "10px", "30px": "30px"}[root], root_size  # the page's own
    return element.evaluate(MEASURE)


@pytest.mark.parametrize("root", ["62.5%", "30px"])
@pytest.mark.parametrize("kind", ["inline", "launcher"])
def test_the_hosts_root_font_size_leaves_the_call_ui_its_size(page, host, app, kind, root):
    default = measure(page, host, app, kind, "")
    assert default["callButton"][1] == 56 and default["finePrint"] == "13.6px", default  # 3.5rem, 0.85rem
    sized = measure(page, host, app, kind, root)
    assert sized == default
    assert sized["callButton"][1] >= 44  # the tap target
