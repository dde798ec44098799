"""A link-only demo's embed page, in Chromium: without a link it names nothing of the demo, its consent
text included (a company's name goes there); with a valid link the link check hands the page the
consent text, and the call waits for the consent step as on any other demo (static/js/embed-frame.js)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT
from webcall.calllog import CallLog
from webcall.db import engine_for
from webcall.demo_registry import DemoRegistry
from webcall.links import ShareLinks
from webcall.settings import Settings

from .widget_site import until

CONSENT = "Acme Corp records this call to improve its service."
SLUG = "demo-7f3k2"
ELEMENT = "itellico-call"


@pytest.fixture(scope="module")
def demos_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("link-only-embed") / "demos.toml"
    path.write_text(
        f'[demos.{SLUG}]\ntitle = "Acme Corp: your AI desk"\nagent_id = "{DEFAULT_AGENT_ID}"\n'
        f'display_name = "Ava"\naccess = "link-only"\nconsent_text = "{CONSENT}"\n'
    )
    return path


@pytest.fixture(scope="module")
def app(serve_app, demos_file, tmp_path_factory) -> tuple[str, str]:
    database = f"sqlite:///{tmp_path_factory.mktemp('link-only-db') / 'calls.sqlite3'}"
    return serve_app(demos_file=str(demos_file), database_url=database), database


def test_the_consent_text_comes_with_the_link(page: Page, app, base_settings: Settings, demos_file) -> None:
    url, database = app
    page.goto(f"{url}/embed/{SLUG}")
    element = page.locator(ELEMENT)
    expect(element).to_have_count(1)
    assert element.get_attribute("consent-text") is None  # no link: nothing of the demo's words

    demos = DemoRegistry.load(demos_file, base_settings)
    link = ShareLinks(base_settings.secret_key).issue(demos.get(SLUG), {}, int(time.time()) + 3600)
    CallLog(engine_for(database, ROOT)).add_link(link, "Maria", created_by="web", owner="cli")
    page.goto("about:blank")  # a fragment alone loads nothing
    page.goto(f"{url}/embed/{SLUG}#link={link.token}")
    expect(element).to_have_attribute("title-text", "Ava")  # the link checked out
    expect(element).to_have_attribute("consent-text", CONSENT)
    page.click(f"{ELEMENT} [part=call-button]")
    consent = page.locator(f'{ELEMENT} [part="consent"]')
    expect(consent).to_be_visible()
    expect(consent.locator(".consent-text")).to_have_text(CONSENT)
    consent.locator('[data-action="decline"]').click()
    expect(consent).to_be_hidden()


def test_no_call_starts_before_the_link_check_handed_over_the_consent_text(
    page: Page, app, base_settings: Settings, demos_file, sandbox
) -> None:
    """The element was live while the link was checked, without its consent text: a click on a slow
    link (or the parent's `start` on `ready`, tests/js/embed-bridge.test.mjs) made the call without the
    consent step (an audit). Now it is held until the check answers."""
    url, database = app
    demos = DemoRegistry.load(demos_file, base_settings)
    link = ShareLinks(base_settings.secret_key).issue(demos.get(SLUG), {}, int(time.time()) + 3600)
    CallLog(engine_for(database, ROOT)).add_link(link, "Maria", created_by="web", owner="cli")
    held: list[Route] = []
    page.route("**/api/demos/*/link", lambda route: held.append(route))
    before = len(sandbox.creates())
    page.goto(f"{url}/embed/{SLUG}#link={link.token}")
    button = page.locator(f"{ELEMENT} [part=call-button]")
    expect(button).to_be_visible()
    until(page, lambda: held, "the link check")
    box = button.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a visitor's quick click
    expect(page.locator(ELEMENT)).to_have_attribute("data-state", "idle")
    assert len(sandbox.creates()) == before
    held[0].continue_()
    expect(page.locator(ELEMENT)).to_have_attribute("consent-text", CONSENT)
    button.click()
    expect(page.locator(f'{ELEMENT} [part="consent"]')).to_be_visible()
    assert len(sandbox.creates()) == before  # nothing until the visitor accepts
