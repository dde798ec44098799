"""Sales demos in Chromium against the sandbox: branded pages, a signed link that greets the
prospect by name, tampered and expired links, and the call log on /demos."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.share_links import RecordingSigner, decoded
from tests.tokens import tampered
from webcall import ROOT
from webcall.demo_registry import DemoRegistry
from webcall.formatting import duration as shown_duration
from webcall.settings import Settings

from .conftest import Sandbox, wait_until
from .screens import shoot
from .studio import ADMIN_EMAIL, sign_in, studio_database, studio_settings

ELEMENT = "itellico-call"
AGENT_LINE = f'{ELEMENT} [data-role="agent"][data-final="true"] .line-text'
AVA = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
SENT_KEYS = {  # everything the app may send upstream for a demo call; nothing else from the browser
    "type",
    "agent_id",
    "external_id",
    "audio_input_enabled",
    "audio_output_enabled",
    "device_fingerprint",
    "test_variables",
    "overrides",  # the demo's longest call (webcall/api.py upstream_limit), below
}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return studio_database(tmp_path_factory, "sales")


@pytest.fixture(scope="module")
def sales_url(serve_app, database) -> str:
    return serve_app(**studio_settings(database))


@pytest.fixture(scope="module")
def links(base_settings: Settings, database, sales_url) -> tuple[RecordingSigner, DemoRegistry]:
    # Signed and recorded as the studio does (sales_url: the database is migrated).
    signer = RecordingSigner(base_settings.secret_key, database)
    return signer, DemoRegistry.load(ROOT / "demos.toml", base_settings)


def element_ready(page: Page) -> None:
    page.wait_for_function("() => customElements.get('itellico-call') !== undefined")


def phone(browser: Browser, pw_devices: dict[str, Any]) -> Page:
    return browser.new_context(**pw_devices["Pixel 7"]).new_page()


def hang_up_and_wait(page: Page) -> None:
    page.click(f"{ELEMENT} [part=call-button]")
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)


@pytest.mark.parametrize(
    ("slug", "company", "lang", "start_label"),
    [
        ("northwind", "Northwind Dental", "en", "Start call"),
        ("alpenblick", "Alpenblick Hotels", "de", "Anruf starten"),  # link-only: filled in by demo.js
    ],
)
def test_each_example_page_shows_its_brand_and_language(
    page, browser, pw, sales_url, links, slug, company, lang, start_label
):
    signer, demos = links
    demo = demos.get(slug)
    url = f"{sales_url}/demo/{slug}"
    if demo.link_only:
        url = f"{sales_url}{signer.issue(demo, {'name': 'Maria'}, int(time.time()) + 3600).path()}"
    page.goto(url)
    element_ready(page)
    expect(page.locator('[data-brand="company"]')).to_have_text(company)
    expect(page.locator(".demo__logo")).to_be_visible()
    # The logo sits beside the company's name: decorative, or a screen reader says the name twice.
    expect(page.locator(".demo__logo")).to_have_attribute("alt", "")
    expect(page.get_by_role("img")).to_have_count(0)
    expect(page.locator(f'.demo[lang="{lang}"]')).to_have_count(1)
    expect(page.locator(f"{ELEMENT} [part=call-button]")).to_contain_text(start_label)
    # Each suggestion in its language's quotation marks (German ones were English: “Wann …?”).
    opens, closes = {"en": ("\u201c", "\u201d"), "de": ("\u201e", "\u201c")}[lang]
    quoted = [f"{opens}{q}{closes}" for q in demo.suggestions]
    expect(page.locator(".demo__suggestions li")).to_have_text(quoted)
    # The demo's name for its agent heads the call before any call (it was the generic title).
    expect(page.locator(f"{ELEMENT} [part=title]")).to_have_text(demo.display_name)
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--demo-accent').trim()"
    )
    assert accent == demo.brand.accent
    shoot(page, f"demo-{slug}-desktop")
    mobile = phone(browser, pw.devices)
    try:
        mobile.goto(url)
        element_ready(mobile)
        expect(mobile.locator('[data-brand="company"]')).to_have_text(company)
        shoot(mobile, f"demo-{slug}-phone")
    finally:
        mobile.context.close()
    # (the browser's own /favicon.ico request 404s; everything the page loads is checked above)
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []


def test_a_signed_link_call_greets_the_prospect_by_name(page, sales_url, sandbox: Sandbox):
    # The rep makes the link on /demos, as in real life.
    sign_in(page, sales_url)
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="label"]').fill("Maria, Alpenblick")
    form.locator('input[name="var_name"]').fill("Maria")
    form.locator("button[type=submit]").click()
    row = page.locator("#demo-alpenblick tr.is-new")
    expect(row).to_contain_text("Maria, Alpenblick")
    link = row.locator("input.copy-source").input_value()
    assert link.startswith(f"{sales_url}/demo/alpenblick#link=")
    assert "Maria" not in decoded(link.split("#link=", 1)[1])  # the name is in the link's row, not its URL

    before = len(sandbox.creates())
    prospect = page.context.new_page()
    prospect.goto(link)
    element_ready(prospect)
    prospect.click(f"{ELEMENT} [part=call-button]")
    expect(prospect.locator(AGENT_LINE).first).to_contain_text("Hallo Maria, hier ist Lena", timeout=25_000)

    sent = sandbox.creates()[before:]
    assert len(sent) == 1
    (body,) = sent
    assert body["agent_id"] == LENA and body["type"] == "web"
    assert body["test_variables"] == {"company": "Alpenblick Hotels", "name": "Maria"}
    assert set(body) <= SENT_KEYS, set(body) - SENT_KEYS
    # alpenblick has no admin overrides: only its longest call (5 minutes, itellico's end a little later).
    (longest,) = body["overrides"]["agent"].values()
    assert set(body["overrides"]) == {"agent"} and 300 < longest <= 330, body["overrides"]
    hang_up_and_wait(prospect)


def test_after_hang_up_the_call_is_on_demos_with_its_duration(page, sales_url, sandbox: Sandbox):
    page.goto(f"{sales_url}/demo/northwind")
    element_ready(page)
    page.click(f"{ELEMENT} [part=call-button]")
    with page.expect_response(lambda r: r.url.endswith("/api/calls") and r.request.method == "POST") as info:
        page.click(f"{ELEMENT} [data-action=accept]")  # the demo's consent text
    created = info.value.json()
    expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=25_000)
    expect(page.locator(f'{ELEMENT} [part="timer"] .timer-value')).not_to_have_text("0:00", timeout=5_000)
    hang_up_and_wait(page)
    wait_until(lambda: sandbox.call(created["call_id"])["status"] == "completed", 20, "the call to complete")

    sales = page.context.new_page()
    sign_in(sales, sales_url)
    # No webhook worker runs for this app and /demos no longer asks itellico (issue 15): the call's
    # detail page, which reads GET call for the transcript, brings its row up to date.
    sales.goto(f"{sales_url}/demos/calls/{created['call_id']}")
    expect(sales.locator('[data-fact="status"]')).to_have_text("Completed")
    sales.goto(f"{sales_url}/demos")
    row = sales.locator(f'tr[data-call-id="{created["call_id"]}"]')
    expect(row.locator('[data-col="status"]')).to_have_text("Completed")
    duration = sandbox.call(created["call_id"])["duration_seconds"]
    assert isinstance(duration, int) and duration >= 1
    expect(row.locator('[data-col="duration"]')).to_have_text(shown_duration(duration))
    unlinked = sales.locator('#demo-northwind tr[data-link-id=""] [data-col="calls"]')
    assert int(unlinked.inner_text()) >= 1


def test_tampered_and_expired_links_show_their_page_and_create_nothing(page, sales_url, links, sandbox):
    signer, demos = links
    demo = demos.get("alpenblick")
    before = len(sandbox.creates())
    good = signer.issue(demo, {"name": "Maria"}, int(time.time()) + 3600)
    page.goto(f"{sales_url}{replace(good, token=tampered(good.token)).path()}")
    expect(page.locator('[data-reason="tampered"] h1')).to_have_text("Dieser Link ist ungültig")  # German
    expect(page.locator(ELEMENT)).to_have_count(0)
    expired = signer.issue(demo, {"name": "Maria"}, int(time.time()) - 60)
    page.goto(f"{sales_url}{expired.path()}")
    expect(page.locator('[data-reason="expired"] h1')).to_have_text("Dieser Link ist abgelaufen")
    expect(page.locator(ELEMENT)).to_have_count(0)
    page.goto(f"{sales_url}/demo/alpenblick")
    expect(page.locator('[data-reason="link_only"]')).to_have_count(1)
    assert len(sandbox.creates()) == before


def test_demos_refuses_without_the_password_and_shows_the_index_with_it(page, browser, pw, sales_url):
    response = page.goto(f"{sales_url}/demos")
    expect(page).to_have_url(f"{sales_url}/demos/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", "not the password")
    with page.expect_response(f"{sales_url}/demos/login") as info:
        page.click("button[type=submit]")
    assert info.value.status == 401 and response is not None
    expect(page.locator("#password-error")).to_contain_text("do not match")
    sign_in(page, sales_url)
    for slug in ("default", "northwind", "alpenblick"):
        expect(page.locator(f"#demo-{slug}")).to_have_count(1)
    shoot(page, "sales-index-desktop")
    mobile = phone(browser, pw.devices)
    try:
        sign_in(mobile, sales_url)
        shoot(mobile, "sales-index-phone")
    finally:
        mobile.context.close()
