"""The embed page for a slug that names no demo: a 404 any site may frame, with nothing on it to click.

A typo in an iframe's slug was answered with `frame-ancestors 'none'`: the frame showed the browser's
"refused to connect" and the console named frame-ancestors, which the docs explain as a demo without
allowed origins. Framing it anywhere is safe only while it stays a page of words: no script, no link,
no form, no button (nothing a framing site could trick a click onto) and nothing about any demo.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from webcall import create_app

pytestmark = pytest.mark.unit

SITE = "https://www.customer.example"
DEMOS = f"""
[demos.dentist]
title = "Dental receptionist"
allowed_origins = ["{SITE}"]

[demos.closed]
title = "Not embeddable"
"""


@pytest.fixture
def client(settings, tmp_path):
    path = tmp_path / "demos.toml"
    path.write_text(DEMOS)
    return create_app({"settings": replace(settings, demos_file=str(path))}).test_client()


def frame_ancestors(response) -> str:
    return re.search(r"frame-ancestors ([^;]+)", response.headers["Content-Security-Policy"]).group(1)


def test_a_slug_that_names_no_demo_may_be_framed_anywhere_and_offers_nothing_to_click(client):
    missing = client.get("/embed/dentist-typo")
    assert missing.status_code == 404
    assert frame_ancestors(missing) == "*"
    html = missing.get_data(as_text=True)
    assert "There is no such demo." in html
    assert not re.search(r"<(script|a|form|button|input|iframe|itellico-call)\b", html), html
    assert "Dental receptionist" not in html and "dentist" not in html.replace("dentist-typo", "")
    # As every embed URL (it may carry a share link): no Referer leaves it, no cache keeps it.
    assert missing.headers["Referrer-Policy"] == "no-referrer"
    assert missing.headers["Cache-Control"] == "no-store"


def test_real_demos_keep_their_own_frame_ancestors(client):
    assert frame_ancestors(client.get("/embed/dentist")) == SITE
    assert frame_ancestors(client.get("/embed/closed")) == "'none'"  # a demo without origins
    assert frame_ancestors(client.get("/")) == "'none'"  # our other pages
