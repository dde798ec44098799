"""Revoking and extending share links in the studio, with the stand-in API behind the app over real
HTTP: a revoked link refuses on every path that accepts a token (the demo page's link check, which the
widget and iframe use too, and POST /api/calls) and sends nothing upstream; an extended link works past
the expiry signed into its token; both forms need the CSRF token and a signed-in rep."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text

from webcall import schema
from webcall.calllog import CallLog, calls
from webcall.db import engine_for
from webcall.link_rows import links
from webcall.link_store import LinkStore

from .conftest import csrf, link_for, sign_in

pytestmark = pytest.mark.unit

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def stored_link(
    svc, exp_in: int = 3600, label: str = "Maria at Alpenblick", owner: str = "ann@example.com", **v
):
    link = link_for(svc, exp_in=exp_in, **(v or {"name": "Maria"}))
    svc.calllog.add_link(link, label, created_by="web", owner=owner)
    return link


def post_form(client, url: str, page: str = "/demos", **data: str):
    """POST a studio form as the browser does: with the CSRF token of the page it is on."""
    return client.post(url, data={"csrf": csrf(client.get(page).get_data(as_text=True)), **data})


def create(client, token: str):
    return client.post("/api/calls", json={"demo": "alpenblick", "link": token})


def check(client, token: str):
    return client.post("/api/demos/alpenblick/link", json={"link": token})


def row(html: str, link_id: str) -> str:
    return re.search(rf'<tr id="link-{link_id}".*?</tr>', html, re.S).group(0)


# -- revoke ---------------------------------------------------------------------------------


def test_a_revoked_link_is_refused_everywhere_and_nothing_goes_upstream(client, svc, standin):
    link = stored_link(svc)
    assert create(client, link.token).status_code == 201  # works before
    assert len(standin.creates()) == 1
    sign_in(client)
    confirm = client.get(f"/demos/links/{link.link_id}/revoke")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    r = post_form(client, f"/demos/links/{link.link_id}/revoke", page=f"/demos/links/{link.link_id}/revoke")
    assert r.status_code == 302 and r.headers["Location"] == f"/demos#link-{link.link_id}"

    # The demo page's link check (also the widget's and the iframe's): the page shows "withdrawn".
    r = check(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_revoked"
    page = client.get("/demo/alpenblick").get_data(as_text=True)
    assert '<template data-unavailable="revoked">' in page and "Dieser Link wurde zurückgezogen" in page
    # The create: refused before anything goes upstream, and logged as nothing at all.
    r = create(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_revoked"
    assert len(standin.creates()) == 1
    assert len(svc.calllog.calls()) == 1

    index = client.get("/demos").get_data(as_text=True)
    revoked = row(index, link.link_id)
    assert 'data-status="revoked"' in revoked and "revoked" in revoked
    assert link.token not in revoked and "Revoke…" not in revoked  # nothing left to copy or revoke
    # Said in the row the page goes to (it was at the top, off screen on a phone), the label quoted
    # as text ('Maria at Alpenblick' was Python's repr: a label's quotes came out backslashed).
    label = "\N{LEFT DOUBLE QUOTATION MARK}Maria at Alpenblick\N{RIGHT DOUBLE QUOTATION MARK}"
    assert f"The link {label} is revoked: it opens nothing any more" in revoked


def test_revoking_twice_keeps_the_first_revocation(client, svc, standin):
    link = stored_link(svc)
    sign_in(client)
    post_form(client, f"/demos/links/{link.link_id}/revoke")
    first = LinkStore(svc.calllog.engine).get(link.link_id).revoked_at
    post_form(client, f"/demos/links/{link.link_id}/revoke")
    assert LinkStore(svc.calllog.engine).get(link.link_id).revoked_at == first
    assert "was not changed: it was already revoked" in row(
        client.get("/demos").get_data(as_text=True), link.link_id
    )


def test_revoke_needs_csrf_and_a_signed_in_rep(client, svc, standin):
    link = stored_link(svc)
    r = client.post(f"/demos/links/{link.link_id}/revoke")
    assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login"
    assert client.get(f"/demos/links/{link.link_id}/revoke").status_code == 302
    sign_in(client)
    assert client.post(f"/demos/links/{link.link_id}/revoke").status_code == 400
    assert client.post(f"/demos/links/{link.link_id}/revoke", data={"csrf": "forged"}).status_code == 400
    assert LinkStore(svc.calllog.engine).get(link.link_id).status == "active"
    assert create(client, link.token).status_code == 201


def test_unknown_links_are_a_404(client, svc):
    sign_in(client)
    assert client.get("/demos/links/nope/revoke").status_code == 404
    assert post_form(client, "/demos/links/nope/revoke").status_code == 404
    assert post_form(client, "/demos/links/nope/extend", expires="7d").status_code == 404
    assert client.get("/demos/links/" + "x" * 5000 + "/revoke").status_code == 404


def test_a_link_whose_revocation_cannot_be_checked_is_refused(client, svc, standin):
    link = stored_link(svc)
    with svc.calllog.engine.begin() as db:  # the links table is gone: nobody can say it is not revoked
        db.execute(text("ALTER TABLE webcall_links RENAME TO webcall_links_away"))
    r = create(client, link.token)
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "internal_error"
    assert standin.creates() == []


# -- extend ---------------------------------------------------------------------------------


def test_the_extend_notice_shows_a_label_as_text(client, svc):
    # The notice is markup now (its time is a <time>); the rep's label in it stays text.
    link = stored_link(svc, label="<img src=x onerror=alert(1)>")
    sign_in(client)
    post_form(client, f"/demos/links/{link.link_id}/extend", expires="2d")
    notice = re.search(
        r'<p class="notice notice--done"[^>]*>(.*?)</p>',
        row(client.get("/demos").get_data(as_text=True), link.link_id),
    )
    assert (
        notice and "&lt;img src=x onerror=alert(1)&gt;" in notice.group(1) and "<img" not in notice.group(1)
    )


def test_an_extended_link_works_past_the_expiry_in_its_token(client, svc, standin):
    link = stored_link(svc, exp_in=-30)  # its token expired half a minute ago
    assert create(client, link.token).get_json()["error"]["code"] == "link_expired"
    sign_in(client)
    assert 'data-status="expired"' in row(client.get("/demos").get_data(as_text=True), link.link_id)
    r = post_form(client, f"/demos/links/{link.link_id}/extend", expires="2d")
    assert r.status_code == 302
    assert check(client, link.token).status_code == 200
    r = create(client, link.token)
    assert r.status_code == 201, r.get_json()
    assert len(standin.creates()) == 1
    index = client.get("/demos").get_data(as_text=True)
    mine = row(index, link.link_id)
    assert 'data-status="active"' in mine and "now expires" in mine
    # The new expiry as every studio time: a <time> the page shows in the rep's zone (it was bare UTC
    # text beside the row's local time).
    assert re.search(
        r'now expires <time datetime="[^"]+\+00:00" data-local="minutes">[^<]+ UTC</time>\.', mine
    )
    # The database's expiry counts both ways: shortened into the past, the link is expired again.
    with svc.calllog.engine.begin() as db:
        db.execute(links.update().values(expires_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert create(client, link.token).get_json()["error"]["code"] == "link_expired"


def test_extend_reports_a_bad_expiry_and_refuses_a_revoked_link(client, svc):
    # Said in the link's row, with what was typed still in its field: the reason was at the top of
    # the page, thousands of pixels above the row the page jumped to, and the field was back at 7d.
    link = stored_link(svc)
    before = LinkStore(svc.calllog.engine).get(link.link_id).expires_at
    sign_in(client)

    def refused(expires: str, status: int = 400) -> str:
        r = post_form(client, f"/demos/links/{link.link_id}/extend", expires=expires)
        assert r.status_code == status, expires
        mine = row(r.get_data(as_text=True), link.link_id)
        assert 'role="alert"' in mine
        return mine

    mine = refused("forever")
    assert "use e.g. 30m" in mine and 'name="expires" value="forever"' in mine
    assert "more than 365 days" in refused("999w")
    # The last day there is (datetime's): no day after it to end on. Was a 500.
    assert "more than 365 days" in refused("9999-12-31")
    assert "use e.g. 30m" not in client.get("/demos").get_data(as_text=True)  # said once
    assert LinkStore(svc.calllog.engine).get(link.link_id).expires_at == before
    post_form(client, f"/demos/links/{link.link_id}/revoke")
    assert "was not changed: it is revoked" in refused("7d", status=409)
    assert LinkStore(svc.calllog.engine).get(link.link_id).status == "revoked"


def test_extend_never_ends_a_link_earlier_than_it_ends_now(client, svc):
    # Extend's field is filled in with 7d: pressed on a link with 30 days left, it cut the link to 7
    # days ("now expires …"), and the prospect lost access weeks before the rep had promised.
    link = stored_link(svc, exp_in=30 * 86400)
    before = LinkStore(svc.calllog.engine).get(link.link_id).expires_at
    sign_in(client)
    r = post_form(client, f"/demos/links/{link.link_id}/extend", expires="7d")
    assert r.status_code == 400
    mine = row(r.get_data(as_text=True), link.link_id)
    said = re.search(r'<p class="form-error" role="alert"[^>]*>(.*?)</p>', mine, re.S).group(1)
    # Both ends named, as times the page shows in the rep's zone; the field keeps what was typed.
    assert "would end it on <time" in said and "before its current end on <time" in said
    assert before.strftime("%Y-%m-%d %H:%M") in said
    assert 'name="expires" value="7d"' in mine
    assert LinkStore(svc.calllog.engine).get(link.link_id).expires_at == before
    # A later expiry is an extension.
    assert post_form(client, f"/demos/links/{link.link_id}/extend", expires="5w").status_code == 302
    assert LinkStore(svc.calllog.engine).get(link.link_id).expires_at > before


def extend_field(html: str, link_id: str) -> str:
    """The value Extend's field on the link's row is filled in with."""
    return re.search(r'name="expires" value="([^"]*)"', row(html, link_id)).group(1)


def test_extends_field_is_filled_in_with_a_week_past_the_links_current_end(client, svc):
    # It was 7d on every row, which Extend refuses on a link with more than a week left: the field's
    # own value, pressed as it came, was an error.
    link = stored_link(svc, exp_in=30 * 86400)
    ended = stored_link(svc, exp_in=-30, label="Ended")
    before = LinkStore(svc.calllog.engine).get(link.link_id).expires_at
    sign_in(client)
    index = client.get("/demos").get_data(as_text=True)
    assert extend_field(index, ended.link_id) == "7d"  # from now: it has no end ahead to count from
    value = extend_field(index, link.link_id)
    assert re.fullmatch(r"\d{1,4}d", value), value  # what the field's pattern and parse_expiry take
    assert post_form(client, f"/demos/links/{link.link_id}/extend", expires=value).status_code == 302
    after = LinkStore(svc.calllog.engine).get(link.link_id).expires_at
    # A week past the current end, give or take the rest of a day (the time left is rounded up).
    assert timedelta(days=7) <= after - before < timedelta(days=8), after - before
    # Near the longest expiry, the longest: still no earlier than the current end.
    far = stored_link(svc, exp_in=362 * 86400, label="Far")
    assert extend_field(client.get("/demos").get_data(as_text=True), far.link_id) == "365d"
    # Left empty (a page without the field's `required`), Extend takes the same.
    assert post_form(client, f"/demos/links/{far.link_id}/extend", expires="").status_code == 302


def test_a_refused_extend_of_a_folded_link_still_shows_its_row(client, svc):
    # Ended over 30 days ago, the row is folded away unless ?older=1 is asked for: the answer to its
    # refused extend shows it all the same, or the reason would be nowhere.
    link = stored_link(svc, exp_in=-40 * 86400)
    sign_in(client)
    r = post_form(client, f"/demos/links/{link.link_id}/extend", page="/demos?older=1", expires="400d")
    assert r.status_code == 400
    assert "more than 365 days" in row(r.get_data(as_text=True), link.link_id)


def test_extend_needs_csrf_and_a_signed_in_rep(client, svc):
    link = stored_link(svc, exp_in=-30)
    r = client.post(f"/demos/links/{link.link_id}/extend", data={"expires": "7d"})
    assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login"
    sign_in(client)
    assert client.post(f"/demos/links/{link.link_id}/extend", data={"expires": "7d"}).status_code == 400
    assert LinkStore(svc.calllog.engine).get(link.link_id).status == "expired"


# -- the index ------------------------------------------------------------------------------


def test_the_index_shows_owner_status_and_a_made_link_records_its_owner(client, svc):
    stored_link(svc, owner="ann@example.com")
    sign_in(client)
    r = post_form(client, "/demos/alpenblick/links", label="Made here", var_name="Jonas")
    assert r.status_code == 302
    made = next(link for link in svc.calllog.links() if link.label == "Made here")
    assert made.owner and made.created_by == "web" and made.status == "active"
    html = client.get("/demos").get_data(as_text=True)
    mine = row(html, made.link_id)
    assert f'data-col="owner">{made.owner}</td>' in mine and "active until" in mine
    assert "ann@example.com" in html


def test_make_link_refuses_a_variable_the_demo_no_longer_has(client, svc):
    # A page opened before another rep renamed the demo's variable (name → first_name) posts
    # var_name: the link was made without it, labelled "link", the prospect's name silently dropped.
    sign_in(client)
    page = client.get("/demos").get_data(as_text=True)
    svc.demos.save("alpenblick", svc.demos.tables()["alpenblick"] | {"variables": {"first_name": 60}}, "bob")
    r = client.post(
        "/demos/alpenblick/links",
        data={"csrf": csrf(page), "label": "", "var_name": "Maria Huber", "expires": "3d"},
    )
    assert r.status_code == 400
    assert svc.calllog.links("alpenblick") == []
    html = r.get_data(as_text=True)
    form = re.search(r'<form class="link-form"[^>]*action="/demos/alpenblick/links".*?</form>', html, re.S)
    said = re.search(r'class="form-error" role="alert">(.*?)</p>', form.group(0), re.S).group(1)
    # The reason names what changed and what the demo has now, with what was typed to copy over.
    assert "The demo&#39;s variables changed since this page was opened" in said
    assert "name (“Maria Huber”)" in said and "now: first_name" in said
    assert 'name="var_first_name"' in form.group(0) and 'name="expires" value="3d"' in form.group(0)
    # An empty field of a variable gone is nothing to lose: the link is made.
    r = client.post("/demos/alpenblick/links", data={"csrf": csrf(page), "label": "Jo", "var_name": " "})
    assert r.status_code == 302 and [link.label for link in svc.calllog.links("alpenblick")] == ["Jo"]


def test_a_link_the_database_cannot_record_is_not_handed_out(client, svc):
    # It was flashed as "made but could not be saved", with its URL shown nowhere; shared some other
    # way it could never be revoked, extended or counted. Not made; the rep's typing is not lost.
    sign_in(client)
    page = client.get("/demos").get_data(as_text=True)
    with svc.calllog.engine.begin() as db:
        db.execute(text("ALTER TABLE webcall_links RENAME TO webcall_links_away"))
    r = client.post(
        "/demos/alpenblick/links", data={"csrf": csrf(page), "label": "Made here", "var_name": "Jonas"}
    )
    assert r.status_code == 503
    html = r.get_data(as_text=True)
    assert "The link was not made: the database could not record it. Try again." in html
    assert "#link=" not in html and "is-new" not in html
    form = re.search(r'<form class="link-form"[^>]*action="/demos/alpenblick/links".*?</form>', html, re.S)
    assert 'value="Made here"' in form.group(0) and 'value="Jonas"' in form.group(0)


def test_xss_in_labels_and_variables_is_inert_on_every_studio_page(client, svc, standin):
    link = stored_link(svc, label=XSS, name=XSS[:60])
    created = create(client, link.token).get_json()
    sign_in(client)
    pages = [
        "/demos",
        f"/demos/links/{link.link_id}/revoke",
        "/demos/calls",
        f"/demos/calls?link={link.link_id}",
        f"/demos/calls/{created['call_id']}",
    ]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)" in html, path


# -- the migration --------------------------------------------------------------------------


def test_links_and_calls_from_before_revision_0002_survive_it(tmp_path):
    old = engine_for("sqlite:///webcall.sqlite3", tmp_path)
    made = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    with old.begin() as db:
        from alembic import command

        command.upgrade(schema.config(db), "0001_call_log")
        db.execute(
            text(
                "INSERT INTO webcall_links (link_id, demo, label, variables, token, created_at, expires_at,"
                " created_by) VALUES ('old-link', 'acme', 'Old', '{\"name\": \"Jo\"}', 'tok', :made,"
                " :expires, 'cli')"
            ),
            {"made": made, "expires": datetime(2099, 1, 1, tzinfo=UTC)},
        )
        db.execute(
            insert(calls).values(
                call_id="c-old",
                demo="acme",
                link_id="old-link",
                mode="voice",
                outcome="created",
                created_at=made,
            )
        )

    log = CallLog.open("sqlite:///webcall.sqlite3", tmp_path)

    [kept] = log.links()
    assert (kept.link_id, kept.label, dict(kept.variables), kept.token) == (
        "old-link",
        "Old",
        {"name": "Jo"},
        "tok",
    )
    assert kept.owner == "cli" and kept.revoked_at is None and kept.status == "active"
    assert [c.call_id for c in log.calls()] == ["c-old"]
    with log.engine.connect() as db:
        assert schema.current(db) == schema.heads()  # through 0002_links to the newest
        assert db.execute(select(links.c.owner)).scalars().all() == ["cli"]
    assert LinkStore(log.engine).revoke("old-link", by="ann@example.com").status == "revoked"


# -- a deleted demo ---------------------------------------------------------------------------


def test_deleting_a_demo_ends_its_links_even_when_the_slug_comes_back(client, svc, standin):
    link = stored_link(svc)
    kept = svc.demos.tables()["alpenblick"]
    sign_in(client)
    r = post_form(client, "/demos/alpenblick/delete", page="/demos/alpenblick/delete")
    assert r.status_code == 302
    svc.demos.save("alpenblick", kept, by="rep@example.com")  # another demo under the same name

    r = check(client, link.token)
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_revoked"
    r = create(client, link.token)
    assert r.status_code == 410 and standin.creates() == []
    assert LinkStore(svc.calllog.engine).get(link.link_id).revoked_by == "demo deleted by rep@example.com"


def test_a_demo_removed_by_an_import_with_replace_ends_its_links(svc):
    gone = stored_link(svc)
    kept = link_for(svc, "northwind")  # a link of a demo the import keeps works on
    svc.calllog.add_link(kept, "Northwind", created_by="web", owner="ann@example.com")
    tables = svc.demos.tables()
    svc.demos.write({k: v for k, v in tables.items() if k != "alpenblick"}, "import:a.toml", replace_all=True)
    svc.demos.write({"alpenblick": tables["alpenblick"]}, "import:b.toml")
    assert svc.links.check(gone.token, "alpenblick").status.value == "revoked"
    assert svc.links.check(kept.token, "northwind").status.value == "valid"
    assert LinkStore(svc.calllog.engine).get(gone.link_id).revoked_by == "demo deleted by import:a.toml"


def test_a_variable_the_demo_no_longer_allows_is_marked_on_its_link(client, svc):
    # A link's variables are checked against the demo at each call: shortened or removed, one is left
    # out of every call while /demos showed the link with it, and no rep could tell (a studio audit).
    link = stored_link(svc, name="Maria Magdalena")
    sign_in(client)
    assert "not sent" not in row(client.get("/demos").get_data(as_text=True), link.link_id)
    svc.demos.save("alpenblick", svc.demos.tables()["alpenblick"] | {"variables": {"name": 10}}, "bob")
    shown = row(client.get("/demos").get_data(as_text=True), link.link_id)
    assert "<code>name=Maria Magdalena</code>" in shown
    assert "not sent to the agent: longer than 10 characters" in shown


def top_alerts(html: str) -> list[str]:
    """The alerts above the demos' cards (the page's own, not a row's or a form's)."""
    head = html.split('<section class="demo-card"', 1)[0]
    return [" ".join(text.split()) for text in re.findall(r'role="alert"[^>]*>(.*?)</p>', head, re.S)]


def test_a_tab_opened_before_the_demo_was_deleted_is_told_why_at_the_top(client, svc):
    # Another rep deleted the demo: Extend answered 409 with its reason tied to a row no longer drawn
    # (the page came back unchanged), and Make link a bare "There is no page here".
    link = stored_link(svc, label="Jim")
    sign_in(client)
    page = client.get("/demos").get_data(as_text=True)
    assert svc.demos.delete("alpenblick", by="bob@example.com")

    r = client.post(f"/demos/links/{link.link_id}/extend", data={"csrf": csrf(page), "expires": "14d"})
    assert r.status_code == 409
    [said] = top_alerts(r.get_data(as_text=True))
    why = "its demo alpenblick was deleted by bob@example.com on <time"
    assert said.startswith(f"The link “Jim” was not changed: {why}") and "which ended its links" in said
    assert LinkStore(svc.calllog.engine).get(link.link_id).status == "revoked"

    form = {"csrf": csrf(page), "label": "Jim 2", "var_name": "Jim", "expires": "7d"}
    r = client.post("/demos/alpenblick/links", data=form)
    assert r.status_code == 409
    [said] = top_alerts(r.get_data(as_text=True))
    assert said.startswith("No link was made: the demo alpenblick was deleted by bob@example.com on <time")
    assert [stored.label for stored in svc.calllog.links("alpenblick")] == ["Jim"]


def test_make_link_on_a_demo_gone_without_links_still_says_why(client, svc):
    sign_in(client)
    page = client.get("/demos").get_data(as_text=True)
    assert svc.demos.delete("alpenblick", by="bob@example.com")  # it had no link to tell who
    r = client.post("/demos/alpenblick/links", data={"csrf": csrf(page), "label": "Jo", "expires": "7d"})
    assert r.status_code == 409
    assert top_alerts(r.get_data(as_text=True)) == [
        "No link was made: the demo alpenblick is not served any more (deleted since this page was opened)."
    ]
    assert svc.calllog.links("alpenblick") == []
