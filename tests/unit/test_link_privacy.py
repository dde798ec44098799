"""Share-link tokens stay out of request lines, access logs and Referer headers: they travel in the
URL fragment (`/demo/<slug>#link=…`), which browsers never send, and in request bodies. A link-only
demo reveals nothing about itself until the browser has shown a valid link to the check endpoint."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.share_links import recorded
from tests.tokens import tampered
from webcall import create_app

from .conftest import SALES_PASSWORD, link_for, sign_in

pytestmark = pytest.mark.unit

PASSWORD = SALES_PASSWORD
SECRET_WORDS = ("Alpenblick", "KI-Rezeption", "alpenblick.svg")


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def revealed(text: str) -> list[str]:
    return [word for word in SECRET_WORDS if word in text]


def test_share_links_carry_the_token_in_the_fragment(svc):
    link = link_for(svc, name="Maria")
    assert link.path() == f"/demo/alpenblick#link={link.token}"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/demo/alpenblick?link={t}", "/demo/alpenblick#link={t}"),
        ("/embed/alpenblick?link={t}", "/embed/alpenblick#link={t}"),
        ("/embed/alpenblick?mode=text&link={t}&lang=de", "/embed/alpenblick?mode=text&lang=de#link={t}"),
    ],
)
def test_old_query_links_redirect_to_the_fragment_form(client, svc, old, new):
    token = link_for(svc, name="Maria").token
    response = client.get(old.format(t=token))
    assert response.status_code == 303
    assert response.headers["Location"] == new.format(t=token)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not revealed(response.get_data(as_text=True))


@pytest.mark.parametrize("page", ["/demo/alpenblick", "/embed/alpenblick"])
@pytest.mark.parametrize(
    ("query", "kept"),
    [
        # url_for's own arguments, names the route uses, and repeated keys are the visitor's query,
        # kept as typed: never a 500, another scheme or a second fragment.
        ("slug=x", "slug=x"),
        ("endpoint=x&_method=POST", "endpoint=x&_method=POST"),
        ("_anchor=zz&_scheme=https&_external=1", "_anchor=zz&_scheme=https&_external=1"),
        ("mode=text&mode=voice", "mode=text&mode=voice"),
        ("q=a%20b%26c", "q=a+b%26c"),
    ],
)
def test_an_old_query_link_keeps_any_other_query_as_typed(client, svc, page, query, kept):
    token = link_for(svc, name="Maria").token
    response = client.get(f"{page}?link={token}&{query}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{page}?{kept}#link={token}"


@pytest.mark.parametrize("junk", ["%0d%0aSet-Cookie:%20x=1", "a%23b", "%F0%9F%94%97", "a" * 5000])
def test_an_old_query_link_with_a_junk_token_never_breaks_the_redirect(client, junk):
    response = client.get(f"/demo/alpenblick?link={junk}")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/demo/alpenblick#link=") and location.count("#") == 1
    assert "\r" not in location and "\n" not in location and "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "url", ["/demo/northwind", "/demo/alpenblick", "/embed/northwind", "/embed/alpenblick"]
)
def test_pages_that_can_carry_a_token_are_not_cached_and_send_no_referrer(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_link_only_demo_pages_do_not_reveal_title_or_company(client):
    for url in ("/demo/alpenblick", "/embed/alpenblick"):
        page = client.get(url).get_data(as_text=True)
        assert not revealed(page), url
    config = client.get("/api/demos/alpenblick/widget").get_json()
    assert config["link_only"] is True and not revealed(str(config))
    public = client.get("/api/demos/northwind/widget").get_json()
    assert public["company"] == "Northwind Dental" and public["title"] == public["agent_name"] == "Ava"
    assert config["agent_name"] is None


def check(client, slug, link, **kwargs):
    return client.post(f"/api/demos/{slug}/link", json={"link": link}, **kwargs)


def test_a_valid_link_unlocks_the_demo_content(client, svc):
    link = recorded(svc, name="Maria")
    response = check(client, "alpenblick", link.token)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["demo"] == "alpenblick" and body["title"] == "Alpenblick Hotels: Ihre KI-Rezeption"
    assert body["company"] == "Alpenblick Hotels" and body["logo"] == "/static/demos/alpenblick.svg"
    assert body["suggestions"][0] == "Wann haben Sie geöffnet?" and body["language"] == "de"
    assert "Maria" not in response.get_data(as_text=True)  # the link's variables stay on the server


def test_bad_links_get_their_error_and_reveal_nothing(client, svc):
    good = recorded(svc, name="Maria").token
    cases = [
        (tampered(good), "alpenblick", 403, "link_invalid"),
        (recorded(svc, exp_in=-5).token, "alpenblick", 410, "link_expired"),
        (good, "northwind", 403, "link_invalid"),  # one demo's link does not open another
        ("garbage", "alpenblick", 403, "link_invalid"),
        ("\ud800" + tampered(good), "alpenblick", 403, "link_invalid"),  # a lone surrogate: was a 500
        ("läuft.nicht", "alpenblick", 403, "link_invalid"),
        (good, "nope", 404, "unknown_demo"),
    ]
    for token, slug, status, code in cases:
        response = check(client, slug, token)
        assert response.status_code == status and response.get_json()["error"]["code"] == code
        assert not revealed(response.get_data(as_text=True))


def test_the_check_is_json_only_and_same_origin_only(client, svc):
    token = link_for(svc).token
    plain = client.post("/api/demos/alpenblick/link", data=token, content_type="text/plain")
    assert plain.status_code == 415
    assert check(client, "alpenblick", token, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api/demos/alpenblick/link", json={"link": 5}).status_code == 400


def test_the_cli_prints_the_fragment_form(app):
    result = app.test_cli_runner().invoke(args=["demos", "link", "alpenblick", "--var", "name=Maria"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/demo/alpenblick#link=[\w.\-]+\n", result.stdout)


def test_the_sales_index_shows_the_fragment_form(client, svc):
    svc.calllog.add_link(link_for(svc, name="Maria"), "Maria", created_by="cli")
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    urls = [u for u in re.findall(r'class="copy-source" readonly value="([^"]+)"', html) if "link=" in u]
    assert urls and all(re.fullmatch(r"http://localhost/demo/alpenblick#link=[\w.\-]+", u) for u in urls)
    public = replace(svc.settings, public_url="https://demo.example.com")
    other = create_app({"settings": public, "TESTING": True})
    other.extensions["webcall"].calllog.add_link(link_for(svc, name="Jo"), "Jo", created_by="cli")
    c = other.test_client()
    sign_in(c)
    assert "https://demo.example.com/demo/alpenblick#link=" in c.get("/demos").get_data(as_text=True)


LINK_ONLY_DEMOS = """
[demos.demo-7f3k2]
title = "Acme Corp: your AI desk"
agent_id = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
access = "link-only"
consent_text = "Acme Corp records this call to improve its service."

[demos.demo-7f3k2.widget]
label = "Ask Acme Corp"

[demos.demo-7f3k2.variables]
acme_contract_id = 20
"""


def test_a_link_only_demos_embed_page_and_widget_config_name_nothing_of_its_words(make_sales_app, tmp_path):
    # Its consent text, launcher label and variable names are where a company's name goes; the embed
    # page and the widget config carried them without a link (a studio audit). The embed page gets
    # the consent text from the link check (static/js/embed-frame.js), as the demo page does.
    demos = tmp_path / "demos.toml"
    demos.write_text(LINK_ONLY_DEMOS)
    client = make_sales_app(demos_file=str(demos)).test_client()
    page = client.get("/embed/demo-7f3k2").get_data(as_text=True)
    assert "Acme" not in page and "acme" not in page
    config = client.get("/api/demos/demo-7f3k2/widget").get_json()
    assert config["link_only"] is True
    assert config["label"] is None and config["variables"] == {}
