"""The demo page's header: the logo beside the company's name is decorative, so a screen reader says
the name once ("Northwind Dental, image, Northwind Dental" before)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def header(html: str) -> str:
    found = re.search(r'<header class="demo__brand">(.*?)</header>', html, re.S)
    assert found, html
    return found.group(1)


def test_the_logo_beside_the_company_name_has_an_empty_alt(client):
    brand = header(client.get("/demo/northwind").get_data(as_text=True))
    assert 'data-brand="company">Northwind Dental<' in brand
    (logo,) = re.findall(r"<img [^>]*>", brand)
    assert 'src="/static/demos/northwind.svg"' in logo
    assert re.search(r'\balt=""', logo), logo


def test_a_link_only_shell_has_no_logo_until_its_link_is_checked(client):
    # demo.js adds it (with an empty alt as well: tests/e2e/test_sales_demos.py)
    assert "<img" not in header(client.get("/demo/alpenblick").get_data(as_text=True))
