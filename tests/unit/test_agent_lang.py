"""The agent's language on our pages' <itellico-call> (`agent-lang`): the element marks the agent's
transcript lines with it (static/js/transcript-view.js), so a screen reader reads them in the voice of
the language the agent speaks, which the UI's `lang` (the site owner's `?lang=`) need not be."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from webcall import create_app

pytestmark = pytest.mark.unit

DEMOS = """
[demos.praxis]
title = "Zahnarztpraxis"
agent_id = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
language = "de"
allowed_origins = ["https://www.customer.example"]

[demos.shop]
title = "Shop"
agent_id = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e42"
language = "en"
allowed_origins = ["https://www.customer.example"]
"""


@pytest.fixture
def client(settings, tmp_path) -> FlaskClient:
    path = tmp_path / "demos.toml"
    path.write_text(DEMOS)
    return create_app({"settings": replace(settings, demos_file=str(path))}).test_client()


def element(client: FlaskClient, url: str) -> dict[str, str]:
    """The attributes of the page's <itellico-call>."""
    response = client.get(url)
    assert response.status_code == 200, url
    tag = re.search(r"<itellico-call\b([^>]*)>", response.get_data(as_text=True))
    assert tag, url
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


@pytest.mark.parametrize(("slug", "ui", "agent"), [("praxis", "en", "de"), ("shop", "de", "en")])
def test_the_embed_page_names_the_agents_language_beside_the_owners_ui_language(client, slug, ui, agent):
    attrs = element(client, f"/embed/{slug}?lang={ui}")
    assert (attrs["lang"], attrs["agent-lang"]) == (ui, agent)


@pytest.mark.parametrize(("slug", "agent"), [("praxis", "de"), ("shop", "en")])
def test_the_demo_page_names_the_agents_language(client, slug, agent):
    attrs = element(client, f"/demo/{slug}")
    assert attrs["agent-lang"] == agent == attrs["lang"]


@pytest.mark.parametrize(
    ("slug", "asked", "ui"),
    [("shop", "de-AT", "de"), ("shop", "de_CH", "de"), ("praxis", "EN-gb", "en"), ("praxis", "fr", "de")],
)
def test_the_embed_pages_lang_is_a_language_tag_as_the_elements_and_the_loaders_are(client, slug, asked, ui):
    # `?lang=de-AT` gave an English frame (only `en` and `de` were read), while the element's `lang` and
    # the loader's `data-lang` take a tag (docs/widget.md); a language we have not: the demo's.
    html = client.get(f"/embed/{slug}?lang={asked}").get_data(as_text=True)
    assert f'<html lang="{ui}"' in html
    assert element(client, f"/embed/{slug}?lang={asked}")["lang"] == ui
