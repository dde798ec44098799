"""Contrast of what static/css/itellico-call.css draws, as a visitor sees it on `/` in Chromium (a11y audit).

- The focus ring in the dark look: a 2 px ring of the accent on the dark card, 2.74:1 with the default
  accent #2952cc (under WCAG 1.4.11's 3:1). The dark mapping's accent-as-text colour passes.
- The visitor's own words while they are still being transcribed (an interim line): the whole bubble was
  faded, white on a faded accent, 3.6:1 (under WCAG 1.4.3's 4.5:1). Italics and the " …" say "interim".

Colours are computed by Chromium and composited here, over the card, as the screen shows them.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from webcall.contrast import contrast_ratio

from .call_page import QUESTION, USER_FINAL, type_message
from .screens import ELEMENT, SHADOW, element_state, open_page, part

RGB = tuple[float, float, float]


def rgb_of(css: str) -> RGB:
    """A computed `rgb(r, g, b)`, `rgba(…)` or `color(srgb r g b)` (color-mix's), as 0 to 255 channels."""
    srgb = re.match(r"color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)", css)
    if srgb:
        r, g, b = (float(c) * 255 for c in srgb.groups())
        return r, g, b
    r, g, b = (float(c) for c in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def hex_of(colour: RGB) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, c))):02x}" for c in colour)


def over(top: RGB, below: RGB, alpha: float) -> RGB:
    r, g, b = (t * alpha + u * (1 - alpha) for t, u in zip(top, below, strict=True))
    return r, g, b


def card_colour(page: Page) -> RGB:
    return rgb_of(page.locator(f"{ELEMENT} .card").evaluate("(e) => getComputedStyle(e).backgroundColor"))


def test_the_focus_ring_is_3_to_1_on_the_dark_card(page: Page, app_url):
    page.emulate_media(color_scheme="dark")  # `/` has no brand: the default accent, the OS's theme
    open_page(page, f"{app_url}/?mode=text")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(f"{SHADOW}.activeElement?.getAttribute('part')") == "call-button":
            break
    button = page.locator(part("call-button"))
    expect(button).to_be_focused()
    shadow = button.evaluate("(e) => getComputedStyle(e).boxShadow")
    # `0 0 0 3px <card>, 0 0 0 5px <ring>`: a gap in the card's colour, then the 2 px ring.
    colours = re.findall(r"rgba?\([^)]*\)|color\([^)]*\)", shadow)
    assert len(colours) == 2, shadow
    card = card_colour(page)
    assert hex_of(card) == "#12161d"  # the dark card
    ring = contrast_ratio(hex_of(rgb_of(colours[-1])), hex_of(card))
    assert ring >= 3, f"the focus ring {colours[-1]} is {ring:.2f}:1 on the card"


def test_the_visitors_words_in_transcription_keep_4_5_to_1_in_both_looks(page: Page, app_url):
    open_page(page, f"{app_url}/?mode=text")
    page.click(part("call-button"))
    element_state(page, "in-call")
    type_message(page, QUESTION)
    # The visitor's line as the element drew it, made interim again (what TranscriptView draws while the
    # words are still being recognised: data-final="false"); a typed line is never interim by itself.
    interim = page.locator(USER_FINAL).first.evaluate(
        """(line) => {
             const copy = line.cloneNode(true);
             copy.dataset.final = 'false';
             copy.dataset.id = 'interim-copy';
             copy.setAttribute('aria-hidden', 'true');
             line.parentElement.append(copy);
             return copy.dataset.id;
           }"""
    )
    text = page.locator(f'{ELEMENT} [data-id="{interim}"] .line-text')
    for scheme, card_hex in (("light", "#ffffff"), ("dark", "#12161d")):
        page.emulate_media(color_scheme=scheme)
        style = text.evaluate(
            """(e) => { const s = getComputedStyle(e);
                 let opacity = 1;
                 for (let n = e; n && n.nodeType === 1; n = n.parentNode) {
                   opacity *= +getComputedStyle(n).opacity;
                 }
                 return { color: s.color, background: s.backgroundColor, opacity, fontStyle: s.fontStyle,
                          after: getComputedStyle(e, '::after').content }; }"""
        )
        card = card_colour(page)
        assert hex_of(card) == card_hex, scheme
        bubble = over(rgb_of(style["background"]), card, style["opacity"])
        words = over(rgb_of(style["color"]), card, style["opacity"])
        ratio = contrast_ratio(hex_of(words), hex_of(bubble))
        assert ratio >= 4.5, f"{scheme}: {style} is {ratio:.2f}:1"
        assert style["fontStyle"] == "italic" and style["after"] == '" …"', style  # still marked interim
    page.evaluate(f"document.querySelector('{ELEMENT}').end()")
    element_state(page, "ended")
