"""The demo editor in Chromium against the sandbox: a signed-in rep creates a demo from itellico's
agent list, uploads a logo, watches the live preview follow the form, saves; the public demo page
shows the logo and title, and a call to it reaches the sandbox agent. Screenshots of the editor,
desktop and phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from webcall import ROOT
from webcall.accounts import Accounts
from webcall.db import open_database

from ..unit.logo_files import SVG, png
from .conftest import Sandbox
from .screens import axe_violations, no_horizontal_scroll, shoot
from .studio import PASSWORD, editor_ready, sign_in, studio_database, studio_settings

ELEMENT = "itellico-call"
AGENT_LINE = f'{ELEMENT} [data-role="agent"][data-final="true"] .line-text'
AVA = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
REP_EMAIL = "erin@example.com"
SVG_LOGO = re.compile(r"^/logos/[0-9a-f]{64}\.svg$")


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    url = studio_database(tmp_path_factory, "editor")
    # A ready rep (not an admin), in the database the app then opens.
    Accounts(open_database(url, ROOT)).add(REP_EMAIL, PASSWORD, role="rep")
    return serve_app(**studio_settings(url))


def preview_title(page: Page) -> Any:
    return page.frame_locator("iframe[name=preview]").locator("h1.demo__title")


def test_a_rep_builds_a_demo_with_a_logo_and_a_prospect_calls_it(
    page: Page, studio_url: str, sandbox: Sandbox
):
    sign_in(page, studio_url, REP_EMAIL, PASSWORD)
    page.locator(".studio-nav").get_by_role("link", name="New demo").click()
    expect(page).to_have_url(f"{studio_url}/demos/new")
    expect(page.locator("#f-agent_id option", has_text="Ava")).to_have_count(1)
    expect(page.locator("textarea[name=overrides]")).to_have_count(0)  # a rep's form has none

    page.fill("#f-slug", "acme-dental")
    # Typed key by key, focus kept in the field (no `change` event): the preview follows as the rep types.
    page.locator("#f-title").press_sequentially("Acme Dental", delay=30)
    expect(preview_title(page)).to_have_text("Acme Dental")
    page.select_option("#f-agent_id", label="Ava")
    page.fill("#f-description", "Book a cleaning in one call.")
    page.fill("#f-brand-company", "Acme Dental Care")
    page.fill("#f-brand-accent", "#ffdd00")  # too light for white text
    page.fill("#f-suggestions", "When are you open?\nDo you take new patients?")
    page.locator("#f-logo-file").set_input_files(
        {"name": "acme.svg", "mimeType": "image/svg+xml", "buffer": SVG}
    )
    frame = page.frame_locator("iframe[name=preview]")
    expect(frame.locator("img.demo__logo")).to_have_attribute("src", SVG_LOGO)
    expect(frame.locator(".preview-problems")).to_contain_text("contrast of")
    page.fill("#f-title", "Acme Dental: talk to Ava")
    expect(preview_title(page)).to_have_text("Acme Dental: talk to Ava")
    expect(frame.locator('[data-brand="company"]')).to_have_text("Acme Dental Care")
    expect(frame.locator(".demo__suggestions li")).to_have_count(2)
    shoot(page, "studio-demo-editor-desktop")

    # Saving with the unreadable accent: refused next to the field, the logo and text kept.
    page.get_by_role("button", name="Create the demo").click()
    expect(page.locator('[data-error-for="brand.accent"]')).to_contain_text("needs at least 4.5:1")
    expect(page.locator("#f-title")).to_have_value("Acme Dental: talk to Ava")
    expect(page.locator(".logo-current img")).to_have_attribute("src", SVG_LOGO)
    shoot(page, "studio-demo-editor-mistake-desktop")
    page.fill("#f-brand-accent", "#0f766e")
    page.get_by_role("button", name="Create the demo").click()
    expect(page).to_have_url(f"{studio_url}/demos/acme-dental/edit")
    expect(page.locator(".notice--done")).to_contain_text("Saved.")
    expect(preview_title(page)).to_have_text("Acme Dental: talk to Ava")  # the edit page previews at once
    assert [e for e in page.console_errors if "Failed to load resource" not in e] == []

    # The prospect's side: the public page with the logo and title, and a call to the chosen agent.
    prospect = page.context.new_page()
    prospect.goto(f"{studio_url}/demo/acme-dental")
    expect(prospect.locator("h1.demo__title")).to_have_text("Acme Dental: talk to Ava")
    logo = prospect.locator("img.demo__logo")
    # Decorative: the company's name is written beside it (a screen reader said it twice).
    expect(logo).to_have_attribute("alt", "")
    expect(prospect.locator('[data-brand="company"]')).to_have_text("Acme Dental Care")
    prospect.wait_for_function("() => document.querySelector('img.demo__logo').naturalWidth > 0")
    prospect.wait_for_function("() => customElements.get('itellico-call') !== undefined")
    before = len(sandbox.creates())
    prospect.click(f"{ELEMENT} [part=call-button]")
    expect(prospect.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=25_000)
    sent = sandbox.creates()[before:]
    assert len(sent) == 1 and sent[0]["agent_id"] == AVA
    prospect.click(f"{ELEMENT} [part=call-button]")
    expect(prospect.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    shoot(prospect, "studio-demo-editor-result-desktop")


def test_a_logo_over_the_limit_is_refused_at_the_field_and_the_preview_goes_on(page: Page, studio_url: str):
    """Once, a file over the form's 1 MiB limit broke the preview frame ("refused to connect") with no
    word at the field, was posted again on every key, and Save left the editor for a "Too large" page."""
    sign_in(page, studio_url, REP_EMAIL, PASSWORD)
    page.goto(f"{studio_url}/demos/new")
    page.fill("#f-title", "Big logo")
    expect(preview_title(page)).to_have_text("Big logo")
    logo = page.locator("#f-logo-file")
    logo.set_input_files({"name": "huge.png", "mimeType": "image/png", "buffer": png() + bytes(2_000_000)})
    error = page.locator('[data-error-for="brand.logo"]')
    expect(error).to_have_text("huge.png is 1953 KB: a logo may be at most 512 KB. Pick a smaller file.")
    expect(logo).to_have_attribute("aria-invalid", "true")
    assert "f-brand-logo-error" in (logo.get_attribute("aria-describedby") or "")
    assert logo.evaluate("(input) => input.files.length") == 0  # nothing that large is posted
    page.fill("#f-title", "Big logo, smaller now")
    expect(preview_title(page)).to_have_text("Big logo, smaller now")
    # A file that fits takes the message away.
    logo.set_input_files({"name": "small.png", "mimeType": "image/png", "buffer": png()})
    expect(error).to_have_count(0)
    expect(logo).not_to_have_attribute("aria-invalid", "true")


def test_the_preview_cannot_start_a_call(page: Page, studio_url: str, sandbox: Sandbox):
    sign_in(page, studio_url, REP_EMAIL, PASSWORD)
    page.goto(f"{studio_url}/demos/new")  # no consent text: a click would start the call at once
    page.fill("#f-title", "Nothing to call")
    frame = page.frame_locator("iframe[name=preview]")
    expect(frame.locator("h1.demo__title")).to_have_text("Nothing to call")
    preview = page.frame(name="preview")
    assert preview is not None
    # The blur's `change` redraws the preview once more (debounced, then posted into the frame): wait for
    # that page to have loaded, or it could replace the one instrumented below. The typed title shows, so
    # the page the typing posted is in: the next navigation of the frame is the blur's.
    with preview.expect_navigation(wait_until="load"):
        page.locator("#f-title").blur()
    before = len(sandbox.creates())
    # Every click and key press that reaches something of the demo page inside the frame is counted.
    preview.evaluate("""() => {
      window.__reached = [];
      window.__clicks = 0;
      for (const type of ['click', 'keydown']) document.addEventListener(type, (e) => {
        if (type === 'click') window.__clicks += 1;
        if (e.target instanceof Element && e.target.closest('.preview-page')) window.__reached.push(type);
      }, true);
    }""")
    button = frame.locator(f"{ELEMENT} [part=call-button]")
    expect(button).to_be_visible()
    # A real mouse click where the call button is drawn (no actionability checks): the page is inert,
    # so nothing of it is reached, and nothing is created upstream.
    box = button.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The click has been dispatched (to what lies under the inert page): had it reached the call button,
    # the element would have left idle within that same click (the start is synchronous up to the
    # microphone request), so the checks below are not bounded by a guess at how long is long enough.
    preview.wait_for_function("() => window.__clicks >= 1")
    assert preview.evaluate("window.__reached") == []
    assert len(sandbox.creates()) == before
    state = preview.evaluate("document.querySelector('itellico-call').dataset.state ?? 'idle'")
    assert state == "idle", state


def test_the_editor_on_a_phone(browser: Browser, pw, studio_url: str):
    context = browser.new_context(**pw.devices["Pixel 7"])
    try:
        phone = context.new_page()
        sign_in(phone, studio_url, REP_EMAIL, PASSWORD)
        phone.goto(f"{studio_url}/demos/new")
        phone.fill("#f-title", "On the phone")
        expect(preview_title(phone)).to_have_text("On the phone")
        phone.fill("#f-brand-company", "Phone Co")
        logo = {"name": "logo.png", "mimeType": "image/png", "buffer": png(40, 20)}
        phone.locator("#f-logo-file").set_input_files(logo)
        frame = phone.frame_locator("iframe[name=preview]")
        expect(frame.locator("img.demo__logo")).to_have_attribute(
            "src", re.compile(r"^/logos/[0-9a-f]{64}\.png$")
        )
        no_horizontal_scroll(phone)
        shoot(phone, "studio-demo-editor-phone")
    finally:
        context.close()


HIDDEN_BY_THE_BAR = """() => {
  const bar = document.querySelector('.editor__actions').getBoundingClientRect();
  const el = document.activeElement;
  if (!el || el === document.body || el.tagName === 'IFRAME' || el.closest('.editor__actions')) return null;
  const r = el.getBoundingClientRect();
  const covered = Math.min(r.bottom, bar.bottom) - Math.max(r.top, bar.top);
  return covered > 0 ? `${el.name || el.id || el.tagName} under the bar by ${covered}px` : null;
}"""


@pytest.mark.parametrize("size", [(320, 640), (375, 800), (1280, 800)])
def test_a_field_tabbed_to_is_never_under_the_save_bar(browser: Browser, studio_url: str, size):
    # The Save/Preview bar sticks to the bottom of the screen; a field the keyboard moved to was
    # drawn under it (13 of the form's stops at 320 px), where the rep cannot see what they type.
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        sign_in(page, studio_url, REP_EMAIL, PASSWORD)
        page.goto(f"{studio_url}/demos/new")
        page.locator("#f-slug").focus()
        hidden = []
        for _ in range(40):
            page.keyboard.press("Tab")
            if (where := page.evaluate(HIDDEN_BY_THE_BAR)) is not None:
                hidden.append(where)
        assert hidden == []
    finally:
        context.close()


def test_the_editor_with_mistakes_passes_axe(browser: Browser, studio_url: str):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})  # axe is injected
    try:
        page = context.new_page()
        sign_in(page, studio_url, REP_EMAIL, PASSWORD)
        page.goto(f"{studio_url}/demos/new")
        page.fill("#f-slug", "Bad Slug")
        page.fill("#f-brand-accent", "#ffff00")
        page.locator('table[data-rows="variables"] input[name="var_name"]').first.fill("name ")
        page.locator('table[data-rows="variables"] input[name="var_max"]').first.fill("40")
        page.get_by_role("button", name="Create the demo").click()
        expect(page.locator('[data-error-for="slug"]')).to_be_visible()
        expect(page.locator("#f-slug")).to_have_attribute("aria-describedby", "f-slug-hint f-slug-error")
        # The page shows what was typed (the table with one blank row more): nothing to offer back as
        # "not saved". The rows' button shows once the page's script ran, which settles the offer too.
        expect(page.get_by_role("button", name="Add a row").first).to_be_visible()
        expect(page.locator("[data-draft-offer]")).to_be_hidden()
        assert axe_violations(page, {"include": [["main"]], "exclude": [["iframe"]]}) == []
    finally:
        context.close()


def sign_in_here(page: Page) -> None:
    """Sign in on the sign-in page the browser was sent to (it leads back to the page)."""
    page.fill("#email", REP_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def rows_of(page: Page, table: str) -> list[str]:
    inputs = page.locator(f'table[data-rows="{table}"] input')
    return inputs.evaluate_all("(inputs) => inputs.map((input) => input.value)")


def test_what_a_rep_typed_survives_a_session_that_ended_and_a_form_that_expired(
    browser: Browser, serve_app, tmp_path_factory
):
    # Its own app and database: the drafts it leaves are this test's alone.
    url = studio_database(tmp_path_factory, "drafts")
    Accounts(open_database(url, ROOT)).add(REP_EMAIL, PASSWORD, role="rep")
    studio_url = serve_app(**studio_settings(url))
    context = browser.new_context(bypass_csp=True)  # for axe-core's script
    page, elsewhere = context.new_page(), context.new_page()  # two tabs, one browser session
    try:
        sign_in(page, studio_url, REP_EMAIL, PASSWORD)
        page.goto(f"{studio_url}/demos/new")
        page.fill("#f-slug", "kept-draft")
        page.fill("#f-title", "Typed before the session ended")
        page.fill("#f-description", "Two lines\nof description")
        page.select_option("#f-language", "de")
        names = page.locator('table[data-rows="variables"] input[name="var_name"]')
        for _ in range(4 - names.count()):  # one row more than the page starts with
            page.get_by_role("button", name="Add a row").first.click()
        for i, (name, most) in enumerate([("name", "40"), ("company", "60"), ("city", "30"), ("plan", "20")]):
            names.nth(i).fill(name)
            page.locator('table[data-rows="variables"] input[name="var_max"]').nth(i).fill(most)
        typed = rows_of(page, "variables")

        # The session ends in the other tab; saving here leads to the sign-in page, then back here.
        elsewhere.goto(f"{studio_url}/demos")
        elsewhere.get_by_role("button", name="Sign out").click()
        # The tab signed out in says so; the save sent to sign in from here says it was not done.
        expect(elsewhere.locator(".notice")).to_have_text("You are signed out.")
        page.locator("#f-description").press_sequentially("!")  # the preview follows, and says why not
        frame = page.frame_locator("iframe[name=preview]")
        expect(frame.locator(".preview-problems")).to_contain_text("The preview stopped: you were signed out")
        page.get_by_role("button", name="Create the demo").click()
        expect(page).to_have_url(re.compile(r"/demos/login\?next=/demos/new&undone=1$"))
        expect(page.locator(".notice")).to_have_text(
            "You were signed out, so that was not done: sign in and do it again."
        )
        sign_in_here(page)
        expect(page).to_have_url(f"{studio_url}/demos/new")
        offer = page.locator("[data-draft-offer]")
        expect(offer).to_be_visible()  # the editor's script ran: it did not fill the form by itself
        expect(page.locator("#f-title")).to_have_value("")
        shoot(page, "studio-demo-editor-draft-offer")
        offer.get_by_role("button", name="Restore them").click()
        expect(offer).to_be_hidden()
        expect(page.locator("#f-slug")).to_have_value("kept-draft")
        expect(page.locator("#f-title")).to_have_value("Typed before the session ended")
        expect(page.locator("#f-description")).to_have_value("Two lines\nof description!")
        expect(page.locator("#f-language")).to_have_value("de")
        assert rows_of(page, "variables") == typed
        expect(preview_title(page)).to_have_text("Typed before the session ended")
        assert axe_violations(page, where=None) == []
        page.get_by_role("button", name="Create the demo").click()
        expect(page).to_have_url(f"{studio_url}/demos/kept-draft/edit")
        expect(page.locator(".notice--done")).to_contain_text("Saved.")
        editor_ready(page)
        expect(page.locator("[data-draft-offer]")).to_be_hidden()
        assert rows_of(page, "variables")[:8] == typed

        # Signed in again in the other tab: this tab's form has expired; its page leads back.
        page.fill("#f-title", "Typed before the form expired")
        elsewhere.goto(f"{studio_url}/demos")
        elsewhere.get_by_role("button", name="Sign out").click()
        sign_in(elsewhere, studio_url, REP_EMAIL, PASSWORD)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("h1")).to_have_text("The form expired")
        page.get_by_role("link", name="Open the page again").click()
        expect(page).to_have_url(f"{studio_url}/demos/kept-draft/edit")
        expect(page.locator("[data-draft-offer]")).to_be_visible()
        expect(page.locator("#f-title")).to_have_value("Typed before the session ended")
        page.locator("[data-draft-offer]").get_by_role("button", name="Restore them").click()
        expect(page.locator("#f-title")).to_have_value("Typed before the form expired")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".notice--done")).to_contain_text("Saved.")
        expect(page.locator("#f-title")).to_have_value("Typed before the form expired")

        # Saved: neither page offers anything any more.
        for path in ("/demos/new", "/demos/kept-draft/edit"):
            page.goto(f"{studio_url}{path}")
            editor_ready(page)
            expect(page.locator("[data-draft-offer]")).to_be_hidden()
    finally:
        context.close()


def test_a_save_whose_page_never_ran_its_script_is_not_offered_back(page: Page, studio_url: str):
    # The page a save lands on may never run its script: the rep leaves it at once on a slow phone, or
    # the script fails to load. The changes were saved all the same; the editor must not offer them back
    # as unsaved on the next visit (a draft of an edited demo also names the version it was made on, so
    # it differs from the page after the save, and restoring it would undo nothing but that).
    sign_in(page, studio_url, REP_EMAIL, PASSWORD)
    script = re.compile(r"/static/js/pages/demo-editor\.js")

    def save_without_the_next_page_script(button: str, lands_on: str) -> None:
        page.route(script, lambda route: route.abort())
        page.get_by_role("button", name=button).click()
        expect(page).to_have_url(f"{studio_url}{lands_on}")
        expect(page.locator(".notice--done")).to_contain_text("Saved.")
        page.unroute(script)

    page.goto(f"{studio_url}/demos/new")
    page.fill("#f-slug", "left-at-once")
    page.fill("#f-title", "Saved, then left at once")
    save_without_the_next_page_script("Create the demo", "/demos/left-at-once/edit")
    page.goto(f"{studio_url}/demos/left-at-once/edit")
    page.fill("#f-title", "Saved again, then left at once")
    save_without_the_next_page_script("Save", "/demos/left-at-once/edit")

    for path in ("/demos/new", "/demos/left-at-once/edit"):
        page.goto(f"{studio_url}{path}")
        editor_ready(page)
        expect(page.locator("[data-draft-offer]")).to_be_hidden()
    expect(page.locator("#f-title")).to_have_value("Saved again, then left at once")
