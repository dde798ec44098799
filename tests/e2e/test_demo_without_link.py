"""A public demo opened with an expired, withdrawn or cut-short share link is no dead end: the notice
offers "Try the demo without the link" (German on a German demo), which drops the link from the URL and
shows the demo as any visitor sees it (static/js/pages/demo.js). A link-only demo's notice offers nothing
of the kind."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from webcall import ROOT
from webcall.calllog import CallLog
from webcall.db import engine_for
from webcall.demo_registry import DemoRegistry
from webcall.link_store import LinkStore
from webcall.links import ShareLink, ShareLinks
from webcall.settings import Settings

from .screens import ELEMENT, element_state, part

# demos.toml's demos (northwind: English, public; alpenblick: German, link-only) and a German public one.
SEEBLICK = """
[demos.seeblick]
title = "Seeblick Apotheke: Ihre KI-Beratung"
agent_id = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
display_name = "Lena"
language = "de"
access = "public"

[demos.seeblick.variables]
name = 60
"""


@pytest.fixture(scope="module")
def demos_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("without-link") / "demos.toml"
    path.write_text((ROOT / "demos.toml").read_text() + SEEBLICK)
    return str(path)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('without-link-db') / 'calls.sqlite3'}"


@pytest.fixture(scope="module")
def demos_url(serve_app, demos_file, database) -> str:
    return serve_app(demos_file=demos_file, database_url=database)  # migrates the database


@pytest.fixture(scope="module")
def issue(base_settings: Settings, demos_file, database, demos_url):
    """A link for Maria, stored as the studio stores it, `exp_in` seconds from now; `revoked`: withdrawn."""
    signer = ShareLinks(base_settings.secret_key)
    demos = DemoRegistry.load(Path(demos_file), base_settings)
    engine = engine_for(database, ROOT)

    def make(slug: str, exp_in: int, revoked: bool = False) -> ShareLink:
        link = signer.issue(demos.get(slug), {"name": "Maria"}, int(time.time()) + exp_in)
        CallLog(engine).add_link(link, "Maria", created_by="web")
        if revoked:
            LinkStore(engine).revoke(link.link_id, by="rep@example.com")
        return link

    return make


def create_body(page: Page) -> dict:
    """Click the call button and return the body of the create it sends (answered 201)."""
    with page.expect_response(lambda r: r.url.endswith("/api/calls") and r.request.method == "POST") as info:
        page.click(part("call-button"))
    assert info.value.status == 201, info.value.text()
    return json.loads(info.value.request.post_data or "{}")


def test_an_expired_link_of_a_public_demo_offers_the_demo_without_it(page: Page, demos_url, issue, sandbox):
    page.goto(f"{demos_url}{issue('seeblick', exp_in=-60).path()}")
    notice = page.locator('[data-reason="expired"]')
    expect(notice.locator("h1")).to_have_text("Dieser Link ist abgelaufen")
    expect(page.locator(ELEMENT)).to_have_count(0)
    offer = notice.get_by_role("button", name="Die Demo ohne den Link ausprobieren")
    offer.click()

    assert "#" not in page.url and page.url.endswith("/demo/seeblick"), page.url
    expect(page.locator('[data-reason="expired"]')).to_have_count(0)
    expect(page.locator(".demo__title")).to_have_text("Seeblick Apotheke: Ihre KI-Beratung")
    expect(page.locator(".demo__title")).to_be_focused()
    expect(page).to_have_title("Seeblick Apotheke: Ihre KI-Beratung · itellico")
    assert page.locator(ELEMENT).get_attribute("link") is None
    expect(page.locator(part("call-button"))).to_be_visible()
    body = create_body(page)  # the call starts as any visitor's: no link, no prospect's name
    assert "link" not in body, body
    assert "name" not in (sandbox.creates()[-1].get("test_variables") or {})
    element_state(page, "in-call")
    page.click(part("call-button"))  # hang up
    element_state(page, "ended")


def test_a_withdrawn_link_of_a_public_demo_offers_it_in_english(page: Page, demos_url, issue):
    page.goto(f"{demos_url}{issue('northwind', exp_in=3600, revoked=True).path()}")
    notice = page.locator('[data-reason="revoked"]')
    expect(notice.locator("h1")).to_have_text("This link was withdrawn")
    notice.get_by_role("button", name="Try the demo without the link").click()
    assert page.url.endswith("/demo/northwind"), page.url
    expect(page.locator(".demo__title")).to_have_text("Northwind Dental: your AI receptionist")
    expect(page.locator(part("call-button"))).to_be_enabled()


def test_a_link_only_demo_offers_no_way_around_its_link(page: Page, demos_url, issue):
    ended = {"expired": issue("alpenblick", exp_in=-60), "revoked": issue("alpenblick", 3600, revoked=True)}
    for reason, link in ended.items():
        page.goto(f"{demos_url}{link.path()}")
        notice = page.locator(f'[data-reason="{reason}"]')
        expect(notice.locator("h1")).to_be_visible()
        expect(page.get_by_role("button")).to_have_count(0)
        expect(page.locator("template[data-without-link]")).to_have_count(0)
        assert link.token in page.url


def test_a_cut_short_link_of_a_public_demo_offers_it_too(page: Page, demos_url, issue):
    # A link cut short in a mail client is "not valid": on a public demo the prospect can still call.
    link = issue("northwind", exp_in=3600)
    page.goto(f"{demos_url}/demo/northwind#link={link.token[:-6]}")
    notice = page.locator('[data-reason="tampered"]')
    expect(notice.locator("h1")).to_be_visible()
    notice.get_by_role("button", name="Try the demo without the link").click()
    assert page.url.endswith("/demo/northwind"), page.url
    expect(page.locator(part("call-button"))).to_be_enabled()
