"""The calls page's demo filter (/demos/calls) names each demo so that two can be told apart
(docs/sales.md, "Calls").

Its options were the demos' titles: two demos with the same title (a demo copied for a second
prospect, say) were two identical entries, and the rep had to guess which was which.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from webcall import ROOT

from .conftest import sign_in

pytestmark = pytest.mark.unit

NORTHWIND = "Northwind Dental: your AI receptionist"  # demos.toml's


def demo_options(html: str) -> dict[str, str]:
    """The demo filter's options: value → the text the rep reads ("all" aside)."""
    select = html.split('<select name="demo">', 1)[1].split("</select>", 1)[0]
    found = re.findall(r'<option value="([^"]+)"[^>]*>(.*?)</option>', select, re.S)
    return {value: " ".join(unescape(text).split()) for value, text in found}


def calls_page(make_sales_app, tmp_path, extra: str) -> dict[str, str]:
    demos = tmp_path / "demos.toml"
    demos.write_text((ROOT / "demos.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    client = make_sales_app(demos_file=str(demos)).test_client()
    sign_in(client)
    return demo_options(client.get("/demos/calls").get_data(as_text=True))


def test_two_demos_with_one_title_are_told_apart_by_their_slugs(make_sales_app, tmp_path):
    # Titles compared as a rep reads them: case and spacing do not tell two entries apart.
    copy = f'\n[demos.northwind-kids]\ntitle = "  {NORTHWIND.upper()} "\naccess = "public"\n'
    options = calls_page(make_sales_app, tmp_path, copy)
    assert options["northwind"] == f"{NORTHWIND} (northwind)"
    assert options["northwind-kids"] == f"{NORTHWIND.upper()} (northwind-kids)"
    # A title no other demo has stays as it is.
    assert options["alpenblick"] == "Alpenblick Hotels: Ihre KI-Rezeption"
    assert options["default"] == "Talk to our AI agent"
    assert len(set(options.values())) == len(options)


def test_distinct_titles_are_shown_alone(make_sales_app, tmp_path):
    options = calls_page(make_sales_app, tmp_path, '\n[demos.southwind]\ntitle = "Southwind Dental"\n')
    assert options["northwind"] == NORTHWIND and options["southwind"] == "Southwind Dental"
