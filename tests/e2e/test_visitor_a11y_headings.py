"""The `/` page's headings as a screen reader lists them, in Chromium (visitor audit).

The page's h1 was the default demo's title, "Talk to our AI agent", and the call card's h2 (drawn by
<itellico-call> in its shadow root) said the same words, so heading navigation read them twice. The page
now names the card (templates/index.html: the agent's name, else "Your conversation" in the page's
language); the h1 stays the demo's title."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .screens import ELEMENT, part

# Every heading in document order, through the call element's shadow root (what a screen reader lists).
HEADINGS = """() => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const shown = el.getClientRects().length > 0;
      if (/^H[1-6]$/.test(el.tagName) && shown) found.push([el.tagName, el.textContent.trim()]);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
}"""


def test_the_page_and_its_call_card_are_not_the_same_heading_twice(page: Page, app_url):
    page.goto(app_url)
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()
    expect(page.locator(part("title"))).to_have_text("Your conversation")
    headings = page.evaluate(HEADINGS)
    assert headings[:2] == [["H1", "Talk to our AI agent"], ["H2", "Your conversation"]], headings
    names = [name for _, name in headings]
    assert len(names) == len(set(names)), headings
