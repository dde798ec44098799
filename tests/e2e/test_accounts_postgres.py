"""Studio accounts on PostgreSQL, shared by two app instances: the accounts migration builds what
the code uses there too, a session made on one instance is valid on the other, and signing out or
disabling on one ends it on both (the sessions and the lockout live in the database, not in a
process); and what two people (or two clicks) change at the same moment on two instances: a demo
saved on one version lands once, two admins cannot demote each other to none, a rep's first
notification settings saved twice are saved. And the studio index's figures (window functions)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import create_engine, make_url

from tests.sign_in_races import failures_at_once
from tests.starts import admins_demoting_each_other, at_once, open_together
from webcall import accounts, create_app, schema
from webcall.db import all_tables, engine_for
from webcall.demo_rows import DemoChanged
from webcall.settings import Settings

from .servers import postgres_server

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "postgres studio password"
MY_TABLES = {"webcall_users", "webcall_sessions", "webcall_sign_in_failures"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as pg:
        yield pg.url


@pytest.fixture
def instances(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Flask]:
    monkeypatch.setattr(
        accounts, "make_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    settings = Settings(
        api_key="never-used",
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        base_url="http://127.0.0.1:9",  # nothing here asks itellico
        secret_key="postgres-accounts-secret-key-0123456789",
        sales_password=PASSWORD,
        sales_admin_email=ADMIN_EMAIL,
        database_url=pg_url,
    )
    return create_app({"settings": settings, "TESTING": True}), create_app(
        {"settings": settings, "TESTING": True}
    )


def signed_in(app: Flask, email: str = ADMIN_EMAIL) -> Any:
    client = app.test_client()
    token = CSRF.search(client.get("/demos/login").get_data(as_text=True)).group(1)
    r = client.post("/demos/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == "/demos", r.get_data(as_text=True)[:300]
    return client


def on(app: Flask, cookie: str) -> Any:
    client = app.test_client()
    client.set_cookie("webcall_session", cookie)
    return client


def test_the_accounts_migration_builds_what_the_code_uses_on_postgresql(instances, pg_url):
    engine = engine_for(pg_url, Path("."))
    try:
        with engine.connect() as db:
            differences = compare_metadata(MigrationContext.configure(db), all_tables())
            made = set(db.exec_driver_sql("SELECT tablename FROM pg_tables").scalars())
    finally:
        engine.dispose()
    mine = [d for d in differences if MY_TABLES & set(re.findall(r"webcall_\w+", repr(d)))]
    assert mine == []
    assert MY_TABLES <= made


def test_instances_starting_together_on_a_new_database_all_start(pg_url: str, tmp_path: Path):
    # Each instance migrates on start; the advisory lock lets one do it while the others wait.
    # Released together on a new database, a few times (tests/unit/test_schema.py: the same on SQLite).
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(3):
            with admin.connect() as db:
                db.exec_driver_sql(f"CREATE DATABASE race_{attempt}")
            url = make_url(pg_url).set(database=f"race_{attempt}").render_as_string(hide_password=False)
            outcomes = open_together(url, tmp_path)
            assert outcomes == ["ok"] * len(outcomes), f"attempt {attempt}: {outcomes}"
            engine = engine_for(url, tmp_path)
            try:
                with engine.connect() as db:
                    assert schema.current(db) == schema.heads()
            finally:
                engine.dispose()
    finally:
        admin.dispose()


def test_one_admin_and_sessions_shared_by_both_instances(instances):
    a, b = instances
    assert [x.email for x in b.extensions["webcall"].accounts.all()] == [ADMIN_EMAIL]  # made once
    rep = a.extensions["webcall"].accounts.by_email("rep@example.com") or a.extensions[
        "webcall"
    ].accounts.add("rep@example.com", PASSWORD)
    browser = signed_in(a, "rep@example.com")
    cookie = browser.get_cookie("webcall_session").value
    assert on(b, cookie).get("/demos").status_code == 200  # valid on the other instance
    token = CSRF.search(browser.get("/demos").get_data(as_text=True)).group(1)
    assert browser.post("/demos/logout", data={"csrf": token}).status_code == 302
    assert on(b, cookie).get("/demos").status_code == 302  # signed out on A, gone on B

    browser = signed_in(b, "rep@example.com")
    cookie = browser.get_cookie("webcall_session").value
    admin = signed_in(a)
    token = CSRF.search(admin.get("/demos/reps").get_data(as_text=True)).group(1)
    assert admin.post(f"/demos/reps/{rep.id}/disable", data={"csrf": token}).status_code == 303
    assert on(b, cookie).get("/demos").status_code == 302  # disabled on A, gone on B
    a.extensions["webcall"].accounts.set_disabled(rep.id, False)


def test_failed_sign_ins_count_across_instances(instances):
    a, b = instances
    a.extensions["webcall"].lockout.record_failure("someone@example.com")
    b.extensions["webcall"].lockout.record_failure("someone@example.com")
    assert a.extensions["webcall"].lockout.get("someone@example.com").count == 2


def test_two_saves_made_on_one_version_of_a_demo_land_once_across_instances(instances):
    # The demo editor's version check (webcall/demo_merge.py) is one statement in the database: two
    # instances saving on the same version at the same moment store one save, the other is told.
    first, second = (app.extensions["webcall"].demos for app in instances)
    first.save("race", {"title": "One"}, ADMIN_EMAIL)
    version = second.row("race").settings
    raised = at_once(
        partial(first.save, "race", {"title": "Two"}, ADMIN_EMAIL, expected=version),
        partial(second.save, "race", {"title": "Three"}, ADMIN_EMAIL, expected=version),
    )
    assert sorted(type(error).__name__ for error in raised) == ["DemoChanged", "NoneType"]
    landed = "Two" if raised[0] is None else "Three"
    assert first.row("race").table == {"title": landed}
    first.delete("race", ADMIN_EMAIL)
    second.save("race", {"title": "Made again"}, ADMIN_EMAIL, expected=None)
    with pytest.raises(DemoChanged):  # none expected, one there: refused, not a 500
        first.save("race", {"title": "Twice"}, ADMIN_EMAIL, expected=None)


def test_two_admins_demoting_each_other_on_two_instances_leave_one(instances):
    # The last-admin check holds across instances: the change and its check are one transaction that
    # waits for another admin change (rows locked), not a check made before either change.
    first, second = (app.extensions["webcall"].accounts for app in instances)
    for attempt in range(3):
        admins, refused = admins_demoting_each_other(first, second, f"pg-{attempt}")
        assert len(admins) == 1 and refused == ["last_admin"], (attempt, admins, refused)


def test_a_reps_first_notification_settings_saved_twice_at_once_are_saved(instances):
    # A double-clicked Save on two instances (or two tabs): both found no row and both inserted one;
    # the second insert was refused, a 500.
    from webcall.notification_prefs_store import Prefs, get_prefs, save_prefs

    engines = [app.extensions["webcall"].calllog.engine for app in instances]
    for attempt in range(3):
        account = instances[0].extensions["webcall"].accounts.add(f"prefs{attempt}@example.com", PASSWORD)
        urls = ("https://hooks.example.com/a", "https://hooks.example.com/b")
        raised = at_once(
            partial(save_prefs, engines[0], account.id, Prefs(webhook_url=urls[0])),
            partial(save_prefs, engines[1], account.id, Prefs(webhook_url=urls[1])),
        )
        assert raised == [None, None], (attempt, raised)  # a refused second insert was a 500
        with engines[0].connect() as db:
            assert get_prefs(db, account.id).webhook_url in urls


def test_the_studio_index_figures_on_postgresql(instances):
    # /demos' figures are window-function reads (webcall/call_stats.py): the same answers here as on SQLite.
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from webcall import call_stats
    from webcall.calllog import calls

    engine = instances[0].extensions["webcall"].calllog.engine
    now = datetime.now(UTC)

    def call(demo: str, minutes: int, seconds: int, link_id: str | None = None) -> dict[str, Any]:
        created = now - timedelta(minutes=minutes)
        return dict(demo=demo, link_id=link_id, call_id=f"{demo}-{minutes}", mode="voice", outcome="created",
                    created_at=created, status="completed", duration_seconds=seconds)  # fmt: skip

    rows = [call("quiet", 3000 + n, 45) for n in range(3)] + [call("busy", n, 60 + n) for n in range(25)]
    rows += [call("busy", 100, 300, "link-a"), call("busy", 90, 120, "link-a")]
    with engine.begin() as db:
        db.execute(insert(calls), rows)
    unlinked = call_stats.unlinked_stats(engine)
    assert (unlinked["quiet"].calls, unlinked["busy"].calls) == (3, 25)
    busy = unlinked["busy"]
    assert busy.last_duration_seconds == 60 and busy.total_seconds == sum(range(60, 85))
    link = call_stats.link_stats(engine)["link-a"]
    assert (link.calls, link.last_duration_seconds, link.total_seconds) == (2, 120, 420)
    assert call_stats.demo_stats(engine)["busy"].calls == 27
    recent = call_stats.recent_calls(engine)
    assert [c.call_id for c in recent["quiet"]] == ["quiet-3000", "quiet-3001", "quiet-3002"]
    assert [c.call_id for c in recent["busy"]] == [f"busy-{n}" for n in range(20)]


def test_the_csv_export_reads_every_call_in_chunks_on_postgresql(instances, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from webcall import call_queries
    from webcall.calllog import calls

    engine = instances[0].extensions["webcall"].calllog.engine
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    rows = [
        dict(demo="export", call_id=f"e{n:02d}", mode="voice", outcome="created", created_at=at - timedelta(seconds=n // 3))  # noqa: E501
        for n in range(20)
    ]  # fmt: skip
    with engine.begin() as db:
        db.execute(insert(calls), rows)
    monkeypatch.setattr(call_queries, "EXPORT_CHUNK", 4)  # chunk edges fall inside a second's calls
    chosen = call_queries.parse_filter({"demo": "export"}, ["export"])
    ids = [row.call.call_id for row in call_queries.each_call(engine, chosen)]
    # Newest second first; within a second, the later id first.
    seconds = [range(first, min(first + 3, 20)) for first in range(0, 20, 3)]
    assert ids == [f"e{n:02d}" for second in seconds for n in reversed(second)]


# -- what strangers type at the sign-in page (PostgreSQL refuses a NUL in text) ----------------


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("a\x00@x.example", "x"),  # a NUL: PostgreSQL refuses it in text; that was a 500
        ("\x00", "x"),
        ("a@x.example\x00", "x"),
        ("a\x01b@x.example", "x"),
        ("a" * 300 + "@x.example", "x"),  # longer than any account's email
        (ADMIN_EMAIL, "pass\x00word"),  # a NUL in the password reaches only argon2
    ],
)
def test_a_nul_or_other_odd_sign_in_input_is_a_wrong_password_not_a_500(instances, caplog, email, password):
    app = instances[0]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: an error is a 500 page, not an exception here
    client = app.test_client()
    token = CSRF.search(client.get("/demos/login").get_data(as_text=True)).group(1)
    r = client.post("/demos/login", data={"email": email, "password": password, "csrf": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 401, html[:300]
    assert 'id="password-error" role="alert">That email and password do not match.<' in html
    assert "Traceback" not in caplog.text and "[parameters:" not in caplog.text
    assert "\x00" not in caplog.text


@pytest.mark.parametrize("field", ["email", "name"])
def test_a_nul_on_the_admin_page_is_a_message_next_to_its_field_not_a_500(instances, field):
    app = instances[0]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    store = app.extensions["webcall"].accounts
    store.set_role(store.by_email(ADMIN_EMAIL).id, "admin")  # the admins' race above leaves other admins
    admin = signed_in(app)
    before = len(store.all())
    token = CSRF.search(admin.get("/demos/reps").get_data(as_text=True)).group(1)
    data = {"email": "new-rep@example.com", "name": "New Rep", "password": PASSWORD, "role": "rep"}
    data[field] = {"email": "new-\x00rep@example.com", "name": "New\x00Rep"}[field]
    r = admin.post("/demos/reps", data={**data, "csrf": token})
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert f'id="add-{field}-error" role="alert">' in r.get_data(as_text=True)
    assert len(store.all()) == before


def test_failures_recorded_at_the_same_moment_on_two_instances_all_count(instances):
    # Eight wrong passwords for one email at once, half on each instance: the count was read, then
    # written back one higher, so failures landing together overwrote each other (an audit saw 6 of 16
    # counted). Here every request reaches the table only once all of them have come that far.
    lockouts = [app.extensions["webcall"].lockout for app in instances]
    for attempt in range(2):
        email = f"raced-{attempt}@example.com"
        counted = failures_at_once(lockouts, email, 8)
        assert counted == 9, (attempt, counted)  # one before, eight at once
