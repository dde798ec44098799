"""A demo page on a slow phone network. A link-only page's link check must not wait for the call UI's
code (it did: pages/demo.js ran after the whole element, so the page showed only "checking" for
seconds). A second visit takes the shared chunks from the browser's cache without asking. The order of
the requests and what went over the network are asserted, never their times (docs/sales.md has the
measured figures)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.share_links import RecordingSigner
from webcall import ROOT
from webcall.demo_registry import DemoRegistry
from webcall.settings import Settings

from .studio import studio_database, studio_settings

BUTTON = "itellico-call [part=call-button]"
# Slow 3G-like: 400 ms round trip, 50 KB/s each way.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50 * 1024, "uploadThroughput": 50 * 1024}
# Resource Timing of what the page fetched, relative to the navigation's start (ms).
# transferSize: 0 for a file the browser's cache answered without asking the server (Resource Timing).
ENTRIES = """() => performance.getEntriesByType('resource').map((e) => ({
  path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, sent: e.transferSize }))"""


@pytest.fixture(scope="module")
def link_url(serve_app, tmp_path_factory, base_settings: Settings) -> str:
    database = studio_database(tmp_path_factory, "loading")
    url = serve_app(**studio_settings(database))
    demo = DemoRegistry.load(ROOT / "demos.toml", base_settings).get("alpenblick")
    assert demo.link_only
    signer = RecordingSigner(base_settings.secret_key, database)
    link = signer.issue(demo, {"name": "Maria"}, int(time.time()) + 3600)
    return url + link.path()


def load_slowly(browser: Browser, url: str, visits: int = 1) -> tuple[Page, list[dict]]:
    """The page opened `visits` times in one fresh browser context (a fresh cache); what the last
    visit fetched."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.set_default_timeout(60_000)
    for _ in range(visits):
        page.goto(url)
        expect(page.locator(BUTTON)).to_be_visible(timeout=60_000)
        # The element's code has run: its language's catalogue is fetched by then.
        expect(page.locator("itellico-call[data-state]")).to_have_count(1)
    return page, page.evaluate(ENTRIES)


def test_the_link_check_is_sent_while_the_call_ui_still_loads(browser: Browser, link_url: str):
    page, entries = load_slowly(browser, link_url)
    try:
        (check,) = [e for e in entries if e["path"] == "/api/demos/alpenblick/link"]
        chunks = [e for e in entries if e["path"].startswith("/static/js/chunk-")]
        assert chunks, entries  # built mode: the element's code comes in shared chunks
        last_chunk = max(e["end"] for e in chunks)
        assert check["start"] < last_chunk, (check, chunks)
        # The element's stylesheet and the page language's catalogue are asked for from the HTML.
        css = next(e for e in entries if e["path"] == "/static/css/itellico-call.css")
        de = next(e for e in entries if e["path"] == "/static/js/i18n/de.js")
        assert css["start"] < last_chunk and de["start"] < last_chunk, (css, de, chunks)
        # ... and each is fetched once: the element takes the preloaded response.
        paths = [e["path"] for e in entries]
        assert paths.count(css["path"]) == 1 and paths.count(de["path"]) == 1, paths
        expect(page.locator('[data-brand="company"]')).to_have_text("Alpenblick Hotels")
    finally:
        page.context.close()


def test_a_second_visit_takes_the_shared_chunks_from_the_cache(browser: Browser, app_url: str):
    """The chunks are named by their bytes (webcall/pages.py keeps them for good); the entry module,
    which keeps its name across releases, is asked for again (a 304 costs a round trip, not bytes)."""
    page, entries = load_slowly(browser, app_url + "/", visits=2)
    try:
        chunks = [e for e in entries if e["path"].startswith("/static/js/chunk-")]
        assert chunks, entries  # built mode: the element's code comes in shared chunks
        assert all(e["sent"] == 0 for e in chunks), chunks
        entry = [e for e in entries if e["path"] == "/static/js/itellico-call.js"]
        assert entry and entry[0]["sent"] > 0, entry  # revalidated over the network
    finally:
        page.context.close()
