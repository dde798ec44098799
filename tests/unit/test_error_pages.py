"""What a person's browser shows for an address that is not there or a fault on our side: a page in
the site's look (a heading, a line of help, the page's language and landmarks), never the framework's
bare text; the JSON API keeps its error bodies (test_api.py)."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

pytestmark = pytest.mark.unit


def test_an_unknown_address_is_a_page_that_says_so(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert '<main class="page unavailable" data-reason="not_found">' in html
    assert "<h1>There is no page here</h1>" in html
    assert "css/page.css" in html
    assert r.headers["Content-Security-Policy"]  # the app's headers, as on every page


def test_a_fault_on_our_side_is_a_page_and_names_nothing_inside(app: Flask, caplog):
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail of the fault")

    app.testing = False  # as served: the error handler answers, the test client does not re-raise
    with caplog.at_level(logging.ERROR):
        r = app.test_client().get("/boom")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert '<main class="page unavailable" data-reason="error">' in html
    assert "<h1>Something went wrong on our side</h1>" in html
    assert "secret detail" not in html
    assert "secret detail of the fault" in caplog.text  # the log has it, for the operator


def test_the_api_keeps_its_json_errors(client):
    r = client.get("/api/no/such/thing")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_other_refusals_outside_the_api_are_pages_too(make_sales_app):
    # A wrong method on a page (405 keeps its Allow header) and a body over the app's limit (413).
    client = make_sales_app().test_client()
    r = client.post("/")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    html = r.get_data(as_text=True)
    assert '<main class="page unavailable" data-reason="refused">' in html
    assert "<h1>This request could not be served</h1>" in html
    r = client.post("/demos/login", data="x" * 100_000, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and 'data-reason="refused"' in r.get_data(as_text=True)


def test_a_rep_on_an_admin_page_is_told_it_is_for_admins(make_sales_app):
    from .conftest import sign_in

    rep = make_sales_app().test_client()
    sign_in(rep)
    r = rep.get("/demos/reps")
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert '<main class="page unavailable" data-reason="forbidden">' in html
    assert "<h1>This page is for admins</h1>" in html
