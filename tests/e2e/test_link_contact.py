"""A prospect on a share link's page sees whom to ask: an expired link's notice names the link's rep
with a mailto link, and after a call a line under the call says whom to write to with questions
(webcall/link_contact.py names the rep in the link check's answer; static/js/pages/demo.js shows it)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from webcall import ROOT
from webcall.accounts import Accounts
from webcall.calllog import CallLog
from webcall.db import engine_for
from webcall.demo_registry import DemoRegistry
from webcall.links import ShareLink, ShareLinks
from webcall.settings import Settings

ELEMENT = "itellico-call"
REP = "anna.berger@example.com"


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('link-contact') / 'calls.sqlite3'}"


@pytest.fixture(scope="module")
def demos_url(serve_app, database) -> str:
    url = serve_app(demos_file=str(ROOT / "demos.toml"), database_url=database)  # migrates the database
    Accounts(engine_for(database, ROOT)).add(REP, "a long rep password", name="Anna Berger")
    return url


@pytest.fixture(scope="module")
def issue(base_settings: Settings, database, demos_url):
    """A link the rep Anna Berger owns, stored as the studio stores it, `exp_in` seconds from now."""
    signer = ShareLinks(base_settings.secret_key)
    demos = DemoRegistry.load(ROOT / "demos.toml", base_settings)
    calllog = CallLog(engine_for(database, ROOT))

    def make(slug: str, exp_in: int) -> ShareLink:
        link = signer.issue(demos.get(slug), {"name": "Maria"}, int(time.time()) + exp_in)
        calllog.add_link(link, "Maria", created_by="web", owner=REP)
        return link

    return make


def test_an_expired_link_asks_its_rep_by_name(page: Page, demos_url, issue):
    page.goto(f"{demos_url}{issue('alpenblick', exp_in=-60).path()}")
    notice = page.locator('[data-reason="expired"]')
    expect(notice.locator("h1")).to_have_text("Dieser Link ist abgelaufen")  # German, still the main message
    expect(notice.locator(".page__lead")).to_have_text(
        "Demo-Links gelten nur für begrenzte Zeit. Bitten Sie Anna Berger um einen neuen Link."
    )
    mail = notice.get_by_role("link", name="Anna Berger")
    href = mail.get_attribute("href") or ""
    parts = urlsplit(href)
    assert (parts.scheme, parts.path) == ("mailto", REP), href
    # A link-only demo's ended link names no demo, the subject neither (webcall/link_contact.py).
    assert parse_qs(parts.query)["subject"] == ["Neuer Demo-Link"]
    assert "Alpenblick" not in page.content()


def test_after_a_call_the_page_says_whom_to_write_to(page: Page, demos_url, issue):
    page.goto(f"{demos_url}{issue('alpenblick', exp_in=3600).path()}")
    expect(page.locator(".demo__title")).to_have_text("Alpenblick Hotels: Ihre KI-Rezeption")
    thanks = page.locator('[data-slot="thanks"]')
    expect(thanks).to_be_empty()
    with page.expect_response(lambda r: r.url.endswith("/api/calls") and r.request.method == "POST") as info:
        page.click(f"{ELEMENT} [part=call-button]")
    assert info.value.status == 201
    expect(page.locator(f'{ELEMENT}[data-state="in-call"]')).to_have_count(1, timeout=20_000)
    # A name with `$'` is text (String.replace read it as "the rest of the sentence").
    page.evaluate(f"""document.querySelector('{ELEMENT}').setAttribute('agent-name', "Le$'na")""")
    page.click(f"{ELEMENT} [part=call-button]")  # hang up
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    expect(thanks).to_have_text("Danke für das Gespräch mit Le$'na. Fragen? Schreiben Sie Anna Berger.")
    href = thanks.get_by_role("link", name="Anna Berger").get_attribute("href") or ""
    assert urlsplit(href).path == REP and parse_qs(urlsplit(href).query)["subject"] == [
        "Fragen zur Demo „Alpenblick Hotels“"
    ]
    # A call cancelled before its agent answered was no conversation: no thanks, whom to ask stays.
    page.click(f"{ELEMENT} [part=call-button]")  # call again
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(0)
    page.click(f"{ELEMENT} [part=call-button]")  # cancel
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    expect(thanks).to_have_text("Fragen? Schreiben Sie Anna Berger.")
