"""A real PostgreSQL stopped under a running app with a rep signed in (tests/unit/test_studio_database_down.py
does the same with an engine that cannot connect): the public pages still serve the rep, as signed out
for the while, the studio answers its 503 page, each request logs one line and no traceback, and once
the database is back the rep is still signed in. Before, each of these pages was a 500 with two chained
tracebacks (an operator's audit; docs/deployment.md says calls and the public pages go on)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from webcall import ROOT, create_app
from webcall.settings import Settings

from .servers import postgres_server

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "postgres is down password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_with_postgresql_stopped_public_pages_serve_a_rep_and_the_studio_says_503(caplog):
    settings = Settings(
        api_key="never-used",
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        base_url="http://127.0.0.1:9",  # nothing here asks itellico
        secret_key="postgres-down-secret-key-0123456789",
        sales_password=PASSWORD,
        sales_admin_email=ADMIN_EMAIL,
        demos_file=str(ROOT / "demos.toml"),
    )
    with postgres_server() as pg:
        app = create_app({"settings": replace(settings, database_url=pg.url), "TESTING": True})
        rep, visitor = app.test_client(), app.test_client()
        token = CSRF.search(rep.get("/demos/login").get_data(as_text=True)).group(1)
        signed = rep.post("/demos/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf": token})
        assert signed.status_code == 302
        caplog.clear()
        pg.stop()
        try:
            answers = {
                (who, path): client.get(path)
                for who, client in (("rep", rep), ("visitor", visitor))
                for path in ("/", "/demo/alpenblick", "/demos", "/demos/login", "/demos/calls")
            }
        finally:
            pg.start()
        studio = ("/demos", "/demos/login", "/demos/calls")
        statuses = {key: answer.status_code for key, answer in answers.items()}
        assert statuses == {key: 503 if key[1] in studio else 200 for key in answers}
        down = "The studio's database is unavailable. Try again shortly."
        for (_who, path), answer in answers.items():
            assert (down in answer.get_data(as_text=True)) == (path in studio), path
        ours = [r for r in caplog.records if r.name == "webcall.sales" and r.levelno >= logging.WARNING]
        assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records]
        # One line a request: each studio page, and each public page the rep (only) opened.
        assert len(ours) == 2 * len(studio) + 2, [r.getMessage() for r in ours]
        assert (
            "cannot read the rep's session from the database (OperationalError: Connection refused): "
            "GET / served as signed out"
        ) in [r.getMessage() for r in ours]
        assert rep.get("/demos").status_code == 200  # back: still signed in
        app.extensions["webcall"].calllog.engine.dispose()
