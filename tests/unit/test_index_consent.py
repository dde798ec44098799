"""`/` shows the default demo's consent step, as `/demo/default` and `/embed/default` do: the element is
given the demo's `consent_text` (docs/widget.md: "the launcher, the iframe and our pages show the
demo's"). `/` gave none, so its calls started without the step an operator had set."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.unit

CONSENT = "Calls are recorded & analysed. <Continue?>"


def consent_text(page: str) -> str | None:
    element = re.search(r"<itellico-call([^>]*)>", page)
    assert element, page
    found = re.search(r'\sconsent-text="([^"]*)"', element.group(1))
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def client(make_sales_app, tmp_path):
    demos = tmp_path / "demos.toml"
    demos.write_text(f'[demos.default]\ntitle = "Talk to us"\nconsent_text = "{CONSENT}"\n')
    return make_sales_app(demos_file=str(demos)).test_client()


@pytest.mark.parametrize("path", ["/", "/?mode=text", "/demo/default", "/embed/default"])
def test_every_page_of_the_default_demo_asks_its_consent(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert consent_text(page.get_data(as_text=True)) == CONSENT


def test_without_a_consent_text_there_is_no_step(make_sales_app, tmp_path):
    demos = tmp_path / "demos.toml"
    demos.write_text('[demos.default]\ntitle = "Talk to us"\n')
    page = make_sales_app(demos_file=str(demos)).test_client().get("/")
    assert consent_text(page.get_data(as_text=True)) is None
