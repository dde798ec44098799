"""The editor's brand fields: an accent colour, a theme or a logo makes the demo a brand, and a brand
needs its company (the page's header, the logo's alt text, the tab's title and a link preview's site
name all are the company; demos.toml holds the same rule). A rep who set only the colour read "Must
not be empty" on Company, a field they never touched: the message now says why it is needed."""

from __future__ import annotations

import pytest

from .conftest import csrf
from .demo_editor_helpers import field_error, input_attrs, post_form, preview_problems
from .logo_files import png

pytestmark = pytest.mark.unit

NEEDED = "A company name is needed with a logo, colour or theme"
NEW = {"slug": "acme", "title": "Acme Dental"}


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def tables(client) -> dict:
    return client.application.extensions["webcall"].demos.tables()


@pytest.mark.parametrize(
    ("change", "logo"),
    [
        ({"brand.accent": "#7c3aed"}, None),
        ({"brand.theme": "dark"}, None),
        ({}, (png(), "logo.png", "image/png")),
    ],
    ids=["accent", "theme", "logo"],
)
def test_a_brand_without_a_company_says_why_the_company_is_needed(rep, change, logo):
    r = post_form(rep, fields={**NEW, "brand.company": "", **change}, logo=logo)
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "acme" not in tables(rep)
    assert field_error(page, "brand.company") == NEEDED
    assert input_attrs(page, "brand.company")["aria-invalid"] == "true"  # the field is marked
    assert "Must not be empty" not in page


def test_a_demo_without_brand_settings_needs_no_company(rep):
    r = post_form(rep, fields={**NEW, "brand.company": "", "brand.accent": "", "brand.theme": "auto"})
    assert r.status_code == 302 and "brand" not in tables(rep)["acme"]


def test_the_company_and_the_colour_together_save(rep):
    r = post_form(rep, fields={**NEW, "brand.company": "Acme", "brand.accent": "#7c3aed"})
    assert r.status_code == 302
    assert tables(rep)["acme"]["brand"] == {"company": "Acme", "accent": "#7c3aed", "theme": "auto"}


def test_the_preview_says_so_too(rep):
    token = csrf(rep.get("/demos/new").get_data(as_text=True))
    r = rep.post("/demos/preview", data={"csrf": token, **NEW, "brand.company": "", "brand.theme": "dark"})
    assert preview_problems(r.get_data(as_text=True)) == [
        "Company: a company name is needed with a logo, colour or theme"
    ]
