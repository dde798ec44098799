"""A prospect opens a withdrawn link in Chromium and sees its notice; the rep sees on /demos that it
was tried, in words and in the rep's own time zone (webcall/link_opens.py). Each load of the page counts
once: the page's own link check is what counts, not its assets or a reload of the studio."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from .screens import shoot
from .studio import sign_in, studio_database, studio_settings

LOCAL_TIME = r"\d{1,2} \w{3} \d{4}, \d\d:\d\d (CET|CEST)"


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "refused-opens")))


def test_a_rep_sees_that_a_prospect_tried_a_withdrawn_link(browser: Browser, studio_url: str):
    rep = browser.new_context(
        timezone_id="Europe/Vienna", locale="en-GB", viewport={"width": 1280, "height": 860}
    ).new_page()
    prospect = browser.new_context().new_page()
    try:
        sign_in(rep, studio_url)
        form = rep.locator("#demo-alpenblick form.link-form")
        form.locator('input[name="label"]').fill("Maria, Alpenblick")
        form.locator('input[name="var_name"]').fill("Maria")
        form.locator("button[type=submit]").click()
        row = rep.locator("#demo-alpenblick tr.is-new")
        link = row.locator("input.copy-source").input_value()
        link_id = row.get_attribute("data-link-id")
        row.locator("a", has_text="Revoke").click()
        rep.click("button.danger")
        row = rep.locator(f"#link-{link_id}")
        expect(row).to_have_attribute("data-status", "revoked")
        expect(row.locator('[data-col="status"]')).not_to_contain_text("opened")

        # The prospect opens the link, and opens it again a moment later: the notice each time.
        notice = prospect.locator('[data-reason="revoked"] h1')
        prospect.goto(link)
        expect(notice).to_have_text("Dieser Link wurde zurückgezogen")
        with prospect.expect_response(lambda r: r.url.endswith("/api/demos/alpenblick/link")):
            prospect.reload()
        expect(notice).to_have_text("Dieser Link wurde zurückgezogen")

        rep.reload()
        rep.reload()  # the studio's own loads count nothing
        status = row.locator('[data-col="status"]')
        expect(status).to_contain_text("opened 2 times since it ended")
        said = " ".join(status.inner_text().split())
        assert re.fullmatch(
            rf"revoked just now · opened 2 times since it ended, first {LOCAL_TIME}, last {LOCAL_TIME}", said
        ), said
        # Each time is the rep's own (Vienna), with the UTC the server wrote as its title.
        for time in status.locator("[data-refused-opens] time").all():
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", time.get_attribute("title") or "")
        expect(row).not_to_have_class(re.compile(r"\bis-expired\b"))  # not faded: the link to act on
        shoot(rep, "studio-refused-opens-desktop")
    finally:
        rep.context.close()
        prospect.context.close()
