"""The calls page's demo filter (/demos/calls) names each demo so that two can be told apart
(docs/sales.md, "Calls").

Its options were the demos' titles: two demos with the same title (a demo copied for a second
prospect, say) were two identical entries, and the rep had to guess which was which.
"""

from __future__ import annotations

import csv
import io
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


# -- a demo that is gone --------------------------------------------------------------------


def call_ids_in_csv(text: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return [row["call_id"] for row in rows]


def test_a_deleted_demos_filter_still_filters_the_list_and_the_export(make_sales_app):
    # The filter of a demo deleted since (a bookmarked or shared "Acme's calls") was dropped as
    # unknown: the list and the CSV held every call of every demo, and the CSV said nothing of it.
    app = make_sales_app()
    svc = app.extensions["webcall"]
    svc.calllog.record(demo="northwind", mode="voice", outcome="created", call_id="c-nw-1")
    svc.calllog.record(demo="alpenblick", mode="text", outcome="created", call_id="c-ab-1")
    assert svc.demos.delete("northwind", by="bob@example.com")
    client = app.test_client()
    sign_in(client)

    r = client.get("/demos/calls.csv?demo=northwind")
    assert r.status_code == 200 and call_ids_in_csv(r.get_data(as_text=True)) == ["c-nw-1"]
    html = client.get("/demos/calls?demo=northwind").get_data(as_text=True)
    assert re.findall(r'data-call-id="([^"]*)"', html) == ["c-nw-1"]
    assert "The demo northwind is not served any more" in html
    # Its calls can still be chosen: the slug is offered, marked as gone, and stays chosen.
    options = demo_options(html)
    assert options["northwind"] == "northwind (deleted)" and "alpenblick" in options
    assert re.search(r'<option value="northwind" selected>', html)


def test_a_mistyped_demo_filter_matches_no_call(make_sales_app):
    app = make_sales_app()
    svc = app.extensions["webcall"]
    svc.calllog.record(demo="northwind", mode="voice", outcome="created", call_id="c-nw-1")
    client = app.test_client()
    sign_in(client)
    assert call_ids_in_csv(client.get("/demos/calls.csv?demo=nortwind").get_data(as_text=True)) == []
    html = client.get("/demos/calls?demo=nortwind").get_data(as_text=True)
    assert re.findall(r'data-call-id="([^"]*)"', html) == []
    assert "The demo nortwind is not served any more (deleted, or the name is mistyped)" in html
    # Offered only as the chosen one, so that Show keeps it; no other slug without calls is offered.
    options = demo_options(html)
    assert options["nortwind"] == "nortwind (no such demo)"
    assert [slug for slug, text in options.items() if "(" in text] == ["nortwind"]
