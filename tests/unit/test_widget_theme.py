"""The launcher's dark look (static/css/widget.css) is one list of tokens, written for `dark` and for
`auto` on a dark OS: a rule of its own for data-theme=dark (the notice's) left `auto` with a light pink
notice in a dark panel (tests/e2e/test_widget_dark_notice.py sees it in Chromium)."""

from __future__ import annotations

import re

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

CSS = (ROOT / "static" / "css" / "widget.css").read_text(encoding="utf-8")


def _declarations(selector: str) -> list[str]:
    (body,) = re.findall(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    return sorted(part.strip() for part in body.split(";") if part.strip())


def test_auto_on_a_dark_os_is_the_dark_theme():
    dark = _declarations('.w[data-theme="dark"]')
    assert "--_notice-bg: #3a1c1a" in dark  # the notice is among the tokens
    media = CSS.split("@media (prefers-color-scheme: dark)", 1)[1]
    auto = re.match(r'\s*\{\s*\.w\[data-theme="auto"\]\s*\{([^}]*)\}', media)
    assert auto is not None
    assert sorted(part.strip() for part in auto.group(1).split(";") if part.strip()) == dark


def test_no_other_rule_depends_on_the_theme():
    # A theme's colours are tokens of the two blocks above; a rule reading data-theme elsewhere is a
    # second mapping that `auto` does not get.
    assert len(re.findall(r"data-theme", CSS)) == 2
