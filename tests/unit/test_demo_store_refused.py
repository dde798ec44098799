"""A stored demo that this release's rules refuse (saved under an older release's looser rules, or
written by an older release's process during an upgrade): the app starts and serves the other demos,
says which demo and why in one error line, and the studio lists it, with its mistakes next to their
fields in its editor, until it is mended (webcall/demo_store.py)."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import replace

import pytest
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from webcall import ROOT
from webcall.db import open_database
from webcall.demo_rows import demo_revision, demos
from webcall.demo_store import DemoStore

from .conftest import sign_in
from .demo_editor_helpers import changed, field_error, form_fields

# An admin's override saved before the 1..7200 rule of itellico's longest call was checked on save.
TOO_LONG = {"agent": {"max_duration_seconds": 9000}}


def store_as_an_older_release(store: DemoStore, slug: str, **changes: object) -> None:
    """Write `slug`'s settings with `changes` past this release's checks, as another release would."""
    table = store.tables()[slug] | changes
    with store.engine.begin() as db:
        db.execute(update(demos).where(demos.c.slug == slug).values(settings=json.dumps(table)))
        db.execute(update(demo_revision).values(revision=demo_revision.c.revision + 1))


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_the_app_starts_serves_the_other_demos_and_names_the_refused_one(make_sales_app, app, caplog):
    store_as_an_older_release(app.extensions["webcall"].demos, "alpenblick", overrides=TOO_LONG)
    with caplog.at_level(logging.ERROR, logger="webcall.demos"):
        restarted = make_sales_app()  # the next start, on the same database
    client = restarted.test_client()
    assert client.get("/demo/northwind").status_code == 200
    assert client.get("/demo/alpenblick").status_code == 404
    assert client.post("/api/calls", json={"demo": "alpenblick"}).status_code in (400, 404)
    [line] = [r.getMessage() for r in caplog.records if "alpenblick" in r.getMessage()]
    assert "is not served" in line and "max_duration_seconds: 9000 is not 1..7200" in line
    listed = restarted.test_cli_runner().invoke(args=["demos", "list"])
    assert listed.exit_code == 0, listed.output
    refused = "alpenblick           refused by this release, mend it: demo 'alpenblick': overrides"
    assert refused in listed.output


def test_a_demo_broken_by_another_process_keeps_its_last_version_here(settings, tmp_path, caplog):
    url = f"sqlite:///{tmp_path}/webcall.sqlite3"
    shipped = replace(settings, demos_file=str(ROOT / "demos.toml"))
    here = DemoStore.open(open_database(url, tmp_path), shipped, check_every=0)
    served = here.get("northwind")
    other = DemoStore.open(open_database(url, tmp_path), shipped, check_every=0)
    other.save("alpenblick", other.tables()["alpenblick"] | {"title": "Changed meanwhile"}, "rep")
    store_as_an_older_release(other, "northwind", title="")
    with caplog.at_level(logging.ERROR, logger="webcall.demos"):
        assert here.get("alpenblick").title == "Changed meanwhile"  # the valid change arrives
    assert here.get("northwind") == served
    assert "demo northwind keeps its last version" in caplog.text
    assert "title" in here.refused()["northwind"][0]


def test_the_studio_lists_it_and_its_editor_shows_the_mistake_until_it_is_mended(make_sales_app, app):
    store_as_an_older_release(app.extensions["webcall"].demos, "alpenblick", overrides=TOO_LONG)
    restarted = make_sales_app()
    fresh = restarted.extensions["webcall"].demos
    admin = restarted.test_client()
    sign_in(admin, "admin@example.com", role="admin")
    listing = admin.get("/demos").get_data(as_text=True)
    assert "Not served: this release refuses its stored settings" in listing
    assert "max_duration_seconds: 9000 is not 1..7200" in listing
    assert 'href="/demos/alpenblick/edit"' in listing
    editor = admin.get("/demos/alpenblick/edit")
    assert editor.status_code == 200
    assert "9000 is not 1..7200" in field_error(editor.get_data(as_text=True), "overrides")
    fields = changed(form_fields(editor.get_data(as_text=True)), overrides="")
    r = admin.post("/demos/alpenblick/edit", data=MultiDict(fields), content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert fresh.refused() == {}
    assert admin.get("/demo/alpenblick").status_code == 200
    assert "refuses" not in admin.get("/demos").get_data(as_text=True)


def test_a_refused_default_demo_says_visitors_get_the_settings_agent_until_it_is_mended(
    make_sales_app, app, caplog
):
    # `/` serves the demo `default`; refused at start, it is the settings' agent that visitors reach
    # (ITELLICOAI_AGENT_ID), not a version of the demo served before: the studio and the log say so, and
    # on later reloads too (the snapshot then holds that stand-in, not a version of the demo).
    store_as_an_older_release(app.extensions["webcall"].demos, "default", overrides=TOO_LONG)
    with caplog.at_level(logging.ERROR, logger="webcall.demos"):
        restarted = make_sales_app()
        store = restarted.extensions["webcall"].demos
        store_as_an_older_release(store, "northwind", title="")  # a reload while default stays refused
        store.expire()  # the next read reloads now, not after `check_every`
        assert "northwind" in store.refused()
    [line] = [r.getMessage() for r in caplog.records if "demo default" in r.getMessage()][-1:]
    assert "is served as the settings' agent (ITELLICOAI_AGENT_ID)" in line, line
    assert restarted.test_client().get("/").status_code == 200
    admin = restarted.test_client()
    sign_in(admin, "admin@example.com", role="admin")
    listing = html.unescape(admin.get("/demos").get_data(as_text=True))
    card = listing[listing.index('id="demo-default"') :]
    card = card[: card.index("</section>")]
    assert "visitors get the settings' agent (ITELLICOAI_AGENT_ID) until" in card
    assert "the version served before" not in card
    northwind = listing[listing.index('id="demo-northwind"') :]
    assert "visitors get the version served before until" in northwind[: northwind.index("</section>")]


def test_a_rep_is_told_that_the_refused_overrides_are_an_admins_to_mend(make_sales_app, app):
    # The overrides field is an admin's, so a rep's editor did not show it: "1 field needs a change
    # (marked below)" with nothing marked, and every save refused with no reason (a studio audit).
    store_as_an_older_release(app.extensions["webcall"].demos, "alpenblick", overrides=TOO_LONG)
    rep = make_sales_app().test_client()
    sign_in(rep)
    editor = rep.get("/demos/alpenblick/edit").get_data(as_text=True)
    assert "9000 is not 1..7200" in (field_error(editor, "overrides") or "")
    assert "Only an admin can change the overrides" in editor
    fields = changed(form_fields(editor), title="Alpenblick (renamed)")
    refused = rep.post("/demos/alpenblick/edit", data=MultiDict(fields), content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "9000 is not 1..7200" in (field_error(refused.get_data(as_text=True), "overrides") or "")
