"""Every page of the sales studio passes axe-core, in Chromium, with something on it: a rep's whole
working day is these pages (signing in, the demos with their links, the calls and a transcript, the
admin's pages), so each is checked with content, every impact counted (the studio is plain HTML:
nothing to excuse). /demos has a link of each status on it: active, expired, revoked and stopped (its
key removed), the ended ones faded. The call element's own checks are in test_call_screens.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from webcall import ROOT
from webcall.db import engine_for
from webcall.link_rows import links
from webcall.links import SALT, TOKEN_FORM

from .conftest import Sandbox, wait_until
from .screens import axe_violations
from .studio import ADMIN_EMAIL, editor_ready, sign_in, studio_database, studio_settings, type_a_call

# Neither the app's key nor a fallback: a key an operator removed from WEBCALL_SECRET_KEY_FALLBACKS.
REMOVED_KEY = "a-removed-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return studio_database(tmp_path_factory, "a11y")


@pytest.fixture(scope="module")
def studio_url(serve_app, database) -> str:
    return serve_app(**studio_settings(database))


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})  # axe is injected
    yield context.new_page()
    context.close()


def make_link(page: Page, label: str) -> str:
    """Make a share link to alpenblick on /demos, as a rep does; its id."""
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="label"]').fill(label)
    form.locator("button[type=submit]").click()
    row = page.locator("#demo-alpenblick tr.is-new")
    expect(row.locator("td").first).to_have_text(label)  # the page after the redirect
    expect(row.locator('[data-col="status"]')).to_contain_text("active until")
    return row.get_attribute("data-link-id")


def age(database: str, expired: str, stopped: str) -> None:
    """The rows as time and an operator leave them: one link expired a day ago, one signed under a key
    since removed (its token, in the current form, signed as webcall/links.py signs)."""
    token = URLSafeSerializer(REMOVED_KEY, salt=SALT).dumps([TOKEN_FORM, "alpenblick", stopped])
    engine = engine_for(database, ROOT)
    with engine.begin() as db:
        ended = datetime.now(UTC) - timedelta(days=1)
        db.execute(update(links).where(links.c.link_id == expired).values(expires_at=ended))
        db.execute(update(links).where(links.c.link_id == stopped).values(token=token))
    engine.dispose()


def test_every_studio_page_with_content_passes_axe(
    axe_page: Page, studio_url: str, database: str, sandbox: Sandbox
):
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
    # Ended links are faded, their actions not (a faded Revoke… was 2.97:1): one of each kind.
    expired, withdrawn, stopped = (make_link(page, label) for label in ("Ended", "Withdrawn", "Old key"))
    age(database, expired, stopped)
    page.goto(f"{studio_url}/demos/links/{withdrawn}/revoke")
    page.get_by_role("button", name="Revoke the link").click()
    expect(page.locator(f"#link-{withdrawn}")).to_have_attribute("data-status", "revoked")
    link_id = make_link(page, "Acme")
    row = page.locator(f"#link-{link_id}")
    link = row.locator("input.copy-source").input_value()
    for ended, status in ((expired, "expired"), (withdrawn, "revoked"), (stopped, "key_changed")):
        expect(page.locator(f"#link-{ended}.is-expired")).to_have_attribute("data-status", status)
    check("demos, with a link of each status")

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
        f"/demos/links/{stopped}/revoke",
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
    editor_ready(page)  # what its script adds (rows' buttons, the preview's status) is checked too
    check("/demos/new with mistakes, dark")
    page.goto(f"{studio_url}/demos")
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="expires"]').fill("2020-01-01")
    form.locator("button[type=submit]").click()
    expect(page.locator("#demo-alpenblick .form-error")).to_be_visible()
    check("a refused link, dark")

    assert {page_name: problems for page_name, problems in found.items() if problems} == {}
