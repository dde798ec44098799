"""A real PostgreSQL stopped under a running app, on the public paths that read it themselves (as
tests/e2e/test_studio_postgres_down.py does for the pages and the studio;
tests/unit/test_public_database_down.py does the same with an engine that cannot connect): a demo's
logo answers 503 without a body, the share-link check and a create on a link answer 503 in the JSON
API's error shape, each with one line and no traceback, and once the database is back they work again.
Before, each was a 500 with a traceback."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from webcall import ROOT, create_app
from webcall.logos import LogoStore
from webcall.settings import Settings

from ..unit.logo_files import png
from .servers import postgres_server


def test_with_postgresql_stopped_a_logo_and_a_share_link_check_answer_503(caplog):
    settings = Settings(
        api_key="never-used",
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        base_url="http://127.0.0.1:9",  # nothing here reaches itellico: the link is checked first
        secret_key="postgres-down-secret-key-0123456789",
        demos_file=str(ROOT / "demos.toml"),
    )
    with postgres_server() as pg:
        app = create_app({"settings": replace(settings, database_url=pg.url), "TESTING": True})
        svc = app.extensions["webcall"]
        logo = LogoStore(svc.calllog.engine).add(png(), "logo.png", "image/png", by="test")
        link = svc.links.issue(svc.demos.get("alpenblick"), {"name": "Maria"}, int(time.time()) + 3600)
        svc.calllog.add_link(link, "Maria", created_by="web")
        client = app.test_client()
        asks = {
            "logo": lambda: client.get(logo.path),
            "check": lambda: client.post("/api/demos/alpenblick/link", json={"link": link.token}),
            "create": lambda: client.post("/api/calls", json={"demo": "alpenblick", "link": link.token}),
        }
        caplog.clear()
        pg.stop()
        try:
            answers = {name: ask() for name, ask in asks.items()}
        finally:
            pg.start()
        assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(asks, 503)
        assert answers["logo"].get_data() == b""
        for name in ("check", "create"):
            assert answers[name].get_json()["error"]["code"] == "internal_error", name
        assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records]
        ours = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and not r.getMessage().startswith("demos: cannot reload")
        ]
        assert ours == [
            f"logo not served: the database is unavailable (OperationalError: Connection refused): "
            f"GET {logo.path} answered 503",
            "share link not checked: the database is unavailable (OperationalError: Connection refused): "
            "POST /api/demos/alpenblick/link answered 503",
            "share link not checked: the database is unavailable (OperationalError: Connection refused): "
            "POST /api/calls answered 503",
        ]
        # Back: the logo and the link check answer as before.
        assert asks["logo"]().status_code == 200
        assert asks["check"]().status_code == 200
        svc.calllog.engine.dispose()
