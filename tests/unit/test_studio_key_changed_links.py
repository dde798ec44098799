"""A share link whose key was removed is shown as stopped in the studio (docs/operations.md, "Rotating
secrets"; docs/sales.md, "Links in the studio").

A link's token is signed with WEBCALL_SECRET_KEY; once its key is neither the current key nor in
WEBCALL_SECRET_KEY_FALLBACKS, the token opens nothing (403 link_invalid), yet /demos listed the link
as "active until …" with its URL to copy and an Extend form: a rep sent a dead link again. The apps
here share one database (make_sales_app's), as a restart of the same deployment does.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest

from tests.share_links import old_token
from webcall.link_store import LinkStore

from .conftest import csrf, link_for, sign_in

pytestmark = pytest.mark.unit

OLD_KEY = "old-secret-key-" + "a1" * 12
NEW_KEY = "new-secret-key-" + "b2" * 12
STOPPED = "stopped: the site's key changed — make a new link"


def made_under_old_key(make_sales_app, label: str = "Maria at Alpenblick", exp_in: int = 3600):
    svc = make_sales_app(secret_key=OLD_KEY).extensions["webcall"]
    link = link_for(svc, exp_in=exp_in, name="Maria")
    svc.calllog.add_link(link, label, created_by="web", owner="ann@example.com")
    return link


def row(html: str, link_id: str) -> str:
    found = re.search(rf'<tr id="link-{link_id}".*?</tr>', html, re.S)
    assert found, html
    return found.group(0)


def status_cell(html_row: str) -> str:
    cell = re.search(r'<td data-col="status">(.*?)</td>', html_row, re.S).group(1)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split())


def studio(app):
    client = app.test_client()
    sign_in(client)
    return client


def test_a_link_whose_key_was_removed_shows_as_stopped_without_its_url(make_sales_app):
    link = made_under_old_key(make_sales_app)
    client = studio(make_sales_app(secret_key=NEW_KEY))
    # What the prospect meets: the link opens nothing.
    refused = client.post("/api/demos/alpenblick/link", json={"link": link.token})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "link_invalid"

    mine = row(client.get("/demos").get_data(as_text=True), link.link_id)
    assert status_cell(mine) == STOPPED  # in words, not only in the row's fading
    assert 'data-status="key_changed"' in mine and "is-expired" in mine
    # Neither its dead URL to copy nor an Extend that could not make it open again; Revoke stays.
    assert link.token not in mine and "Copy link" not in mine and "Extend" not in mine
    assert f"/demos/links/{link.link_id}/revoke" in mine


def test_with_the_old_key_as_a_fallback_the_link_is_active(make_sales_app):
    link = made_under_old_key(make_sales_app)
    client = studio(make_sales_app(secret_key=NEW_KEY, secret_key_fallbacks=(OLD_KEY,)))
    mine = row(client.get("/demos").get_data(as_text=True), link.link_id)
    assert status_cell(mine).startswith("active until") and 'data-status="active"' in mine
    assert link.token in mine and "Extend" in mine


def test_a_link_made_under_the_new_key_stays_active_beside_a_stopped_one(make_sales_app):
    old = made_under_old_key(make_sales_app)
    app = make_sales_app(secret_key=NEW_KEY)
    svc = app.extensions["webcall"]
    new = link_for(svc, name="Jonas")
    svc.calllog.add_link(new, "Jonas", created_by="web", owner="ann@example.com")
    html = studio(app).get("/demos").get_data(as_text=True)
    assert status_cell(row(html, new.link_id)).startswith("active until")
    assert status_cell(row(html, old.link_id)) == STOPPED


def test_an_expired_link_under_a_removed_key_says_stopped_not_expired(make_sales_app):
    # Extending it would change its row, not its token: it still would not open.
    link = made_under_old_key(make_sales_app, exp_in=-60)
    mine = row(studio(make_sales_app(secret_key=NEW_KEY)).get("/demos").get_data(as_text=True), link.link_id)
    assert status_cell(mine) == STOPPED and "Extend" not in mine


def test_a_revoked_link_under_a_removed_key_still_says_revoked(make_sales_app):
    link = made_under_old_key(make_sales_app)
    app = make_sales_app(secret_key=NEW_KEY)
    LinkStore(app.extensions["webcall"].calllog.engine).revoke(link.link_id, by="ann@example.com")
    mine = row(studio(app).get("/demos").get_data(as_text=True), link.link_id)
    assert status_cell(mine).startswith("revoked") and 'data-status="revoked"' in mine


def test_extending_a_link_whose_key_was_removed_is_refused_in_its_row(make_sales_app):
    link = made_under_old_key(make_sales_app)
    app = make_sales_app(secret_key=NEW_KEY)
    before = LinkStore(app.extensions["webcall"].calllog.engine).get(link.link_id).expires_at
    client = studio(app)
    token = csrf(client.get("/demos").get_data(as_text=True))
    r = client.post(f"/demos/links/{link.link_id}/extend", data={"csrf": token, "expires": "2w"})
    assert r.status_code == 409
    mine = row(r.get_data(as_text=True), link.link_id)
    said = unescape(mine)
    assert 'role="alert"' in mine and "the site's key changed" in said and "make a new link" in said
    assert LinkStore(app.extensions["webcall"].calllog.engine).get(link.link_id).expires_at == before


@pytest.mark.parametrize("key, shown", [(NEW_KEY, "active until"), (OLD_KEY, STOPPED)])
def test_an_old_form_link_is_judged_by_its_signature_too(make_sales_app, key, shown):
    # Tokens from before they named only their link (`{slug, link_id, vars, exp}`, tests/share_links.py).
    app = make_sales_app(secret_key=NEW_KEY)
    svc = app.extensions["webcall"]
    link = link_for(svc, name="Maria")
    old = replace(link, token=old_token(key, "alpenblick", {"name": "Maria"}, link.exp, link.link_id))
    svc.calllog.add_link(old, "Maria", created_by="web", owner="ann@example.com")
    assert status_cell(row(studio(app).get("/demos").get_data(as_text=True), link.link_id)).startswith(shown)
