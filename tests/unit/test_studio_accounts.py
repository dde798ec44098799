"""Studio accounts through the browser's side (Flask's test client): sign-in and its refusals,
sessions that end on sign-out, disable and password change, the lockout, CSRF on every accounts
form, the admin page and who may reach it, inert XSS payloads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import login_user

from webcall import known_browsers
from webcall.auth import StudioUser, current_owner
from webcall.known_browsers import COOKIE as KNOWN_COOKIE
from webcall.lockout import LOCK_AFTER, LOCK_MINUTES, THROTTLE_AFTER, THROTTLE_SECONDS
from webcall.sessions import SignedIn

from .conftest import ADMIN_EMAIL, REP_EMAIL, SALES_PASSWORD, csrf, ready_account, sign_in

pytestmark = pytest.mark.unit

COOKIE = "webcall_session"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def post_login(client, email: str, password: str, **environ):
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    return client.post(
        "/demos/login",
        data={"email": email, "password": password, "csrf": token},
        environ_base=environ,
    )


def page_token(client, path: str = "/demos") -> str:
    return csrf(client.get(path).get_data(as_text=True))


# -- signing in ----------------------------------------------------------------------------


def test_the_first_admin_comes_from_the_settings_and_signs_in(app, svc):
    assert [(a.email, a.role) for a in svc.accounts.all()] == [(ADMIN_EMAIL, "admin")]
    client = app.test_client()
    r = post_login(client, ADMIN_EMAIL.upper(), SALES_PASSWORD)
    assert r.status_code == 302 and r.headers["Location"] == "/demos"
    assert client.get("/demos/login").headers["Location"] == "/demos"  # signed in: no form again


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app, svc):
    ready_account(app)
    wrong = post_login(app.test_client(), REP_EMAIL, "not the password")
    unknown = post_login(app.test_client(), "nobody@example.com", "not the password")
    for r in (wrong, unknown):
        html = r.get_data(as_text=True)
        assert r.status_code == 401
        assert re.search(r'id="password-error" role="alert">That email and password do not match\.<', html)
        assert 'aria-describedby="password-error"' in html
    assert svc.lockout.get(REP_EMAIL).count == 1 and svc.lockout.get("nobody@example.com").count == 1


def test_missing_fields_get_a_message_next_to_each(app):
    client = app.test_client()
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"csrf": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="email-error" role="alert">Enter your email address.<' in html
    assert 'id="password-error" role="alert">Enter your password.<' in html


def test_a_disabled_account_cannot_sign_in(app, svc):
    account = ready_account(app)
    svc.accounts.set_disabled(account.id, True)
    r = post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD)
    assert r.status_code == 403 and "This account is disabled" in r.get_data(as_text=True)


def test_the_owner_of_what_a_rep_makes_is_their_email(app, svc):
    account = ready_account(app)
    with app.test_request_context("/demos"):
        assert current_owner() == "web"
        login_user(StudioUser(SignedIn("token", account)))
        assert current_owner() == REP_EMAIL


# -- sessions end for real -------------------------------------------------------------------


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app):
    client = app.test_client()
    sign_in(client)
    copied = client.get_cookie(COOKIE).value
    assert client.post("/demos/logout", data={"csrf": page_token(client)}).status_code == 302
    assert client.get("/demos").status_code == 302
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)  # the cookie as it was while signed in
    r = thief.get("/demos")
    assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login"


def test_disabling_a_rep_ends_their_open_sessions_on_the_next_request(app, svc, admin):
    phone, laptop = app.test_client(), app.test_client()
    rep = sign_in(phone)
    sign_in(laptop)
    assert phone.get("/demos").status_code == 200
    r = admin.post(f"/demos/reps/{rep.id}/disable", data={"csrf": page_token(admin, "/demos/reps")})
    assert r.status_code == 303
    assert phone.get("/demos").status_code == 302 and laptop.get("/demos").status_code == 302
    assert "has ended" in admin.get("/demos/reps").get_data(as_text=True)


def test_a_password_reset_ends_every_session_and_the_old_password(app, svc, admin):
    client = app.test_client()
    rep = sign_in(client)
    token = page_token(admin, "/demos/reps")
    r = admin.post(f"/demos/reps/{rep.id}/password", data={"csrf": token, "password": "the new password!"})
    assert r.status_code == 303
    assert client.get("/demos").status_code == 302
    assert post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD).status_code == 401
    assert post_login(app.test_client(), REP_EMAIL, "the new password!").status_code == 302


def test_a_password_reset_lifts_the_lock_of_the_reps_own_browser_too(app, svc, admin):
    # A rep who forgot their password locks their own (known) browser with their guesses: its failures
    # count under its own key (webcall/known_browsers.py). The admin's reset, which lifts a lock, lifted
    # only the email's, so the rep stayed locked out at their desk with the new password.
    desk = app.test_client()
    rep = sign_in(desk)
    desk.post("/demos/logout", data={"csrf": page_token(desk)})
    # (each guess from an address of its own: the per-IP sign-in limit is not what this is about)
    answers = [
        post_login(desk, REP_EMAIL, f"forgotten {i}", REMOTE_ADDR=f"198.51.100.{i}").status_code
        for i in range(LOCK_AFTER)
    ]
    assert answers[-1] == 429, answers
    token = page_token(admin, "/demos/reps")
    r = admin.post(f"/demos/reps/{rep.id}/password", data={"csrf": token, "password": "the new password!"})
    assert r.status_code == 303
    assert post_login(desk, REP_EMAIL, "the new password!", REMOTE_ADDR="198.51.100.99").status_code == 302


def test_an_admin_resetting_their_own_password_is_signed_out_too(app, svc, admin):
    me = svc.accounts.by_email(ADMIN_EMAIL)
    token = page_token(admin, "/demos/reps")
    r = admin.post(f"/demos/reps/{me.id}/password", data={"csrf": token, "password": "the new password!"})
    assert r.status_code == 303 and r.headers["Location"].partition("?")[0] == "/demos/login"
    assert admin.get("/demos").status_code == 302


def test_changing_ones_own_password_ends_every_other_session(app, svc):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here)
    sign_in(elsewhere)
    page = here.get("/demos/account")
    assert page.status_code == 200 and 'aria-current="page"' in page.get_data(as_text=True)
    token = csrf(page.get_data(as_text=True))
    wrong = here.post(
        "/demos/account",
        data={
            "csrf": token,
            "current": "not it at all",
            "password": "my new password",
            "again": "my new password",
        },
    )
    assert wrong.status_code == 400
    assert 'id="current-error" role="alert">That is not your current password.<' in wrong.get_data(
        as_text=True
    )
    short = here.post(
        "/demos/account",
        data={"csrf": token, "current": SALES_PASSWORD, "password": "short", "again": "short"},
    )
    assert short.status_code == 400 and 'id="password-error"' in short.get_data(as_text=True)
    # The same password again changed nothing but signed out every other browser, saying "changed".
    same = here.post(
        "/demos/account",
        data={"csrf": token, "current": SALES_PASSWORD, "password": SALES_PASSWORD, "again": SALES_PASSWORD},
    )
    assert same.status_code == 400
    assert (
        'id="password-error" role="alert">That is your current password; choose a new one.<'
        in same.get_data(as_text=True)
    )
    assert elsewhere.get("/demos").status_code == 200
    r = here.post(
        "/demos/account",
        data={
            "csrf": token,
            "current": SALES_PASSWORD,
            "password": "my new password",
            "again": "my new password",
        },
    )
    assert r.status_code == 303
    assert "every other session of your account has ended" in here.get("/demos/account").get_data(
        as_text=True
    )
    assert here.get("/demos").status_code == 200  # this browser got a fresh session
    assert elsewhere.get("/demos").status_code == 302
    assert svc.accounts.verify(REP_EMAIL, "my new password") is not None


def test_a_new_password_typed_differently_twice_is_refused_and_nothing_changes(app, svc):
    # One hidden field: a typo in the new password went unseen, and after the session's 12 h the rep
    # could not sign in (there is no forgot password, only an admin's reset).
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here)
    sign_in(elsewhere)
    page = here.get("/demos/account").get_data(as_text=True)
    assert '<label for="again">New password again</label>' in page
    assert re.search(r'<input id="again" name="again" type="password" autocomplete="new-password"', page)
    r = here.post(
        "/demos/account",
        data={
            "csrf": csrf(page),
            "current": SALES_PASSWORD,
            "password": "my new password",
            "again": "my new pasword",
        },
    )
    assert r.status_code == 400
    said = r.get_data(as_text=True)
    assert 'id="again-error" role="alert">The two new passwords differ: type the same one twice.<' in said
    assert (
        'id="again" name="again" type="password" autocomplete="new-password" required aria-invalid="true"'
        in said
    )
    assert svc.accounts.verify(REP_EMAIL, SALES_PASSWORD) is not None  # nothing changed
    assert svc.accounts.verify(REP_EMAIL, "my new password") is None
    assert elsewhere.get("/demos").status_code == 200  # no session ended


def test_the_sign_in_page_says_what_to_do_about_a_forgotten_password(app, admin):
    # It had no word on it: a rep who forgot the password had nowhere to turn. What it names is what
    # an admin can do: set a new password on the Reps page.
    page = app.test_client().get("/demos/login").get_data(as_text=True)
    assert (
        "Forgot your password? Ask an admin of this studio to set a new one for you: admins can do it on "
        "the studio's Reps page." in page
    )
    reps = admin.get("/demos/reps").get_data(as_text=True)
    assert "New password for" in reps and ">Reset</button>" in reps


# -- lockout -------------------------------------------------------------------------------


def test_a_locked_account_says_so_and_when_it_unlocks(app, svc):
    ready_account(app)
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    for _ in range(LOCK_AFTER - 1):
        svc.lockout.record_failure(REP_EMAIL, earlier)
    r = post_login(app.test_client(), REP_EMAIL, "one more guess")
    html = r.get_data(as_text=True)
    assert r.status_code == 429
    # In minutes: a clock time in UTC was the one time in the studio not in the rep's own zone.
    assert (
        f"This account is locked after {LOCK_AFTER} failed sign-ins. It unlocks in {LOCK_MINUTES} minutes."
        in html
    )
    assert "UTC" not in html
    # Even the right password waits for the lock (from another address: per account, not per IP).
    right = post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert right.status_code == 429 and "locked" in right.get_data(as_text=True)
    assert 60 <= int(right.headers["Retry-After"]) <= LOCK_MINUTES * 60  # the seconds until it unlocks
    # An unknown email locks the same way: the answer tells nothing about which emails exist.
    for _ in range(LOCK_AFTER - 1):
        svc.lockout.record_failure("nobody@example.com", earlier)
    ghost = post_login(app.test_client(), "nobody@example.com", "guess", REMOTE_ADDR="198.51.100.10")
    assert ghost.status_code == 429 and "This account is locked" in ghost.get_data(as_text=True)


def test_repeated_failures_are_throttled_first(app, svc):
    ready_account(app)
    for _ in range(3):
        svc.lockout.record_failure(REP_EMAIL)
    r = post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD)
    assert r.status_code == 429 and "Try again in" in r.get_data(as_text=True)
    assert 1 <= int(r.headers["Retry-After"]) <= THROTTLE_SECONDS


def test_signing_in_clears_the_failures(app, svc):
    ready_account(app)
    svc.lockout.record_failure(REP_EMAIL)
    assert post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD).status_code == 302
    assert svc.lockout.get(REP_EMAIL) is None


def test_a_stranger_who_locks_an_account_does_not_lock_out_its_reps_own_browser(app, svc):
    # Anyone who knows a rep's email (no secret) could lock the account for good: five wrong passwords
    # from a few addresses, one more every 15 minutes. A browser that signed in as that rep before is
    # known (a signed cookie) and keeps its own count, so the rep at their desk still signs in.
    ready_account(app)
    desk = app.test_client()
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 302
    desk.post("/demos/logout", data={"csrf": page_token(desk)})
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    for email in (REP_EMAIL, ADMIN_EMAIL):  # the stranger's guesses, from addresses of its own
        for _ in range(LOCK_AFTER - 1):
            svc.lockout.record_failure(email, earlier)
        guess = post_login(app.test_client(), email, "one more guess", REMOTE_ADDR="203.0.113.7")
        assert guess.status_code == 429 and "locked" in guess.get_data(as_text=True)
    # An unknown browser is locked out, even with the right password...
    stranger = post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD, REMOTE_ADDR="203.0.113.99")
    assert stranger.status_code == 429
    # ...the rep's own browser is not; and its cookie is no key to another account.
    assert post_login(desk, ADMIN_EMAIL, SALES_PASSWORD).status_code == 429
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 302
    # A known browser's own failures count on their own, with the same throttle and lock.
    desk.post("/demos/logout", data={"csrf": page_token(desk)})
    known = desk.get_cookie(KNOWN_COOKIE, path="/demos")
    assert known is not None and known.http_only and known.path == "/demos"  # the sign-in, the account page
    answers = [post_login(desk, REP_EMAIL, f"typo {i}").status_code for i in range(LOCK_AFTER)]
    assert answers[:3] == [401, 401, 401] and answers[-1] == 429, answers
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 429


# The account page checks the current password as the sign-in does, with the same lock; the known
# browser's cookie was sent only to /demos/login, so there the rep's own browser counted under the email
# like a stranger's: locked by strangers' guesses, and its own typos held every other browser.


def test_a_stranger_who_locks_an_account_does_not_stop_its_rep_changing_their_password(app, svc):
    ready_account(app)
    desk = app.test_client()
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 302
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    for _ in range(LOCK_AFTER - 1):  # a stranger's guesses, from addresses of its own
        svc.lockout.record_failure(REP_EMAIL, earlier)
    guess = post_login(app.test_client(), REP_EMAIL, "one more guess", REMOTE_ADDR="203.0.113.7")
    assert guess.status_code == 429 and "locked" in guess.get_data(as_text=True)
    changed = desk.post(
        "/demos/account",
        data={
            "csrf": page_token(desk, "/demos/account"),
            "current": SALES_PASSWORD,
            "password": "a new one!",
            "again": "a new one!",
        },
    )
    assert changed.status_code == 303, changed.get_data(as_text=True)[-400:]
    assert svc.accounts.verify(REP_EMAIL, "a new one!") is not None


def test_a_reps_typos_on_the_account_page_count_against_their_own_browser_only(app, svc):
    ready_account(app)
    desk = app.test_client()
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 302
    token = page_token(desk, "/demos/account")
    for i in range(THROTTLE_AFTER):
        typo = desk.post(
            "/demos/account",
            data={
                "csrf": token,
                "current": f"typo {i}",
                "password": "my new password",
                "again": "my new password",
            },
        )
        assert "That is not your current password." in typo.get_data(as_text=True)
    # The desk is held by them, as its own failures count on its own...
    held = desk.post(
        "/demos/account",
        data={
            "csrf": token,
            "current": SALES_PASSWORD,
            "password": "my new password",
            "again": "my new password",
        },
    )
    assert held.status_code == 400 and "Try again in" in held.get_data(as_text=True)
    # ...another browser is not (it was throttled: the typos counted under the email).
    other = post_login(app.test_client(), REP_EMAIL, SALES_PASSWORD, REMOTE_ADDR="192.0.2.8")
    assert other.status_code == 302


def test_a_browser_known_before_the_cookie_moved_stays_known_and_gets_the_new_one(app, svc):
    # Until 2026-12-06 the cookie lived at /demos/login only; such a browser is still the rep's own.
    ready_account(app)
    desk = app.test_client()
    with app.test_request_context():
        old = known_browsers._serializer().dumps({"email": REP_EMAIL, "id": "0123456789abcdef"})
    desk.set_cookie(KNOWN_COOKIE, old, path=known_browsers.OLD_PATH)
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    for _ in range(LOCK_AFTER):  # strangers locked the email
        svc.lockout.record_failure(REP_EMAIL, earlier)
    assert post_login(desk, REP_EMAIL, SALES_PASSWORD).status_code == 302
    assert desk.get_cookie(KNOWN_COOKIE, path=known_browsers.OLD_PATH) is None  # gone with the sign-in
    assert desk.get_cookie(KNOWN_COOKIE, path=known_browsers.PATH) is not None


# -- CSRF on every accounts form -----------------------------------------------------------


def accounts_forms(rep_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/demos/logout", {}),
        ("/demos/reps", {"email": "new@example.com", "password": "a long password", "role": "rep"}),
        (f"/demos/reps/{rep_id}/disable", {}),
        (f"/demos/reps/{rep_id}/enable", {}),
        (f"/demos/reps/{rep_id}/password", {"password": "a long password"}),
        (f"/demos/reps/{rep_id}/role", {"role": "admin"}),
        (
            "/demos/account",
            {"current": SALES_PASSWORD, "password": "a long password", "again": "a long password"},
        ),
    ]


@pytest.mark.parametrize("forged", [None, "forged", "wrong-session"])
def test_every_accounts_form_refuses_without_its_csrf_token(app, svc, admin, forged):
    rep = ready_account(app)
    token = page_token(app.test_client(), "/demos/login") if forged == "wrong-session" else forged
    for path, data in accounts_forms(rep.id):
        body = data if token is None else {**data, "csrf": token}
        r = admin.post(path, data=body)
        assert r.status_code == 400, path
        refused = "You are still signed in" if path == "/demos/logout" else "The form expired"
        assert refused in r.get_data(as_text=True)
    login = app.test_client()
    login.get("/demos/login")
    assert (
        login.post("/demos/login", data={"email": REP_EMAIL, "password": SALES_PASSWORD}).status_code == 400
    )
    # nothing changed: no new account, the rep untouched, the admin still signed in
    assert [a.email for a in svc.accounts.all()] == [ADMIN_EMAIL, REP_EMAIL]
    assert svc.accounts.get(rep.id).role == "rep" and not svc.accounts.get(rep.id).disabled
    assert svc.accounts.verify(REP_EMAIL, SALES_PASSWORD) is not None
    assert admin.get("/demos").status_code == 200


# -- admin pages ---------------------------------------------------------------------------


def test_a_rep_never_reaches_the_admin_page(app, svc):
    client = app.test_client()
    rep = sign_in(client)
    assert 'href="/demos/reps"' not in client.get("/demos").get_data(as_text=True)
    r = client.get("/demos/reps")
    assert r.status_code == 403 and REP_EMAIL not in r.get_data(as_text=True)
    token = page_token(client)
    for path, data in accounts_forms(rep.id)[1:-1]:  # the last one is the rep's own account page
        assert client.post(path, data={**data, "csrf": token}).status_code == 403, path
    assert svc.accounts.get(rep.id).role == "rep" and len(svc.accounts.all()) == 2
    anonymous = app.test_client().get("/demos/reps")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].partition("?")[0] == "/demos/login"


def test_the_admin_page_lists_adds_and_changes_reps(app, svc, admin):
    page = admin.get("/demos/reps")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'data-email="{ADMIN_EMAIL}"' in html and 'aria-current="page">Reps<' in html
    form = {
        "csrf": csrf(html),
        "email": "Ann@Example.com",
        "name": "Ann",
        "role": "rep",
        "password": "ann's password",
    }
    r = admin.post("/demos/reps", data=form)
    assert r.status_code == 303
    ann = svc.accounts.by_email("ann@example.com")
    assert (ann.name, ann.role) == ("Ann", "rep") and svc.accounts.verify("ann@example.com", "ann's password")
    token = page_token(admin, "/demos/reps")
    assert admin.post(f"/demos/reps/{ann.id}/role", data={"csrf": token, "role": "admin"}).status_code == 303
    assert svc.accounts.get(ann.id).is_admin
    assert admin.post(f"/demos/reps/{ann.id}/disable", data={"csrf": token}).status_code == 303
    assert svc.accounts.get(ann.id).disabled
    assert admin.post(f"/demos/reps/{ann.id}/enable", data={"csrf": token}).status_code == 303
    assert not svc.accounts.get(ann.id).disabled


def test_the_admins_own_row_offers_no_disable(app, svc, admin):
    # It always answered "You cannot disable your own account."; a button that can only be refused
    # is not offered (the refusal stays for a form posted anyway).
    ann = svc.accounts.add("ann@example.com", "ann's password", role="rep")
    me = svc.accounts.by_email(ADMIN_EMAIL)
    html = admin.get("/demos/reps").get_data(as_text=True)
    assert f'action="/demos/reps/{ann.id}/disable"' in html
    assert f'action="/demos/reps/{me.id}/disable"' not in html
    assert "active (you)" in html


def test_bad_input_on_the_admin_page_is_one_message_next_to_its_field(app, svc, admin):
    token = page_token(admin, "/demos/reps")
    r = admin.post("/demos/reps", data={"csrf": token, "email": "nope", "password": "short", "role": "rep"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="add-email-error" role="alert">That is not an email address' in html
    assert 'id="add-password-error" role="alert">The password needs at least 10 characters.<' in html
    assert 'value="nope"' in html and 'value="short"' not in html  # the email kept, the password never echoed
    r = admin.post("/demos/reps", data={"csrf": token, "email": ADMIN_EMAIL, "password": "long enough!"})
    assert (
        r.status_code == 400
        and 'id="add-email-error" role="alert">There is already an account' in r.get_data(as_text=True)
    )
    me = svc.accounts.by_email(ADMIN_EMAIL)
    r = admin.post(f"/demos/reps/{me.id}/disable", data={"csrf": token})
    assert r.status_code == 400 and f'id="status-{me.id}-error"' in r.get_data(as_text=True)
    r = admin.post(f"/demos/reps/{me.id}/role", data={"csrf": token, "role": "rep"})
    assert r.status_code == 400 and "last active admin" in r.get_data(as_text=True)
    r = admin.post(f"/demos/reps/{me.id}/role", data={"csrf": token, "role": "owner"})
    assert r.status_code == 400 and f'id="role-{me.id}-error"' in r.get_data(as_text=True)
    r = admin.post(f"/demos/reps/{me.id}/password", data={"csrf": token, "password": "short"})
    assert r.status_code == 400 and f'id="password-{me.id}-error"' in r.get_data(as_text=True)
    assert admin.post("/demos/reps/99999/disable", data={"csrf": token}).status_code == 400
    assert svc.accounts.get(me.id).is_admin and not svc.accounts.get(me.id).disabled


def test_xss_payloads_in_names_and_emails_are_inert(app, svc, admin):
    email = '"><img/src=x/onerror=alert(1)>@evil.example'
    svc.accounts.add(email, SALES_PASSWORD, name=XSS)
    html = admin.get("/demos/reps").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<img/src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img/src=x/onerror=alert(1)&gt;@evil.example" in html
    # The payload rep signed in: the nav shows the email, escaped.
    client = app.test_client()
    assert post_login(client, email, SALES_PASSWORD).status_code == 302
    page = client.get("/demos").get_data(as_text=True)
    assert "<img/src=x" not in page and "&lt;img/src=x/onerror=alert(1)&gt;@evil.example" in page
    # What a visitor types into the sign-in form comes back escaped.
    r = post_login(app.test_client(), XSS, "whatever password")
    assert "<script>alert" not in r.get_data(as_text=True)


def account_actions(account_id: int | str) -> list[tuple[str, dict[str, str]]]:
    """The admin page's four forms for one account, each with a valid body."""
    return [
        (f"/demos/reps/{account_id}/disable", {}),
        (f"/demos/reps/{account_id}/enable", {}),
        (f"/demos/reps/{account_id}/password", {"password": "a long password"}),
        (f"/demos/reps/{account_id}/role", {"role": "admin"}),
    ]


@pytest.mark.parametrize("account_id", [2**63 - 1, 2**63, 2**64, 10**40])
def test_an_id_too_large_for_the_database_is_answered_like_an_unknown_id(app, svc, admin, account_id):
    # 2**63 - 1 is the largest id SQLite stores (not taken: unknown); beyond it SQLite raised OverflowError.
    rep = ready_account(app)
    before = svc.accounts.all()
    token = page_token(admin, "/demos/reps")
    unknown = {
        path.split("/")[-1]: admin.post(path, data={**data, "csrf": token})
        for path, data in account_actions(99999)
    }
    for path, data in account_actions(account_id):
        r = admin.post(path, data={**data, "csrf": token})
        known = unknown[path.split("/")[-1]]
        assert (r.status_code, known.status_code) == (400, 400), (path, r.get_data(as_text=True)[-2000:])
        assert 'id="add-email"' in r.get_data(as_text=True)  # the admin page, as for an unknown id
    assert svc.accounts.all() == before and svc.accounts.verify(REP_EMAIL, SALES_PASSWORD) is not None
    assert svc.accounts.get(account_id) is None and svc.accounts.get(rep.id) == rep
    assert admin.get("/demos/reps").status_code == 200


@pytest.mark.parametrize("account_id", ["-1", "-9223372036854775809", "+1", "1e3"])
def test_a_negative_or_odd_id_is_no_address(app, svc, admin, account_id):
    before = svc.accounts.all()
    token = page_token(admin, "/demos/reps")
    for path, data in account_actions(account_id):
        assert admin.post(path, data={**data, "csrf": token}).status_code == 404, path
    assert svc.accounts.all() == before
