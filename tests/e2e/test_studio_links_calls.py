"""The studio's links and calls in Chromium against the sandbox (real livekit-server, the stand-in
and Lena, the sandbox agent): a rep makes a link, the prospect opens it and talks, the rep reads the
call's transcript on its detail page, revokes the link, and the prospect's next visit is refused with
nothing created upstream. Screenshots of the calls list and the call detail, desktop and phone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import Sandbox, wait_until
from .screens import no_horizontal_scroll, shoot
from .studio import sign_in, studio_database, studio_settings, type_a_call

ELEMENT = "itellico-call"
QUESTION = "Was kostet ein Termin?"
ANSWER = "Ein normaler Termin kostet neunundvierzig Euro"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "studio")))


def shown_as(cell: Locator) -> str:
    """A cell's text as a phone shows it: its label (CSS generated, which innerText leaves out) first."""
    return cell.evaluate(
        "td => getComputedStyle(td, '::before').content.replace(/^\"|\"$/g, '').replace(/^none$/, '')"
        " + td.innerText"
    )


def phone(browser: Browser, pw_devices: dict[str, Any]) -> Page:
    """A German phone in Vienna (the studio shows its times in the browser's own zone, in English)."""
    device = pw_devices["Pixel 7"]
    return browser.new_context(**device, timezone_id="Europe/Vienna", locale="de-AT").new_page()


def test_link_talk_transcript_revoke_refused(page, browser, pw, studio_url, sandbox: Sandbox):
    # The rep makes a link for a prospect.
    sign_in(page, studio_url)
    form = page.locator("#demo-alpenblick form.link-form")
    form.locator('input[name="label"]').fill("Maria, Alpenblick <b>VIP</b>")
    form.locator('input[name="var_name"]').fill("Maria")
    form.locator("button[type=submit]").click()
    row = page.locator("#demo-alpenblick tr.is-new")
    expect(row.locator('[data-col="status"]')).to_contain_text("active until")
    # Said, not only highlighted: the row's status names the new link.
    expect(row.get_by_role("status")).to_have_text(
        "The link \N{LEFT DOUBLE QUOTATION MARK}Maria, Alpenblick <b>VIP</b>\N{RIGHT DOUBLE QUOTATION MARK}"
        " is made: copy it below and send it."
    )
    link = row.locator("input.copy-source").input_value()
    link_id = row.get_attribute("data-link-id")
    # Copy: the link is on the clipboard, and a screen reader hears so (the button's own text change
    # is not announced while it has focus). Without the clipboard the link is selected to copy by hand.
    copied = page.locator("[data-copy-status]")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=studio_url)
    row.get_by_role("button", name="Copy link").click()
    expect(copied).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.context.clear_permissions()
    page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    row.get_by_role("button", name="Copy link").click()
    expect(copied).to_have_text(re.compile(r"^The link is selected: press (Ctrl|⌘)-C to copy it\.$"))
    assert page.evaluate("getSelection().toString() || document.activeElement.value") == link

    # The prospect opens it and talks with Lena (typed, so the words are known exactly).
    before = len(sandbox.creates())
    # In a browser of their own: the rep's, signed in, would make the demo's call, not the link's
    # (webcall/link_opens.py `from_a_rep`).
    prospect = browser.new_context().new_page()
    prospect_errors: list[str] = []
    prospect.on("console", lambda m: prospect_errors.append(m.text) if m.type == "error" else None)
    prospect.on("pageerror", lambda e: prospect_errors.append(str(e)))
    prospect.goto(link)
    call_id = type_a_call(prospect, "Hallo Maria, hier ist Lena", QUESTION, ANSWER)
    wait_until(lambda: sandbox.call(call_id)["status"] == "completed", 20, "the call to complete")
    assert len(sandbox.creates()) == before + 1

    # The rep finds the call in the calls list (filtered by the link) and reads what was said.
    page.goto(f"{studio_url}/demos/calls?link={link_id}")
    listed = page.locator(f'tr[data-call-id="{call_id}"]')
    expect(listed.locator('[data-col="link"]')).to_have_text("Maria, Alpenblick <b>VIP</b>")  # as text
    shoot(page, "studio-calls-desktop")
    listed.locator("a").click()
    detail = f"{studio_url}/demos/calls/{call_id}?link={link_id}"  # the list's filter goes along
    expect(page).to_have_url(re.compile(rf"^{re.escape(detail)}(&|$)"))
    expect(page.locator('[data-fact="status"]')).to_have_text("Completed")
    expect(page.locator('[data-role="agent"]').first).to_contain_text("Hallo Maria, hier ist Lena")
    expect(page.locator('[data-role="user"]', has_text=QUESTION)).to_have_count(1)
    expect(page.locator('[data-role="agent"]', has_text=ANSWER)).to_have_count(1)
    expect(page.locator("text=the call log keeps no part of the conversation")).to_have_count(1)
    shoot(page, "studio-call-detail-desktop")
    mobile = phone(browser, pw.devices)
    try:
        sign_in(mobile, studio_url)
        mobile.goto(f"{studio_url}/demos/calls")
        expect(mobile.locator(f'tr[data-call-id="{call_id}"]')).to_have_count(1)
        # Its time in Vienna's zone, named; the UTC the server wrote stays as the title.
        when = mobile.locator(f'tr[data-call-id="{call_id}"] time')
        expect(when).to_have_text(re.compile(r"^\d{1,2} \w{3} \d{4}, \d\d:\d\d (CET|CEST)$"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", when.get_attribute("title") or "")
        shoot(mobile, "studio-calls-phone")
        # The date filter's days are Vienna's too: today there lists the call.
        today = datetime.now(ZoneInfo("Europe/Vienna")).date().isoformat()
        expect(mobile.locator("[data-days-zone]")).to_have_text("days in Europe/Vienna")
        mobile.fill('input[name="from"]', today)
        mobile.fill('input[name="to"]', today)
        mobile.get_by_role("button", name="Show").click()
        expect(mobile).to_have_url(re.compile(r"tz=Europe%2FVienna"))
        expect(mobile.locator(f'tr[data-call-id="{call_id}"]')).to_have_count(1)
        # A bookmark without the zone lists UTC days, and the page says so (it claimed Vienna's days).
        mobile.goto(f"{studio_url}/demos/calls?from={today}&to={today}")
        expect(mobile.locator("[data-days-zone]")).to_have_text("UTC days; Show uses days in Europe/Vienna")
        mobile.goto(f"{studio_url}/demos/calls/{call_id}")
        expect(mobile.locator('[data-role="user"]', has_text=QUESTION)).to_have_count(1)
        shoot(mobile, "studio-call-detail-phone")
        # /demos on the phone: its tables stack, each figure says what it is ("1" and "never" alone
        # said nothing), and the recent calls no longer run off the screen's edge.
        mobile.goto(f"{studio_url}/demos")
        no_horizontal_scroll(mobile)
        link_row = mobile.locator(f"#link-{link_id}")
        recent = mobile.locator(f'#demo-alpenblick .calls tr[data-call-id="{call_id}"]')
        assert shown_as(link_row.locator('[data-col="calls"]')) == "Calls: 1"
        assert shown_as(recent.locator('[data-col="status"]')) == "Status: Completed"
        shoot(mobile, "studio-demos-phone")
    finally:
        mobile.context.close()

    # The rep revokes the link (asked once, no script needed).
    page.goto(f"{studio_url}/demos")
    page.locator(f"#link-{link_id} a", has_text="Revoke").click()
    expect(page.locator("h2")).to_contain_text("Revoke")
    shoot(page, "studio-link-revoke-desktop")
    page.click("button.danger")
    expect(page.locator(f'#link-{link_id}[data-status="revoked"]')).to_have_count(1)

    # The prospect's next visit is refused, and nothing reaches itellico.
    prospect.reload()
    expect(prospect.locator('[data-reason="revoked"] h1')).to_have_text("Dieser Link wurde zurückgezogen")
    expect(prospect.locator(ELEMENT)).to_have_count(0)
    token = link.split("#link=", 1)[1]
    status, code = prospect.evaluate(
        """async (token) => {
            const r = await fetch('/api/calls', {
              method: 'POST',
              headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({demo: 'alpenblick', link: token}),
            });
            return [r.status, (await r.json()).error.code];
        }""",
        token,
    )
    assert (status, code) == (410, "link_revoked")
    assert len(sandbox.creates()) == before + 1
    # (the refused link check and create are 410s, which Chromium logs as failed loads)
    errors = [e for e in page.console_errors + prospect_errors if not e.startswith("Failed to load")]
    prospect.context.close()
    assert errors == []
