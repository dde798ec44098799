"""Bytes a visitor downloads from us, measured in Chromium from the responses themselves: raw,
gzip-compressed (gzip -9 of the same bytes fetched again outside the browser) and as sent (the body
bytes Chromium received, `encodedBodySize`: the build's zopfli files where the app has them):

- when a call starts (the element, its modules, its stylesheet and livekit-client, as a page pays once
  a call is started or warmed on hover): the minified build (WEBCALL_ASSETS=built) vs the plain modules
  (WEBCALL_ASSETS=source), and a German page (its catalogue too) vs an English one;
- before the first click: the widget loader vs that built call start.

    make bench            (or: .venv/bin/python -m bench.widget_bytes)
"""

from __future__ import annotations

import argparse
import gzip
import logging
from pathlib import Path
from typing import Any

import httpx
from flask import Flask, request
from playwright.sync_api import Page, sync_playwright

from bench.common import table, write
from sandbox.stack import DEFAULT_AGENT_ID
from tests.e2e.harness import CHROMIUM, chromium_args, ensure_built_assets, serve
from webcall import create_app
from webcall.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

WIDGET_HOST = """<!doctype html><html><head><title>host</title></head><body><h1>A customer's site</h1>
<script src="/widget.js" data-demo="northwind" async></script></body></html>"""
ELEMENT_HOST = """<!doctype html><html><head><title>host</title>
<script type="module" src="/static/js/itellico-call.js"></script></head>
<body><h1>A customer's site</h1>
<itellico-call demo="northwind" lang="{lang}"></itellico-call></body></html>"""


def scripts_loaded(page: Page, url: str, livekit: str | None) -> list[tuple[str, int, int, int]]:
    """Every script, stylesheet and fetch the page made (the browser's resource timing), with its
    size raw, gzip-compressed (the same bytes fetched again outside the browser) and as sent.
    `livekit`: hover the element and wait until this file, the last a call start needs, has arrived."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if livekit:  # hover warms the element: livekit-client and every module a call needs load now
        page.hover("itellico-call >> [part=call-button]")
        page.wait_for_function(
            "(last) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(last))",
            arg=livekit,
        )
    entries = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((e) => ['script', 'link', 'css', 'fetch', 'xmlhttprequest'].includes(e.initiatorType))
            .map((e) => [e.name, e.encodedBodySize])"""
    )
    seen = []
    for name, sent in dict(entries).items():
        body = httpx.get(name).content
        seen.append((name, len(body), len(gzip.compress(body, 9)), sent))
    return seen


def bench_app(assets: str) -> Flask:
    settings = Settings.from_env(
        {
            "ITELLICOAI_API_KEY": "bench-no-upstream",
            "ITELLICOAI_BASE_URL": "http://127.0.0.1:9",
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "WEBCALL_SECRET_KEY": "bench-secret-key-0123456789",
            "WEBCALL_DATABASE_URL": "sqlite://",
            "WEBCALL_ASSETS": assets,
        }
    )
    app = create_app({"settings": settings})
    app.add_url_rule("/bench-host/widget", "bench_widget", lambda: WIDGET_HOST)
    app.add_url_rule(
        "/bench-host/element", "bench_element", lambda: ELEMENT_HOST.format(lang=request.args["lang"])
    )
    return app


def totals(seen: list[tuple[str, int, int, int]]) -> dict[str, object]:
    return {
        "files": [u.split("/", 3)[-1] for u, _, _, _ in seen],
        "raw": sum(r for _, r, _, _ in seen),
        "gzip": sum(g for _, _, g, _ in seen),
        "sent": sum(s for _, _, _, s in seen),
    }


def byte_rows(base: dict[str, Any], other: dict[str, Any]) -> list[list[str]]:
    """Files, raw, gzip and sent bytes of `other` against `base`, as table rows with the ratio."""
    return [
        ["files", str(len(base["files"])), str(len(other["files"])), ""],
        *(
            [label, f"{base[key]:,}", f"{other[key]:,}", f"{other[key] / base[key]:.3f}x"]
            for label, key in (("raw bytes", "raw"), ("gzip bytes", "gzip"), ("bytes sent", "sent"))
        ),
    ]


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ensure_built_assets()
    with (
        serve(bench_app("built")) as built_url,
        serve(bench_app("source")) as source_url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=chromium_args())
        widget = scripts_loaded(browser.new_page(), built_url + "/bench-host/widget", None)
        # Built: livekit-client is /static/js/livekit-client.js itself; source: that module imports the
        # npm bundle from /vendor/, which arrives last.
        built = scripts_loaded(
            browser.new_page(), built_url + "/bench-host/element?lang=en", "/static/js/livekit-client.js"
        )
        german = scripts_loaded(
            browser.new_page(), built_url + "/bench-host/element?lang=de", "/static/js/livekit-client.js"
        )
        source = scripts_loaded(
            browser.new_page(), source_url + "/bench-host/element?lang=en", "/vendor/livekit-client.esm.mjs"
        )
        browser.close()
    if any("livekit-client" in u for u, _, _, _ in widget):
        raise SystemExit("the widget loaded livekit-client before any intent")
    w, b, s, de = totals(widget), totals(built), totals(source), totals(german)
    print(
        table(
            "Bytes when a call starts (Chromium: the element, its modules and stylesheet, livekit-client)",
            ["measure", "baseline: plain modules (source)", "minified build (built)", "ratio"],
            byte_rows(s, b),
        )
    )
    print()
    print(
        table(
            "Bytes when a call starts, by the page's language (built; each fetches its own catalogue)",
            ["measure", "baseline: English page", "German page", "ratio"],
            byte_rows(b, de),
        )
    )
    print()
    print(
        table(
            "Bytes from us before the first click (Chromium, host page with one widget)",
            ["measure", "baseline: built call start", "widget loader", "ratio"],
            byte_rows(b, w),
        )
    )
    path = write(
        "widget_bytes",
        {
            "widget": w,
            "call_start_built": b,
            "call_start_built_german": de,
            "call_start_source": s,
            "ratio_gzip_built_vs_source": b["gzip"] / s["gzip"],
            "ratio_gzip_widget_vs_call_start": w["gzip"] / b["gzip"],
        },
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
