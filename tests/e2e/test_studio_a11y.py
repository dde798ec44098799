"""Every page of the sales studio passes axe-core, in Chromium, with something on it: a rep's whole
working day is these pages (signing in, the demos with their links, the calls and a transcript, the
admin's pages), so each is checked with content, every impact counted (the studio is plain HTML:
nothing to excuse). The call element's own checks are in test_call_screens.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Sandbox, wait_until
from .screens import axe_violations
from .studio import ADMIN_EMAIL, sign_in, studio_database, studio_settings, type_a_call


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "a11y")))


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})  # axe is injected
    yield context.new_page()
    context.close()


def test_every_studio_page_with_content_passes_axe(axe_page: Page, studio_url: str, sandbox: Sandbox):
    page = axe_page
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[name] = axe_violations(page, where=None, impacts=None)

    page.goto(f"{studio_url}/demos/login")
    check("sign-in")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert], .notice").first).to_be_visible()
    check("sign-in, refused")

    sign_in(page, studio_url)
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="label"]').fill("Acme")
    form.locator("button[type=submit]").click()
    row = page.locator("#demo-alpenblick tr.is-new")
    expect(row.locator('[data-col="status"]')).to_contain_text("active until")
    link, link_id = row.locator("input.copy-source").input_value(), row.get_attribute("data-link-id")
    check("demos, with a link")

    prospect = page.context.new_page()
    prospect.goto(link)
    expect(prospect.locator("itellico-call")).to_be_visible()  # the link checked, the page filled in
    found["demo page, from a link"] = axe_violations(prospect, where=None, impacts=None)
    call_id = type_a_call(prospect, "hier ist Lena", "Was kostet ein Termin?", "Ein normaler Termin kostet")
    prospect.close()
    wait_until(lambda: sandbox.call(call_id)["status"] == "completed", 20, "the call to complete")

    page.goto(f"{studio_url}/demos/calls")
    expect(page.locator(f'tr[data-call-id="{call_id}"]')).to_have_count(1)
    check("calls")
    page.goto(f"{studio_url}/demos/calls/{call_id}")
    expect(page.locator('[data-role="user"]')).not_to_have_count(0)
    check("call detail, with its transcript")

    for path in (
        "/demos/new",
        "/demos/alpenblick/edit",
        "/demos/alpenblick/delete",
        f"/demos/links/{link_id}/revoke",
        "/demos/reps",
        "/demos/account",
        "/demos/notifications",
        "/demos/deliveries",
    ):
        page.goto(f"{studio_url}{path}")
        check(path)

    # The studio follows the system's dark scheme: the same pages there (a red "Revoke…" at 1.56:1 and
    # links at 4.27:1 on the cards were found so), and refused forms, whose errors are red too.
    page.emulate_media(color_scheme="dark")
    dark_pages = ["/demos", "/demos/calls", f"/demos/calls/{call_id}"]
    dark_pages += ["/demos/alpenblick/edit", "/demos/reps"]
    for path in dark_pages:
        page.goto(f"{studio_url}{path}")
        check(f"{path}, dark")
    page.goto(f"{studio_url}/demos/new")
    page.get_by_role("button", name="Create the demo").click()
    expect(page.locator('[data-error-for="slug"]')).to_be_visible()
    check("/demos/new with mistakes, dark")
    page.goto(f"{studio_url}/demos")
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="expires"]').fill("2020-01-01")
    form.locator("button[type=submit]").click()
    expect(page.locator("#demo-alpenblick .form-error")).to_be_visible()
    check("a refused link, dark")

    assert {page_name: problems for page_name, problems in found.items() if problems} == {}
