"""WCAG 2 contrast of a brand's accent colour against the text drawn on it.

The call element draws its primary button and the visitor's own transcript bubbles as white text
on the accent (`--itellico-on-accent`, default #ffffff in static/css/itellico-call.css; the demo
page sets only the accent). Below 4.5:1 (WCAG AA for normal text) that text is hard to read.
"""

from __future__ import annotations

ON_ACCENT = "#ffffff"
MINIMUM = 4.5


def _channels(colour: str) -> tuple[int, int, int]:
    digits = colour.removeprefix("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(colour: str) -> float:
    """Relative luminance of a #rgb / #rrggbb colour (WCAG 2.x)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def accent_problem(accent: str) -> str | None:
    """Why `accent` cannot carry the element's white text, or None when it can."""
    ratio = contrast_ratio(accent, ON_ACCENT)
    if ratio >= MINIMUM:
        return None
    shown = int(ratio * 10) / 10  # rounded down: 4.49 must not read as 4.5
    return (
        f"white text on {accent} has a contrast of {shown}:1; it needs at least {MINIMUM}:1 (WCAG AA)."
        " Pick a darker colour."
    )
