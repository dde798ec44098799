"""Making a share link on /demos says so where the page lands: the new link's row carries a polite
status ("… is made: copy it below"), as an extend or a revoke does. Before, the page only jumped to the
highlighted row, which a screen reader does not announce."""

from __future__ import annotations

import re

import pytest

from .conftest import csrf, sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def make_link(client, label: str):
    html = client.get("/demos").get_data(as_text=True)
    return client.post(
        "/demos/alpenblick/links",
        data={"csrf": csrf(html), "label": label, "var_name": "Jonas", "expires": "2d"},
    )


def test_a_new_link_is_announced_in_its_row(client, svc):
    sign_in(client)
    r = make_link(client, "Acme <meeting>")
    assert r.status_code == 302
    (stored,) = svc.calllog.links("alpenblick")
    assert r.headers["Location"] == f"/demos#link-{stored.link_id}"
    html = client.get("/demos").get_data(as_text=True)
    row = re.search(rf'<tr id="link-{stored.link_id}".*?</tr>', html, re.S).group(0)
    status = re.findall(r'<p class="notice notice--done" role="status">(.*?)</p>', row)
    assert status == [
        "The link \N{LEFT DOUBLE QUOTATION MARK}Acme &lt;meeting&gt;\N{RIGHT DOUBLE QUOTATION MARK}"
        " is made: copy it below and send it."
    ]
    # before the link it speaks of, and said once: the next visit to the page has no such note
    assert row.index('role="status"') < row.index('class="copy-source"')
    assert 'role="status">The link' not in client.get("/demos").get_data(as_text=True)


def test_a_link_that_was_not_made_announces_nothing_made(client, svc):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    r = client.post("/demos/alpenblick/links", data={"csrf": csrf(html), "label": "x", "expires": "9y"})
    assert r.status_code == 400 and "is made" not in r.get_data(as_text=True)
    assert svc.calllog.links("alpenblick") == []
