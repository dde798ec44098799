"""Bytes a host page loads from us before the first click: the widget loader vs the full element
bundle (the element, its modules and livekit-client, as a page pays once a call is started or
warmed). Measured in Chromium from the responses themselves, raw and gzip-compressed.

    make bench            (or: .venv/bin/python -m bench.widget_bytes)
"""

from __future__ import annotations

import argparse
import gzip
import logging
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from bench.common import table, write
from sandbox.stack import DEFAULT_AGENT_ID
from tests.e2e.harness import CHROMIUM, chromium_args, serve
from webcall import create_app
from webcall.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

WIDGET_HOST = """<!doctype html><html><head><title>host</title></head><body><h1>A customer's site</h1>
<script src="/widget.js" data-demo="northwind" async></script></body></html>"""
ELEMENT_HOST = """<!doctype html><html><head><title>host</title>
<script type="module" src="/static/js/itellico-call.js"></script></head>
<body><h1>A customer's site</h1><itellico-call demo="northwind"></itellico-call></body></html>"""


def scripts_loaded(page: Page, url: str, warm: bool) -> list[tuple[str, int, int]]:
    """Every script, stylesheet and fetch the page made (the browser's resource timing), with its
    size as served, raw and gzip-compressed (the same bytes fetched again outside the browser)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if warm:  # hover warms the element: livekit-client and every module a call needs load now
        page.hover("itellico-call >> [part=call-button]")
        page.wait_for_function(
            "() => performance.getEntriesByType('resource').some((e) => e.name.includes('livekit-client'))"
        )
        page.wait_for_load_state("networkidle")
    names = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((e) => ['script', 'link', 'css', 'fetch', 'xmlhttprequest'].includes(e.initiatorType))
            .map((e) => e.name)"""
    )
    seen = []
    for name in dict.fromkeys(names):
        body = httpx.get(name).content
        seen.append((name, len(body), len(gzip.compress(body, 9))))
    return seen


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings = Settings.from_env(
        {
            "ITELLICOAI_API_KEY": "bench-no-upstream",
            "ITELLICOAI_BASE_URL": "http://127.0.0.1:9",
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "WEBCALL_SECRET_KEY": "bench-secret-key-0123456789",
            "WEBCALL_DATABASE_URL": "sqlite://",
        }
    )
    app = create_app({"settings": settings})
    app.add_url_rule("/bench-host/widget", "bench_widget", lambda: WIDGET_HOST)
    app.add_url_rule("/bench-host/element", "bench_element", lambda: ELEMENT_HOST)
    with serve(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=chromium_args())
        widget = scripts_loaded(browser.new_page(), url + "/bench-host/widget", warm=False)
        element = scripts_loaded(browser.new_page(), url + "/bench-host/element", warm=True)
        browser.close()
    if any("livekit-client" in u for u, _, _ in widget):
        raise SystemExit("the widget loaded livekit-client before any intent")
    w_raw, w_gz = sum(r for _, r, _ in widget), sum(g for _, _, g in widget)
    e_raw, e_gz = sum(r for _, r, _ in element), sum(g for _, _, g in element)
    print(
        table(
            "Bytes from us before the first click (Chromium, host page with one widget)",
            ["measure", "baseline: full element bundle", "widget loader", "ratio"],
            [
                ["files", str(len(element)), str(len(widget)), ""],
                ["raw bytes", f"{e_raw:,}", f"{w_raw:,}", f"{w_raw / e_raw:.3f}x"],
                ["gzip bytes", f"{e_gz:,}", f"{w_gz:,}", f"{w_gz / e_gz:.3f}x"],
            ],
        )
    )
    path = write(
        "widget_bytes",
        {
            "widget": {"files": [u.split("/", 3)[-1] for u, _, _ in widget], "raw": w_raw, "gzip": w_gz},
            "full_element": {"files": len(element), "raw": e_raw, "gzip": e_gz},
            "ratio_gzip": w_gz / e_gz,
        },
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
