"""The sales studio end to end, as one rep's day, in Chromium against the sandbox: an admin adds a
rep; the rep signs in, builds a demo in the browser from the agent list (with a logo and a variable
for the prospect's name), makes a link to it; the prospect opens the link and talks with the agent;
the rep finds the call and reads its transcript; revokes the link; the prospect's next visit is
refused and nothing more reaches the stand-in. The other studio tests each check one of these
steps in depth; this one checks that what one step makes, the next one can use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from ..unit.logo_files import png
from .conftest import Sandbox, wait_until
from .studio import sign_in, studio_database, studio_settings, type_a_call

ELEMENT = "itellico-call"
REP_EMAIL = "nora@example.com"
REP_PASSWORD = "nora's long password"
QUESTION = "What are your opening hours?"
ANSWER = "We are open Monday to Friday from nine to six"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "journey")))


@pytest.fixture
def rep_page(browser: Browser) -> Iterator[Page]:
    """The rep's own browser (no cookie shared with the admin's)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    yield context.new_page()
    context.close()


@pytest.fixture
def prospect(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(permissions=["microphone"])
    yield context.new_page()
    context.close()


def test_a_rep_builds_a_demo_shares_it_reads_the_call_and_revokes_the_link(
    page: Page, rep_page: Page, prospect: Page, studio_url: str, sandbox: Sandbox
):
    # The admin adds a rep.
    sign_in(page, studio_url)
    page.goto(f"{studio_url}/demos/reps")
    page.fill("#add-email", REP_EMAIL)
    page.fill("#add-password", REP_PASSWORD)
    page.select_option("#add-role", "rep")
    page.locator(".reps__add").get_by_role("button", name="Add").click()
    expect(page.locator(".notice--done")).to_contain_text(f"Added {REP_EMAIL} (rep).")

    # The rep signs in and builds a demo: agent from the list, a logo, a variable for the name.
    rep = rep_page
    sign_in(rep, studio_url, REP_EMAIL, REP_PASSWORD)
    rep.goto(f"{studio_url}/demos/new")
    rep.fill("#f-slug", "harbour-clinic")
    rep.fill("#f-title", "Harbour Clinic: ask Ava")
    rep.select_option("#f-agent_id", label="Ava")
    rep.fill("#f-brand-company", "Harbour Clinic")
    rep.fill("#f-brand-accent", "#0f766e")
    rep.locator('[data-rows="variables"] input[name="var_name"]').first.fill("name")
    rep.locator('[data-rows="variables"] input[name="var_max"]').first.fill("40")
    rep.locator("#f-logo-file").set_input_files(
        {"name": "h.png", "mimeType": "image/png", "buffer": png(48, 24)}
    )
    frame = rep.frame_locator("iframe[name=preview]")
    expect(frame.locator("h1.demo__title")).to_have_text("Harbour Clinic: ask Ava")
    rep.get_by_role("button", name="Create the demo").click()
    expect(rep.locator(".notice--done")).to_contain_text("Saved.")

    # … and makes a link to it for one prospect.
    rep.goto(f"{studio_url}/demos")
    form = rep.locator("#demo-harbour-clinic form.link-form")
    form.locator('input[name="label"]').fill("Jonas, Harbour")
    form.locator('input[name="var_name"]').fill("Jonas")
    form.locator("button[type=submit]").click()
    row = rep.locator("#demo-harbour-clinic tr.is-new")
    expect(row.locator('[data-col="status"]')).to_contain_text("active until")
    expect(row).to_contain_text(REP_EMAIL)  # the link's owner
    link = row.locator("input.copy-source").input_value()
    link_id = row.get_attribute("data-link-id")

    # The prospect opens the link, is greeted by name, asks (typed, so the words are exact), hangs up.
    before = len(sandbox.creates())
    prospect.goto(link)
    expect(prospect.locator("h1.demo__title")).to_have_text("Harbour Clinic: ask Ava")
    prospect.wait_for_function("() => document.querySelector('img.demo__logo')?.naturalWidth > 0")
    call_id = type_a_call(prospect, "Hello Jonas, this is Ava", QUESTION, ANSWER)
    wait_until(lambda: sandbox.call(call_id)["status"] == "completed", 20, "the call to complete")
    assert len(sandbox.creates()) == before + 1

    # The rep finds the call by rep and reads what was said.
    rep.goto(f"{studio_url}/demos/calls?rep={REP_EMAIL}")
    listed = rep.locator(f'tr[data-call-id="{call_id}"]')
    expect(listed.locator('[data-col="link"]')).to_have_text("Jonas, Harbour")
    listed.locator("a").click()
    expect(rep.locator('[data-role="user"]', has_text=QUESTION)).to_have_count(1)
    expect(rep.locator('[data-role="agent"]', has_text=ANSWER)).to_have_count(1)

    # The rep revokes the link; the prospect's next visit is refused and nothing goes upstream.
    rep.goto(f"{studio_url}/demos")
    rep.locator(f"#link-{link_id} a", has_text="Revoke").click()
    rep.click("button.danger")
    expect(rep.locator(f'#link-{link_id}[data-status="revoked"]')).to_have_count(1)
    prospect.reload()
    expect(prospect.locator('[data-reason="revoked"] h1')).to_have_text("This link was withdrawn")
    expect(prospect.locator(ELEMENT)).to_have_count(0)
    assert len(sandbox.creates()) == before + 1
