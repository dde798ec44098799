"""The studio's index `/demos` after a year of links and calls: a fixed number of database queries
whatever the number of links (one per link before: 3,000 links took 1.2-1.8 s on this machine kind),
and links that ended more than a month ago folded away behind "Show older links" (all 3,000 made a
4.7 MB page)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from webcall.calllog import calls
from webcall.link_rows import links

from .conftest import sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def made(svc, count: int, *, ended_days_ago: float | None = None) -> list[str]:
    """`count` links on alpenblick, each with two calls (the later one lasting 60 s); active unless
    `ended_days_ago` says when they expired. Each token is signed by the app (`ShareLinks.issue`): the
    index checks every listed token's signature, and a token that does not verify shows as stopped."""
    now = datetime.now(UTC)
    expires = now + timedelta(days=7) if ended_days_ago is None else now - timedelta(days=ended_days_ago)
    demo = svc.demos.get("alpenblick")
    issued = [svc.links.issue(demo, {}, int(expires.timestamp())) for _ in range(count)]
    ids = [link.link_id for link in issued]
    link_rows = [
        dict(
            link_id=link.link_id,
            demo="alpenblick",
            label=f"Prospect {link.link_id}",
            variables="{}",
            token=link.token,
            created_at=expires - timedelta(days=7),
            expires_at=expires,
            created_by="web",
            owner="ann@example.com",
        )
        for link in issued
    ]
    call_rows = [
        dict(
            demo="alpenblick",
            link_id=link_id,
            call_id=str(uuid.uuid4()),
            mode="voice",
            outcome="created",
            created_at=expires - timedelta(days=6, minutes=minutes),
            status="completed",
            duration_seconds=seconds,
        )
        for link_id in ids
        for minutes, seconds in ((10, 300), (5, 60))
    ]
    with svc.calllog.engine.begin() as db:
        db.execute(insert(links), link_rows)
        db.execute(insert(calls), call_rows)
    return ids


def queries_of(client, svc, url: str) -> tuple[int, str]:
    """The reads of the call log (links and calls) a view makes, and its page. Other reads come and go
    with the clock (the demos' revision check, at most once a second), which once made the first of
    two views count one more on a busy machine."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "webcall_links" in statement or "webcall_calls" in statement:
            seen.append(statement)

    event.listen(svc.calllog.engine, "before_cursor_execute", count)
    try:
        html = client.get(url).get_data(as_text=True)
    finally:
        event.remove(svc.calllog.engine, "before_cursor_execute", count)
    return len(seen), html


def test_the_index_asks_the_database_the_same_few_times_for_5_links_or_50(client, svc):
    sign_in(client)
    made(svc, 5)
    few, html = queries_of(client, svc, "/demos")
    made(svc, 45)
    many, html = queries_of(client, svc, "/demos")
    assert many == few, (few, many)
    rows = re.findall(r'<tr id="link-.*?</tr>', html, re.S)
    assert len(rows) == 50
    # Rows as a rep's links are: active, with their URL to copy (an unsigned token is a stopped row).
    assert all('data-status="active"' in row and "Copy link" in row for row in rows)
    # Each link's last call is the later one (60 s), not the longer one.
    assert all('data-col="duration">1 min</td>' in row for row in rows)


def test_links_that_ended_a_month_ago_are_folded_away(client, svc):
    sign_in(client)
    recent = made(svc, 3, ended_days_ago=29)
    old = made(svc, 4, ended_days_ago=31)
    active = made(svc, 2)
    html = client.get("/demos").get_data(as_text=True)
    shown = dict(re.findall(r'<tr id="link-([\w-]+)" data-link-id="[\w-]+" data-status="(\w+)"', html))
    assert shown == {link_id: "expired" for link_id in recent} | {link_id: "active" for link_id in active}
    assert "4 links that ended over 30 days ago" in html and 'href="/demos?older=1#demo-alpenblick"' in html
    html = client.get("/demos?older=1").get_data(as_text=True)
    assert set(re.findall(r'<tr id="link-([\w-]+)"', html)) == set(recent + active + old)


def test_the_calls_filter_lists_the_links_the_index_shows_and_the_chosen_one(client, svc):
    # The calls page's link filter listed every link ever made: a year of links made a 3,000-entry
    # select (a 200 KB page) of mostly long-ended links. It lists what /demos shows unfolded now.
    sign_in(client)
    recent = made(svc, 3, ended_days_ago=29)
    active = made(svc, 2)
    assert "ended over 30 days ago" not in client.get("/demos/calls").get_data(as_text=True)
    old = made(svc, 4, ended_days_ago=31)
    html = client.get("/demos/calls").get_data(as_text=True)
    assert link_options(html) == set(recent + active)
    # Where the older links (and their calls) are, said when there are some.
    assert '4 links that ended over 30 days ago: <a href="/demos?older=1">on Demos</a>' in html
    # A long-ended link chosen from /demos ("calls" of an older link) stays chosen and listed.
    html = client.get(f"/demos/calls?link={old[0]}").get_data(as_text=True)
    assert link_options(html) == set(recent + active + old[:1])
    assert f'<option value="{old[0]}" selected>' in html


def link_options(html: str) -> set[str]:
    """The link ids the calls page's link filter offers ("all" aside)."""
    select = html.split('<select name="link">', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'<option value="([\w-]+)"', select))


def calls_on(svc, demo: str, count: int, *, days_ago: float, seconds: int = 30) -> list[str]:
    """`count` calls without a link on `demo`, a minute apart, the newest `days_ago` days ago."""
    newest = datetime.now(UTC) - timedelta(days=days_ago)
    rows = [
        dict(
            demo=demo,
            link_id=None,
            call_id=str(uuid.uuid4()),
            mode="voice",
            outcome="created",
            created_at=newest - timedelta(minutes=n),
            status="completed",
            duration_seconds=seconds,
        )
        for n in range(count)
    ]
    with svc.calllog.engine.begin() as db:
        db.execute(insert(calls), rows)
    return [row["call_id"] for row in rows]


def card_of(html: str, slug: str) -> str:
    return html.split(f'id="demo-{slug}"', 1)[1].split('<section class="demo-card"', 1)[0]


def test_a_quiet_demo_keeps_its_figures_and_recent_calls_beside_a_busy_one(client, svc):
    # /demos read the 200 newest calls of all demos and took each demo's recent calls and its
    # "Without a link" figures from those: a demo whose calls were older than a busy demo's 200 newest
    # listed none (its header counted them), and a busy demo's count stopped at 200.
    sign_in(client)
    quiet = calls_on(svc, "alpenblick", 3, days_ago=2, seconds=45)
    calls_on(svc, "northwind", 250, days_ago=0)
    html = client.get("/demos").get_data(as_text=True)
    alpenblick, northwind = card_of(html, "alpenblick"), card_of(html, "northwind")
    assert "3 calls, last" in alpenblick
    assert set(re.findall(r'data-call-id="([\w-]+)"', alpenblick)) == set(quiet)
    unlinked = re.search(r'<tr data-link-id="">.*?</tr>', alpenblick, re.S)
    assert unlinked and re.search(r'data-col="calls">3<', unlinked.group(0)), alpenblick
    assert '<td data-label="Last duration" data-col="duration">45 s</td>' in unlinked.group(0)
    unlinked = re.search(r'<tr data-link-id="">.*?</tr>', northwind, re.S)
    assert unlinked and re.search(r'data-col="calls">250<', unlinked.group(0))
    assert len(re.findall(r"<tr data-call-id=", northwind)) == 20  # the 20 newest
