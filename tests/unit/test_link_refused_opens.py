"""Refused opens of share links: a prospect who opens a link that has expired or was withdrawn sees its
notice, and the rep sees on /demos that the link was tried ("opened 2 times since it ended, last …"),
the moment to send a new one. Bounded (one row per link, a count and two times, whatever the number
of reloads), only the page's own link check counts, and nothing about the visitor is stored."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from prometheus_client import REGISTRY
from sqlalchemy import DateTime, column, event, func, inspect, select, table, text, update

from tests.share_links import old_token
from tests.tokens import tampered
from webcall import schema
from webcall.calllog import CallLog
from webcall.db import all_tables, engine_for
from webcall.link_rows import links

from .conftest import csrf, link_for, sign_in

pytestmark = pytest.mark.unit

REFUSALS = "webcall_link_refusals"
BEFORE = "0007_notify_analysis"  # the revision before the refused opens' table


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def stored_link(svc, exp_in: int = 3600, label: str = "Maria at Alpenblick"):
    link = link_for(svc, exp_in=exp_in, name="Maria")
    svc.calllog.add_link(link, label, created_by="web", owner="ann@example.com")
    return link


def check(client, token: str, slug: str = "alpenblick", ip: str = "198.51.100.7", **headers: str):
    """The demo page's link check as its script sends it (static/js/share-link.js)."""
    return client.post(
        f"/api/demos/{slug}/link", json={"link": token}, headers=headers, environ_base={"REMOTE_ADDR": ip}
    )


def prospect(rep):
    """The prospect's browser beside the rep's signed-in one, whose own looks are not counted
    (webcall/link_opens.py `from_a_rep`, tests/unit/test_rep_tries_links.py)."""
    return rep.application.test_client()


def refusal_rows(svc) -> list[dict]:
    with svc.calllog.engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(text(f"SELECT * FROM {REFUSALS}"))]


def row(html: str, link_id: str) -> str:
    return re.search(rf'<tr id="link-{link_id}".*?</tr>', html, re.S).group(0)


def status_cell(html: str, link_id: str) -> str:
    cell = re.search(r'<td data-col="status">(.*?)</td>', row(html, link_id), re.S).group(1)
    return " ".join(cell.split())


def words(cell: str) -> str:
    """A cell as a screen reader reads it: its text, without the markup."""
    return " ".join(re.sub(r"<[^>]+>", "", cell).split())


def studio(client) -> str:
    sign_in(client)
    return client.get("/demos").get_data(as_text=True)


# -- what the rep sees ------------------------------------------------------------------------


def test_opening_an_expired_link_is_counted_and_shown_on_its_row(client, svc):
    link = stored_link(svc, exp_in=-3600)
    assert check(client, link.token).status_code == 410
    first = datetime.now(UTC)
    r = check(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"  # the notice as before

    [stored] = refusal_rows(svc)
    assert stored["link_id"] == link.link_id and stored["opens"] == 2

    cell = status_cell(studio(client), link.link_id)
    assert words(cell).startswith("expired ")
    assert "· opened 2 times since it ended, first " in words(cell) and ", last " in words(cell)
    # The times are <time>s the page shows in the rep's own zone, as every studio time.
    times = re.findall(r'<time datetime="([^"]+)" data-local="minutes">', cell)
    assert len(times) == 3  # expired, first, last
    last = datetime.fromisoformat(times[2])
    assert abs(last - first) < timedelta(minutes=1)


def test_opening_a_revoked_link_is_counted_once_in_words(client, svc):
    link = stored_link(svc)
    sign_in(client)
    page = f"/demos/links/{link.link_id}/revoke"
    token = csrf(client.get(page).get_data(as_text=True))
    assert client.post(page, data={"csrf": token}).status_code == 302
    assert refusal_rows(svc) == []  # revoking is not an open

    r = check(prospect(client), link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_revoked"

    html = client.get("/demos").get_data(as_text=True)
    said = words(status_cell(html, link.link_id))
    assert said.startswith("revoked ") and "· opened once since it ended, on " in said
    # A link someone tried is not faded away with the other ended links: it is the one to act on.
    assert "is-expired" not in re.search(rf'<tr id="link-{link.link_id}"[^>]*>', html).group(0)


def test_a_link_nobody_tried_shows_no_opens(client, svc):
    ended = stored_link(svc, exp_in=-60, label="Nobody tried")
    active = stored_link(svc, label="Still good")
    assert check(client, active.token).status_code == 200  # a valid open is a visit, not a refusal
    html = studio(client)
    assert "opened" not in status_cell(html, ended.link_id)
    assert "opened" not in status_cell(html, active.link_id)
    assert refusal_rows(svc) == []


def test_extending_a_link_starts_its_count_again(client, svc):
    link = stored_link(svc, exp_in=-60)
    check(client, link.token)
    sign_in(client)
    token = csrf(client.get("/demos").get_data(as_text=True))
    r = client.post(f"/demos/links/{link.link_id}/extend", data={"csrf": token, "expires": "7d"})
    assert r.status_code == 302
    assert refusal_rows(svc) == []
    # It ends again later: only the opens after that end count.
    with svc.calllog.engine.begin() as db:
        db.execute(
            update(links)
            .where(links.c.link_id == link.link_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    html = client.get("/demos").get_data(as_text=True)
    assert "opened" not in status_cell(html, link.link_id)
    check(prospect(client), link.token)
    assert "opened once since it ended" in words(
        status_cell(client.get("/demos").get_data(as_text=True), link.link_id)
    )


def test_a_link_that_ended_long_ago_stays_on_the_index_while_it_is_tried(client, svc):
    # Links that ended over 30 days ago fold away behind "Show older links"; one a prospect tried
    # lately stays in view.
    quiet = stored_link(svc, exp_in=-60 * 86400, label="Quiet")
    tried = stored_link(svc, exp_in=-60 * 86400, label="Tried lately")
    long_ago = stored_link(svc, exp_in=-60 * 86400, label="Tried long ago")
    check(client, tried.token)
    check(client, long_ago.token)
    stored = table(
        REFUSALS, column("link_id"), column("first_at", DateTime(True)), column("last_at", DateTime(True))
    )
    at = datetime.now(UTC) - timedelta(days=40)
    with svc.calllog.engine.begin() as db:
        db.execute(update(stored).where(stored.c.link_id == long_ago.link_id).values(first_at=at, last_at=at))
    html = studio(client)
    assert f'id="link-{tried.link_id}"' in html
    assert f'id="link-{quiet.link_id}"' not in html and f'id="link-{long_ago.link_id}"' not in html
    assert "2 links that ended over 30 days ago are not shown" in html


# -- what counts --------------------------------------------------------------------------------


def test_tokens_that_name_no_known_link_record_nothing(client, svc):
    good = stored_link(svc)
    unknown = link_for(svc, exp_in=-60, name="Maria")  # genuine, but its row was never written
    old_unknown = old_token(svc.settings.secret_key, "alpenblick", {"name": "Maria"}, int(time.time()) - 60)
    cases = [
        (tampered(good.token), "alpenblick", 403),
        ("garbage", "alpenblick", 403),
        (good.token, "northwind", 403),  # one demo's link does not open another
        (unknown.token, "alpenblick", 403),  # a token names its row: without one it is never valid
        (old_unknown, "alpenblick", 410),  # an old token carries its expiry, but names no row
    ]
    for token, slug, status in cases:
        assert check(client, token, slug).status_code == status
    assert refusal_rows(svc) == []


def test_only_the_page_scripts_check_counts(client, svc):
    link = stored_link(svc, exp_in=-60)
    # The page itself (a HEAD, an unfurler's or a prefetch's GET) cannot see the fragment's token; an old
    # `?link=` URL is only redirected to the fragment form.
    assert client.head(f"/demo/alpenblick?link={link.token}").status_code == 303
    assert client.get(f"/demo/alpenblick?link={link.token}").status_code == 303
    assert client.get(f"/embed/alpenblick?link={link.token}").status_code == 303
    assert client.get("/demo/alpenblick").status_code == 200
    # A page the browser prerenders or prefetches says so (Sec-Purpose): nobody has looked at it yet.
    assert check(client, link.token, **{"Sec-Purpose": "prefetch;prerender"}).status_code == 410
    assert check(client, link.token, **{"Purpose": "prefetch"}).status_code == 410
    assert refusal_rows(svc) == []

    assert check(client, link.token).status_code == 410
    assert [r["opens"] for r in refusal_rows(svc)] == [1]


def test_reloading_an_ended_link_many_times_keeps_one_row_and_a_constant_cost(client, svc):
    link = stored_link(svc, exp_in=-60)
    engine = svc.calllog.engine

    def rows_everywhere() -> dict[str, int]:
        with engine.connect() as db:
            return {
                t.name: db.execute(select(func.count()).select_from(t)).scalar()
                for t in all_tables().sorted_tables
            }

    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    assert check(client, link.token).status_code == 410
    after_first = rows_everywhere()
    costs = []
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # 200 reloads from 200 addresses (one address is held to 30 a minute by the check's rate limit).
        for n in range(200):
            statements.clear()
            assert check(client, link.token, ip=f"10.1.{n // 100}.{n % 100}").status_code == 410
            costs.append(len([s for s in statements if "webcall_link" in s]))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert rows_everywhere() == after_first
    assert [r["opens"] for r in refusal_rows(svc)] == [201]
    assert set(costs) == {costs[0]} and costs[0] <= 3  # the check's read and one write, every time


def test_a_client_over_the_check_rate_limit_counts_no_more(client, svc):
    link = stored_link(svc, exp_in=-60)
    answers = [check(client, link.token, ip="203.0.113.9").status_code for _ in range(35)]
    assert answers.count(410) == 30 and answers[30:] == [429] * 5
    assert [r["opens"] for r in refusal_rows(svc)] == [30]


def test_a_refused_open_that_cannot_be_recorded_still_shows_the_notice(client, svc, caplog):
    link = stored_link(svc, exp_in=-60)
    with svc.calllog.engine.begin() as db:
        db.execute(text(f"DROP TABLE {REFUSALS}"))
    failures = ("webcall_calllog_write_failures_total", {"operation": "link_refusal"})
    before = REGISTRY.get_sample_value(*failures) or 0.0
    r = check(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    assert "refused open not recorded" in caplog.text
    assert (REGISTRY.get_sample_value(*failures) or 0.0) == before + 1  # its own label, not "other"
    # The studio lists the link all the same, without its opens.
    html = studio(client)
    assert words(status_cell(html, link.link_id)).startswith("expired ") and "opened" not in html


# -- privacy ------------------------------------------------------------------------------------


def test_nothing_about_the_visitor_is_stored(client, svc):
    link = stored_link(svc, exp_in=-60)
    visitor = {
        "User-Agent": "Mozilla/5.0 (Maria's laptop) Firefox/140.0",
        "Referer": "https://mail.example/inbox",
    }
    assert check(client, link.token, ip="192.0.2.55", **visitor).status_code == 410

    columns = {c["name"] for c in inspect(svc.calllog.engine).get_columns(REFUSALS)}
    assert columns == {"link_id", "opens", "first_at", "last_at"}
    everything = []
    with svc.calllog.engine.connect() as db:
        for table in inspect(db).get_table_names():
            everything += [str(value) for r in db.execute(text(f'SELECT * FROM "{table}"')) for value in r]
    stored = "\n".join(everything)
    assert "192.0.2" not in stored and "Maria's laptop" not in stored and "mail.example" not in stored


# -- the migration ------------------------------------------------------------------------------


def test_the_migration_adds_the_table_to_an_install_with_links_and_takes_it_away(tmp_path):
    url = "sqlite:///webcall.sqlite3"
    engine = engine_for(url, tmp_path)
    with engine.begin() as db:
        command.upgrade(schema.config(db), BEFORE)
    made = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(
            links.insert().values(
                link_id="old-link",
                demo="alpenblick",
                label="Before",
                variables="{}",
                token="t",
                created_at=made,
                expires_at=made + timedelta(days=7),
                created_by="web",
                owner="ann@example.com",
            )
        )
    assert REFUSALS not in inspect(engine).get_table_names()

    log = CallLog.open(url, tmp_path)  # the app's start migrates to the newest revision
    assert REFUSALS in inspect(log.engine).get_table_names()
    assert [link.link_id for link in log.links()] == ["old-link"]

    with engine.begin() as db:
        command.downgrade(schema.config(db), BEFORE)
    assert REFUSALS not in inspect(engine).get_table_names()
    assert [link.link_id for link in CallLog(engine).links()] == ["old-link"]
