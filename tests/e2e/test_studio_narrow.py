"""The studio on a 320 px screen with what reps really type: a German compound word in a title
(Donaudampfschifffahrtsgesellschaft), a long link label (the form takes 200 characters). Nothing
may push the page sideways, and the buttons keep their words on one line."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .screens import no_horizontal_scroll, shoot
from .studio import sign_in, studio_database, studio_settings

TITLE = "Donaudampfschifffahrtsgesellschaft: Ihr KI-Empfang"
HEBREW = "\u05d3\u05d1\u05e8\u05d5 \u05d0\u05d9\u05ea\u05e0\u05d5"  # "talk to us"
LABEL = ("Meeting with the procurement team of Donaudampfschifffahrtsgesellschaft, Vienna " * 3)[:200]


@pytest.fixture(scope="module")
def studio_url(serve_app, tmp_path_factory) -> str:
    return serve_app(**studio_settings(studio_database(tmp_path_factory, "narrow")))


OUT_OF_ITS_CARD = """() => [...document.querySelectorAll('.demo-card')].flatMap((card) => {
  const edge = card.getBoundingClientRect().right;
  return [...card.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > edge + 0.5)
    .map((el) => `${el.tagName}: ${el.textContent.trim().slice(0, 40)}`);
})"""


def one_line(page: Page, selector: str) -> None:
    """Each matching button shows its words on one line (a squeezed one wrapped a letter a line)."""
    heights = page.locator(selector).evaluate_all(
        "(all) => all.map((b) => [b.textContent, b.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(b).lineHeight) || 20])"
    )
    assert heights, selector
    for text, height, line in heights:
        assert height < 2.5 * line, (text, height)


def test_long_words_and_labels_stay_on_a_320_px_screen(browser: Browser, studio_url: str):
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, studio_url)
        page.goto(f"{studio_url}/demos/new")
        page.fill("#f-slug", "donau")
        page.fill("#f-title", TITLE)
        page.fill("#f-description", HEBREW)
        page.get_by_role("button", name="Create the demo").click()
        expect(page.locator(".notice--done")).to_contain_text("Saved.")
        page.goto(f"{studio_url}/demos")
        form = page.locator("#demo-donau form.link-form")
        form.locator('input[name="label"]').fill(LABEL)
        form.locator("button[type=submit]").click()
        expect(page.locator("#demo-donau tr.is-new")).to_have_count(1)
        no_horizontal_scroll(page)
        one_line(page, "button[data-copy]")
        shoot(page, "studio-narrow-demos")
        page.goto(f"{studio_url}/demo/donau")
        expect(page.locator("h1")).to_have_text(TITLE)
        no_horizontal_scroll(page)
        # A description in a right-to-left script reads right to left; the title beside it does not.
        direction = "(el) => getComputedStyle(el).direction"
        assert page.locator(".demo__lead").evaluate(direction) == "rtl"
        assert page.locator("h1").evaluate(direction) == "ltr"
        shoot(page, "studio-narrow-demo-page")
        page.goto(f"{studio_url}/demos/calls")
        expect(page.locator('select[name="link"] option', has_text=LABEL[:40])).to_have_count(1)
        no_horizontal_scroll(page)
        shoot(page, "studio-narrow-calls")
        # The reps page's hint names the sign-in address, one long word: it ran out of its card.
        page.goto(f"{studio_url}/demos/reps")
        expect(page.get_by_role("heading", name="Add a rep")).to_be_visible()
        no_horizontal_scroll(page)
        assert page.evaluate(OUT_OF_ITS_CARD) == []
        page.goto(f"{studio_url}/demos")
        assert page.evaluate(OUT_OF_ITS_CARD) == []
    finally:
        context.close()
