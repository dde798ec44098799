"""The `/` page's headings: its h1 is the demo's title and the call card's h2 (drawn by <itellico-call>:
`title-text`, else `agent-name`, else the element's own "Talk to our AI agent") must say something else,
or a screen reader's heading list reads the same words twice. The shipped default demo's title is the
element's own heading ("Talk to our AI agent"), so the page names the card: after the agent
(`display_name`, as demo pages do), else with the page's words for the conversation, in its language.
The card itself is checked in Chromium (tests/e2e/test_visitor_a11y_headings.py)."""

from __future__ import annotations

import re

import pytest

from webcall.demo_page import PAGE_TEXT

pytestmark = pytest.mark.unit

ELEMENT_TITLE = {"en": "Talk to our AI agent", "de": "Sprechen Sie mit unserem KI-Agenten"}  # static/js/i18n


def headings(html: str) -> tuple[str, dict[str, str]]:
    """The page's h1 and the call element's attributes."""
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S)
    element = re.search(r"<itellico-call([^>]*)>", html)
    assert h1 and element, html
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', element.group(1)))
    return h1.group(1), attributes


def card_heading(attributes: dict[str, str], lang: str) -> str:
    """What the element shows as its h2 before a call (static/js/itellico-call.js, `#facts`)."""
    return attributes.get("title-text") or attributes.get("agent-name") or ELEMENT_TITLE[lang]


def test_the_default_page_names_its_card_apart_from_its_heading(client):
    h1, attributes = headings(client.get("/").get_data(as_text=True))
    assert h1 == "Talk to our AI agent"
    assert card_heading(attributes, "en") == PAGE_TEXT["en"]["index.call_title"] != h1


@pytest.fixture
def german_client(make_sales_app, tmp_path):
    demos = tmp_path / "demos.toml"
    demos.write_text('[demos.default]\ntitle = "Sprechen Sie mit unserem KI-Agenten"\nlanguage = "de"\n')
    return make_sales_app(demos_file=str(demos)).test_client()


def test_a_german_default_page_names_its_card_in_german(german_client):
    h1, attributes = headings(german_client.get("/").get_data(as_text=True))
    assert h1 == "Sprechen Sie mit unserem KI-Agenten"
    assert card_heading(attributes, "de") == PAGE_TEXT["de"]["index.call_title"] == "Ihr Gespräch"


def test_a_default_demo_with_an_agent_name_names_the_card_after_the_agent(make_sales_app, tmp_path):
    demos = tmp_path / "demos.toml"
    demos.write_text('[demos.default]\ntitle = "Talk to our AI agent"\ndisplay_name = "Ava"\n')
    client = make_sales_app(demos_file=str(demos)).test_client()
    h1, attributes = headings(client.get("/").get_data(as_text=True))
    assert card_heading(attributes, "en") == "Ava" != h1
    assert "title-text" not in attributes  # the agent's name stays the card's heading, as on demo pages
