"""The database down (PostgreSQL stopped, an SQLite file that cannot be opened) on the public paths that
read it: a demo's logo (`GET /logos/<name>`) and the share-link check (`POST /api/demos/<slug>/link`, and
`POST /api/calls` with a link: a link's revocation and expiry are in its row).

Each was a 500 with a traceback ("unhandled error on …"). Now a logo answers 503 without a body (the page
draws without it), a link check answers the JSON API's error shape with 503 (`internal_error`: the page
shows its "could not be opened" notice, the element its "try again"), nothing goes upstream, and each
request logs one warning line. The engine cannot connect as in tests/unit/test_studio_database_down.py."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from webcall.logos import LogoStore

from .conftest import link_for
from .logo_files import png
from .test_studio_database_down import database_down, lines

pytestmark = pytest.mark.unit

WHY = "OperationalError: unable to open database file"


@pytest.fixture
def app(make_sales_app) -> Flask:
    return make_sales_app()


def the_line(caplog: pytest.LogCaptureFixture) -> str:
    """The request's one warning line (no traceback)."""
    [line] = lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None, line.getMessage()
    return line.getMessage()


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "rep"])
def test_a_logo_answers_503_without_a_body_while_the_database_is_down(app, svc, caplog, signed_in, request):
    logo = LogoStore(svc.calllog.engine).add(png(), "logo.png", "image/png", by="test")
    client = request.getfixturevalue("rep") if signed_in else app.test_client()
    caplog.clear()
    with database_down(app):
        answer = client.get(logo.path)
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    assert answer.get_data() == b""
    assert answer.headers["Cache-Control"] == "no-store"  # never kept in place of the logo
    assert (
        the_line(caplog)
        == f"logo not served: the database is unavailable ({WHY}): GET {logo.path} answered 503"
    )
    assert client.get(logo.path).status_code == 200  # back


def test_the_link_check_answers_503_in_the_api_shape_while_the_database_is_down(app, svc, caplog):
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, "Maria", created_by="web")
    client = app.test_client()
    caplog.clear()
    with database_down(app):
        answer = client.post("/api/demos/alpenblick/link", json={"link": link.token})
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    error = answer.get_json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == answer.headers["X-Request-ID"]
    assert "Alpenblick" not in answer.get_data(as_text=True)  # nothing of the demo without a checked link
    assert answer.headers["Cache-Control"] == "no-store"
    assert the_line(caplog) == (
        f"share link not checked: the database is unavailable ({WHY}): "
        "POST /api/demos/alpenblick/link answered 503"
    )
    assert client.post("/api/demos/alpenblick/link", json={"link": link.token}).status_code == 200  # back


def test_a_call_on_a_link_answers_503_and_creates_nothing_while_the_database_is_down(
    app, svc, standin, caplog
):
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, "Maria", created_by="web")
    client = app.test_client()
    caplog.clear()
    with database_down(app):
        answer = client.post("/api/calls", json={"demo": "alpenblick", "link": link.token})
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    error = answer.get_json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == answer.headers["X-Request-ID"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert standin.creates() == []  # a link whose revocation cannot be read opens nothing upstream
    assert the_line(caplog) == (
        f"share link not checked: the database is unavailable ({WHY}): POST /api/calls answered 503"
    )
