"""A share link as prospects receive it: mail and chat clients glue a dot or bracket to its end or
break it over two lines (`%20`), and some redirectors encode its `#` as `%23`. The genuine token still
opens the demo; the signature alone decides, so a changed one is still refused."""

from __future__ import annotations

import pytest

from tests.share_links import recorded
from tests.tokens import tampered

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


@pytest.mark.parametrize("glued", ["{t}.", "{t}).", "{a}%20{b}", "{t}%2E%29"])
def test_the_check_endpoint_takes_a_token_with_punctuation(client, svc, glued):
    token = recorded(svc, name="Maria").token
    sent = glued.format(t=token, a=token[:20], b=token[20:])
    ok = client.post("/api/demos/alpenblick/link", json={"link": sent})
    assert ok.status_code == 200, ok.get_json()
    forged = tampered(token)
    bad = glued.format(t=forged, a=forged[:20], b=forged[20:])
    response = client.post("/api/demos/alpenblick/link", json={"link": bad})
    assert response.get_json()["error"]["code"] == "link_invalid"


@pytest.mark.parametrize("page", ["/demo/alpenblick", "/embed/alpenblick"])
@pytest.mark.parametrize("glued", ["{t}.", "{t}).", "{a}%20{b}", "{t}%2E"])
def test_an_old_query_link_with_punctuation_redirects_to_the_clean_token(client, svc, page, glued):
    token = recorded(svc, name="Maria").token
    response = client.get(f"{page}?link=" + glued.format(t=token, a=token[:20], b=token[20:]))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{page}#link={token}"


@pytest.mark.parametrize("page", ["/demo/alpenblick", "/embed/alpenblick"])
@pytest.mark.parametrize(
    ("sent", "location"),
    [
        ("%23link={t}", "#link={t}"),
        ("%23link={t}.", "#link={t}"),
        ("%23link%3D{t})", "#link={t}"),
        ("%23link={t}?mode=text", "?mode=text#link={t}"),
        ("%23", ""),
    ],
)
def test_an_encoded_hash_redirects_to_the_fragment_form(client, svc, page, sent, location):
    token = recorded(svc, name="Maria").token
    response = client.get(page + sent.format(t=token))
    assert response.status_code == 303, response.get_data(as_text=True)[:200]
    assert response.headers["Location"] == page + location.format(t=token)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("page", ["/demo/", "/embed/"])
def test_an_unknown_demo_with_an_encoded_hash_is_still_unknown(client, svc, page):
    token = recorded(svc, name="Maria").token
    for sent in (f"nosuch%23link={token}", f"%23link={token}"):
        response = client.get(page + sent)
        assert response.status_code in (303, 404)
        if response.status_code == 303:
            assert client.get(response.headers["Location"]).status_code == 404
