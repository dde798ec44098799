"""The studio's /demos cards mark the text written in the demo's own language (WCAG 3.1.2, language of
parts): the page is English, and a German demo's title was read out with English pronunciation."""

from __future__ import annotations

import re

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def card_title(html: str, slug: str) -> str:
    card = re.search(rf'<section class="demo-card" id="demo-{slug}".*?</header>', html, re.S).group(0)
    return re.search(r"<h2[^>]*>.*?</h2>", card, re.S).group(0)


def test_each_cards_title_carries_its_demos_language(client, svc):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    assert svc.demos.get("alpenblick").language == "de"  # demos.toml's German demo
    title = '<h2 dir="auto" lang="de">Alpenblick Hotels: Ihre KI-Rezeption</h2>'
    assert card_title(html, "alpenblick") == title
    assert 'lang="en"' in card_title(html, "northwind")


def test_the_delete_question_marks_the_demos_title_too(client, svc):
    sign_in(client)
    html = client.get("/demos/alpenblick/delete").get_data(as_text=True)
    assert '“<span lang="de">Alpenblick Hotels: Ihre KI-Rezeption</span>”' in html
