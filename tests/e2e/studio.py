"""Signing in to the sales studio in Chromium, shared by the e2e tests that use it.

Apps started with `studio_settings()` get a ready admin (made at start from the settings, as
WEBCALL_SALES_ADMIN_EMAIL + WEBCALL_SALES_PASSWORD do in production) whose email and password are
ADMIN_EMAIL and PASSWORD.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from webcall import ROOT

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "e2e sales password"


def studio_database(tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    """The URL of a fresh SQLite database for one test module's studio."""
    return f"sqlite:///{tmp_path_factory.mktemp(name) / 'studio.sqlite3'}"


def studio_settings(database_url: str, **changes: Any) -> dict[str, Any]:
    """Settings changes that turn the studio on with the ready admin, the repo's demos and `database_url`."""
    return {
        "sales_password": PASSWORD,
        "sales_admin_email": ADMIN_EMAIL,
        "demos_file": str(ROOT / "demos.toml"),
        "database_url": database_url,
        **changes,
    }


def sign_in(page: Page, base: str, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> None:
    """Open /demos, land on the sign-in page, sign in, arrive at /demos."""
    page.goto(f"{base}/demos")
    expect(page).to_have_url(f"{base}/demos/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/demos")


def editor_ready(page: Page) -> None:
    """Wait until the demo editor's script has run: it offers a draft (or not) before it loads the
    preview, so a check that no draft is offered means something only after this (a busy machine can
    run the script well after the page's HTML is there)."""
    page.wait_for_function("() => document.querySelector('iframe[name=preview]')?.dataset.loadedAt")


def type_a_call(prospect: Page, greeting: str, question: str, answer: str) -> str:
    """On an open demo page: start a call, wait for `greeting`, type `question` (typed, so the words
    are exact), wait for `answer`, hang up and wait for the end. Returns the call id."""
    element = "itellico-call"
    agent_line = f'{element} [data-role="agent"][data-final="true"] .line-text'
    prospect.wait_for_function("() => customElements.get('itellico-call') !== undefined")
    with prospect.expect_response(
        lambda r: r.url.endswith("/api/calls") and r.request.method == "POST"
    ) as info:
        prospect.click(f"{element} [part=call-button]")
    call_id = info.value.json()["call_id"]
    expect(prospect.locator(agent_line).first).to_contain_text(greeting, timeout=25_000)
    prospect.fill(f"{element} [part=message-input]", question)
    prospect.press(f"{element} [part=message-input]", "Enter")
    expect(prospect.locator(agent_line, has_text=answer)).to_have_count(1, timeout=25_000)
    prospect.click(f"{element} [part=call-button]")
    expect(prospect.locator(f'{element}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    return call_id
