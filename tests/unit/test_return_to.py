"""A rep whose session ended, or whose form expired, is taken back to the page they were on
(webcall/return_to.py, webcall/auth.py), and a crafted `next` takes nobody anywhere else."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import ADMIN_EMAIL, REP_EMAIL, SALES_PASSWORD, csrf, sign_in
from .demo_editor_helpers import VALID, page_token, post_form


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def end_sessions(app, email: str = REP_EMAIL) -> None:
    """The account's sessions end elsewhere (signed out in another tab, or the session ran out)."""
    svc = app.extensions["webcall"]
    svc.sessions.end_all(svc.accounts.by_email(email).id)


def next_of(location: str) -> str | None:
    parts = urlsplit(location)
    assert parts.path == "/demos/login", location
    return parse_qs(parts.query).get("next", [None])[0]


def sign_in_from(client, location: str):
    """Sign in on the sign-in page at `location` (as the browser was sent there)."""
    page = client.get(location).get_data(as_text=True)
    return client.post(location, data={"email": REP_EMAIL, "password": SALES_PASSWORD, "csrf": csrf(page)})


@pytest.mark.parametrize("path", ["/demos/calls?demo=alpenblick", "/demos/alpenblick/edit", "/demos/new"])
def test_a_rep_signed_out_meanwhile_signs_in_and_is_back_on_the_page(app, rep, path):
    end_sessions(app)
    r = rep.get(path)
    assert r.status_code == 302 and next_of(r.location) == path
    assert "Sign in to go on where you were." in rep.get(r.location).get_data(as_text=True)
    signed_in = sign_in_from(rep, r.location)
    assert signed_in.status_code == 302 and signed_in.location == path


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page(app, rep):
    # The editor's own address opens again with GET, so the rep lands on it after signing in (where
    # the editor offers what was typed in the tab); an action such as making a link does not.
    token = page_token(rep, "/demos/alpenblick/edit")
    end_sessions(app)
    r = post_form(rep, "/demos/alpenblick/edit", {**VALID, "title": "Typed meanwhile"}, token=token)
    assert r.status_code == 302 and next_of(r.location) == "/demos/alpenblick/edit"
    assert sign_in_from(rep, r.location).location == "/demos/alpenblick/edit"
    end_sessions(app)
    r = rep.post("/demos/alpenblick/links", data={"csrf": token})
    assert r.status_code == 302 and next_of(r.location) is None
    # ... but the sign-in page says the action was not done (it was a bare sign-in page: a link the rep
    # thought made, an extend or a revoke, gone without a word).
    said = rep.get(r.location).get_data(as_text=True)
    assert "You were signed out, so that was not done: sign in and do it again." in said
    assert "Sign in to go on where you were." not in said


NOT_DONE = "You were signed out, so that was not done: sign in and do it again."


@pytest.mark.parametrize(
    ("path", "form", "admin"),
    [
        ("/demos/notifications", {"webhook_url": "https://hooks.example.com/typed", "email_on": "y"}, False),
        (
            "/demos/account",
            {"current": SALES_PASSWORD, "password": "a new one!", "again": "a new one!"},
            False,
        ),
        ("/demos/reps", {"email": "new@example.com", "password": "a long password", "role": "rep"}, True),
    ],
)
def test_a_form_posted_to_its_own_page_after_the_session_ended_says_it_was_not_done(app, path, form, admin):
    # Such a page opens again with GET, so the sign-in page led back to it with only "Sign in to go on
    # where you were.": the rep's saved webhook URL or new password looked done, and was not.
    email = ADMIN_EMAIL if admin else REP_EMAIL
    client = app.test_client()
    sign_in(client, email, role="admin" if admin else "rep")
    token = page_token(client, path)
    end_sessions(app, email)
    r = client.post(path, data={**form, "csrf": token})
    assert r.status_code == 302 and next_of(r.location) == path
    said = client.get(r.location).get_data(as_text=True)
    assert NOT_DONE in said and "Sign in to go on where you were." not in said
    signed_in = client.post(r.location, data={"email": email, "password": SALES_PASSWORD, "csrf": csrf(said)})
    assert signed_in.status_code == 302 and signed_in.location == path  # back on the page to do it again
    assert NOT_DONE not in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    "crafted",
    [
        "https://evil.example/demos",
        "//evil.example/demos",
        "/\\evil.example",
        "/demos\\@evil.example",
        "/demosx",  # no such page
        "/demo/alpenblick",  # a page, but not the studio's
        "/demos/logout",
        "/demos/login",
        "/demos/links/abc/extend",  # POST only
        "/demos/%0d%0aSet-Cookie:x=1",
        "javascript:alert(1)",
        "/demos/" + "a" * 3000,
    ],
)
def test_a_crafted_next_leads_only_to_the_studio_index(app, crafted):
    client = app.test_client()
    location = f"/demos/login?next={crafted}"
    page = client.get(location).get_data(as_text=True)
    assert "evil" not in page and "Sign in to go on" not in page
    r = client.post(location, data={"email": REP_EMAIL, "password": "wrong", "csrf": csrf(page)})
    assert "evil" not in r.get_data(as_text=True)
    sign_in(client)  # a fresh sign-in page and the right password: the same rule
    r = sign_in_from(client.application.test_client(), location)
    assert r.status_code == 302 and r.location == "/demos"


def test_an_expired_form_is_a_page_that_leads_back(app, rep):
    # The rep signed in again in another tab: the form's token belongs to the old session.
    token = page_token(rep, "/demos/alpenblick/edit")
    end_sessions(app)
    sign_in(rep)
    r = post_form(rep, "/demos/alpenblick/edit", {**VALID, "title": "Typed meanwhile"}, token=token)
    assert r.status_code == 400 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "<h1>The form expired</h1>" in page and 'href="/demos/alpenblick/edit">Open the page again' in page
    r = rep.post("/demos/alpenblick/links", data={"csrf": token})
    assert r.status_code == 400 and 'href="/demos">Open the page again' in r.get_data(as_text=True)


def test_a_sign_out_from_an_old_page_offers_a_working_sign_out(app, rep):
    # Signed in again in another tab: the old page's Sign out carries the old session's token. It must
    # not look done while the rep is still signed in.
    token = page_token(rep, "/demos/calls")
    end_sessions(app)
    sign_in(rep)
    r = rep.post("/demos/logout", data={"csrf": token})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "<h1>You are still signed in</h1>" in page
    assert rep.get("/demos/calls").status_code == 200  # still signed in, as the page says
    r = rep.post("/demos/logout", data={"csrf": csrf(page)})  # the page's own Sign out button
    assert r.status_code == 302
    assert next_of(rep.get("/demos/calls").location) == "/demos/calls"  # signed out
