"""The privacy policy at the call: our pages give the element WEBCALL_PRIVACY_URL as its `privacy-url`
(`/`, `/demo/<slug>`); the embed page takes the website owner's own from `?privacy_url=`, an absolute
http(s) URL, and ignores anything else as it ignores a bad `?mode=`. The link itself, in Chromium:
tests/e2e/test_privacy_link.py."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.unit

PRIVACY = "https://www.example.com/datenschutz?lang=de&v=2#webcall"
OWNER = "https://www.northwind-dental.example/privacy"


def privacy_attribute(page: str) -> list[str]:
    """The `privacy-url` of each <itellico-call> on the page, as the browser reads it."""
    tags = re.findall(r"<itellico-call\b[^>]*>", page)
    assert tags, "no element on the page"
    return [html.unescape(m) for tag in tags for m in re.findall(r'\sprivacy-url="([^"]*)"', tag)]


def test_our_pages_give_the_element_the_deployments_privacy_url(make_sales_app):
    client = make_sales_app(privacy_url=PRIVACY).test_client()
    for path in ("/", "/demo/northwind", "/demo/alpenblick"):  # alpenblick: a link-only demo's shell
        assert privacy_attribute(client.get(path).get_data(as_text=True)) == [PRIVACY], path


def test_without_the_setting_our_pages_set_none(make_sales_app):
    client = make_sales_app().test_client()
    for path in ("/", "/demo/northwind", "/embed/northwind"):
        assert privacy_attribute(client.get(path).get_data(as_text=True)) == [], path


def test_the_embed_page_takes_the_owners_privacy_url_not_ours(make_sales_app):
    client = make_sales_app(privacy_url=PRIVACY).test_client()
    # The framed page sits in the owner's site: their policy applies, ours is not offered.
    assert privacy_attribute(client.get("/embed/northwind").get_data(as_text=True)) == []
    page = client.get("/embed/northwind", query_string={"privacy_url": OWNER, "mode": "text"})
    assert page.status_code == 200
    assert privacy_attribute(page.get_data(as_text=True)) == [OWNER]
    local = "http://localhost:8080/privacy?x=1&y=2"
    page = client.get("/embed/northwind", query_string={"privacy_url": local})
    assert privacy_attribute(page.get_data(as_text=True)) == [local]


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,hi",
        "/privacy",
        "//www.example.com/privacy",
        "www.example.com/privacy",
        "https:www.example.com/privacy",
        "https://",
        "https:///privacy",
        "https://user:secret@www.example.com/privacy",
        "https://www.example.com/pri vacy",
        "https://www.example.com/\nprivacy",
        " https://www.example.com/privacy",
        "https://www.example.com:99999/privacy",
        "https://www.example.com/" + "a" * 2048,
        "",
    ],
)
def test_the_embed_page_ignores_a_privacy_url_that_is_not_an_absolute_http_url(make_sales_app, raw):
    client = make_sales_app().test_client()
    page = client.get("/embed/northwind", query_string={"privacy_url": raw})
    assert page.status_code == 200
    assert privacy_attribute(page.get_data(as_text=True)) == []


def test_the_embed_page_shows_an_owners_privacy_url_only_in_a_frame(make_sales_app):
    # The address comes from whoever wrote the URL: framed, that is a site the demo allows
    # (frame-ancestors); opened in a tab, anyone could put a "Privacy policy" link of theirs on our page.
    client = make_sales_app().test_client()
    query = {"privacy_url": OWNER}
    for dest, shown in (("iframe", [OWNER]), ("document", []), (None, [OWNER])):  # None: an older browser
        headers = {"Sec-Fetch-Dest": dest} if dest else {}
        page = client.get("/embed/northwind", query_string=query, headers=headers)
        assert privacy_attribute(page.get_data(as_text=True)) == shown, dest
