"""Share-link tokens never leave the browser in a URL or a header: they travel in the URL fragment
and in request bodies only. Every request Chromium makes while a demo page and an embed page load
(and a call starts) is captured, request line and headers, Referer included."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.share_links import RecordingSigner
from tests.tokens import tampered
from webcall import ROOT
from webcall.demo_registry import DemoRegistry
from webcall.links import ShareLink
from webcall.settings import Settings

ELEMENT = "itellico-call"


@dataclass
class Seen:
    requests: list[tuple[str, str, dict[str, str], str | None]] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.requests.append((request.method, request.url, dict(request.headers), request.post_data))

    def leaks(self, token: str) -> list[str]:
        """Requests whose URL or any header value carries the token."""
        return [
            f"{method} {url}"
            for method, url, headers, _ in self.requests
            if token in url or any(token in value for value in headers.values())
        ]

    def bodies_with(self, token: str) -> list[str]:
        return [url for method, url, _, body in self.requests if body and token in body]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('privacy') / 'calls.sqlite3'}"


@pytest.fixture(scope="module")
def demos_url(serve_app, database) -> str:
    return serve_app(demos_file=str(ROOT / "demos.toml"), database_url=database)


@pytest.fixture(scope="module")
def issue(base_settings: Settings, database, demos_url):
    signer = RecordingSigner(base_settings.secret_key, database)  # demos_url: the database is migrated
    demos = DemoRegistry.load(ROOT / "demos.toml", base_settings)

    def make(slug: str) -> ShareLink:
        return signer.issue(demos.get(slug), {"name": "Maria"}, int(time.time()) + 3600)

    return make


@pytest.fixture
def seen(context: BrowserContext) -> Seen:
    seen = Seen()
    context.on("request", seen.record)  # every page and frame of the context, workers included
    return seen


def test_a_link_only_demo_page_and_its_call_never_put_the_token_in_a_url_or_header(
    page: Page, demos_url, issue, seen
):
    link = issue("alpenblick")
    page.goto(f"{demos_url}{link.path()}")
    expect(page.locator('[data-brand="company"]')).to_have_text("Alpenblick Hotels")
    expect(page.locator(".demo__title")).to_have_text("Alpenblick Hotels: Ihre KI-Rezeption")
    with page.expect_response(lambda r: r.url.endswith("/api/calls") and r.request.method == "POST") as info:
        page.click(f"{ELEMENT} [part=call-button]")
    assert info.value.status == 201
    page.click(f"{ELEMENT} [part=call-button]")  # hang up
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    assert len(seen.requests) > 5
    assert seen.leaks(link.token) == []
    # Only in bodies: the link check and the create.
    assert sorted(seen.bodies_with(link.token)) == [
        f"{demos_url}/api/calls",
        f"{demos_url}/api/demos/alpenblick/link",
    ]
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []


def test_an_embed_page_never_puts_the_token_in_a_url_or_header(page: Page, demos_url, issue, seen):
    link = issue("northwind")
    page.goto(f"{demos_url}/embed/northwind?mode=text#link={link.token}")
    page.wait_for_function("() => customElements.get('itellico-call') !== undefined")
    expect(page.locator(ELEMENT)).to_have_attribute("link", link.token)
    page.wait_for_load_state("networkidle")
    assert len(seen.requests) > 5
    assert seen.leaks(link.token) == []


def test_an_old_query_link_is_moved_to_the_fragment_at_once(page: Page, demos_url, issue, seen):
    link = issue("alpenblick")
    response = page.goto(f"{demos_url}/demo/alpenblick?link={link.token}")
    assert response is not None and response.ok
    expect(page).to_have_url(f"{demos_url}/demo/alpenblick#link={link.token}")
    expect(page.locator('[data-brand="company"]')).to_have_text("Alpenblick Hotels")
    page.wait_for_load_state("networkidle")
    # The old URL's own request carries it (it is in the link itself); nothing after it does.
    assert seen.leaks(link.token) == [f"GET {demos_url}/demo/alpenblick?link={link.token}"]


def test_a_changed_link_shows_its_notice_and_names_nothing(page: Page, demos_url, issue):
    link = issue("alpenblick")
    page.goto(f"{demos_url}{replace(link, token=tampered(link.token)).path()}")
    expect(page.locator('[data-reason="tampered"] h1')).to_have_text("Dieser Link ist ungültig")  # German
    expect(page.locator(ELEMENT)).to_have_count(0)
    assert "Alpenblick" not in page.content()
