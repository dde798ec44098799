"""The database down (PostgreSQL stopped, an SQLite file that cannot be opened) while reps are signed in.

An operator's audit: every HTML page a signed-in rep opened was a 500, public ones included, and
`/demos/login` for everyone, each with two chained tracebacks ("unhandled error on GET …", "the error
page failed"): loading the rep's session (Flask-Login, touched by every template) failed, and so did
the error page, which loads it too. Now a public page serves the rep as signed out for that request
(one warning line), a studio page answers one 503 page (one line), and the error page never asks the
database. Here the app's engine cannot connect (every new connection refused, the pool emptied);
tests/e2e/test_studio_postgres_down.py does it with a real PostgreSQL stopped."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from .conftest import sign_in

pytestmark = pytest.mark.unit

DOWN_WORDS = "The studio's database is unavailable. Try again shortly."


@pytest.fixture
def app(make_sales_app) -> Flask:
    app = make_sales_app()

    def fault() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/test-fault", "test_fault", fault)  # before the first request, as Flask asks
    return app


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Every connection the app's engine makes is refused, as by a stopped server."""
    engine = app.extensions["webcall"].calllog.engine

    def refuse(*_args: Any) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    event.listen(engine, "do_connect", refuse)
    engine.dispose()  # the pooled connections too: each statement needs a new one
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the request logged at warning and above, the demos' own reload line left out (it says the
    last demos are served, once a second at most: webcall/demo_store.py)."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.getMessage().startswith("demos: cannot reload")
    ]


def test_a_signed_in_rep_gets_the_public_pages_as_signed_out_while_the_database_is_down(app, rep, caplog):
    for path in ("/", "/demo/alpenblick"):
        caplog.clear()
        with database_down(app):
            page = rep.get(path)
        assert page.status_code == 200, (path, page.get_data(as_text=True)[:300])
        [line] = lines(caplog)
        assert line.levelno == logging.WARNING and line.exc_info is None
        assert line.getMessage() == (
            "cannot read the rep's session from the database (OperationalError: unable to open database "
            f"file): GET {path} served as signed out"
        )
    # The session was not ended: with the database back, the rep is still signed in.
    assert rep.get("/demos").status_code == 200


@pytest.mark.parametrize("signed_in", [True, False], ids=["rep", "visitor"])
def test_the_studio_answers_one_clear_503_while_the_database_is_down(app, caplog, signed_in):
    client = app.test_client()
    if signed_in:
        sign_in(client)
    tried = [("GET", "/demos"), ("GET", "/demos/login"), ("GET", "/demos/calls"), ("POST", "/demos/login")]
    for method, path in tried:
        caplog.clear()
        with database_down(app):
            # A sign-in: the database is asked before the form (its CSRF token) is looked at.
            page = client.open(path, method=method, data={"email": "a@example.com", "password": "x"})
        text = page.get_data(as_text=True)
        assert page.status_code == 503, (method, path, text[:300])
        assert DOWN_WORDS in text
        assert "css/pages/demos.css" in text  # the studio's style
        assert page.headers["Cache-Control"] == "no-store"
        [line] = lines(caplog)
        assert line.exc_info is None
        assert line.getMessage() == (
            f"the studio's database is unavailable (OperationalError: unable to open database file): "
            f"{method} {path} answered 503"
        )
    # And back: the rep's session is still there.
    assert client.get("/demos").status_code == (200 if signed_in else 302)


def test_the_error_page_never_fails_on_the_database(app, rep, caplog):
    with database_down(app):
        page = rep.get("/test-fault")
    assert page.status_code == 500
    assert 'data-reason="error"' in page.get_data(as_text=True)  # the page, not its bare words
    messages = [r.getMessage() for r in lines(caplog)]
    assert messages == ["unhandled error on GET /test-fault"], messages
