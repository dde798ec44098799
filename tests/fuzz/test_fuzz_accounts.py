"""Property-based fuzzing of the studio's account forms (Hypothesis): sign-in with a valid CSRF
token (so the password check, the lockout and the per-IP limit are reached), the admin page's add,
disable, enable, reset and role forms, and one's own password change. No answer may be a 5xx, the
admin stays signed in and an admin, and no password is ever echoed into a page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from webcall import account_fields, accounts

from .rig import ADMIN_EMAIL, CSRF, STUDIO_PASSWORD, sign_in, studio_app

pytestmark = pytest.mark.fuzz

EXAMPLES = 300  # per form
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

emails = st.one_of(
    st.text(max_size=80),
    st.emails().map(str),
    st.sampled_from([ADMIN_EMAIL, "rep@example.com", "", " ", "a@b", "<b>@x.example"]),
)
passwords = st.one_of(st.text(max_size=60), st.text(min_size=190, max_size=260))
roles = st.one_of(st.sampled_from(["admin", "rep", "", "owner"]), st.text(max_size=10))


@pytest.fixture(scope="module")
def studio(standin_server, tmp_path_factory) -> Iterator[dict[str, Any]]:
    db = tmp_path_factory.mktemp("fuzz-accounts") / "studio.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        # argon2id with the smallest cost: the default costs ~0.5 s per hash on a busy CI box.
        patch.setattr(
            accounts, "make_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        app = studio_app(standin_server, demos_file=None, database_url=f"sqlite:///{db}")
        store = app.extensions["webcall"].accounts
        rep_ids = [store.add(f"rep{i}@example.com", STUDIO_PASSWORD).id for i in range(3)]
        admin, token = sign_in(app, page="/demos/reps")
        yield {"app": app, "admin": admin, "token": token, "rep_ids": rep_ids}
        # The admin survived everything: still signed in, still an admin.
        assert admin.get("/demos/reps").status_code == 200


def check(response, *secrets: str) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    html = response.get_data(as_text=True)
    for secret in secrets:
        if len(secret) >= 10:  # short strings appear in any page by chance
            assert f'value="{secret}"' not in html


@FUZZ
@given(email=emails, password=passwords, ip=st.integers(1, 250))
def test_sign_in(studio, email, password, ip):
    client = studio["app"].test_client()
    token = CSRF.search(client.get("/demos/login").get_data(as_text=True)).group(1)
    r = client.post(
        "/demos/login",
        data={"email": email, "password": password, "csrf": token},
        environ_base={"REMOTE_ADDR": f"198.51.100.{ip}"},
    )
    check(r, *([password] if password.strip() != email.strip() else []))


@FUZZ
@given(email=emails, name=st.text(max_size=120), role=roles, password=passwords, keep_csrf=st.booleans())
@example(email="Abcdefghij@x.example", name="", role="owner", password="abcdefghij@x.example", keep_csrf=True)
@example(email="000000000 ", name="", role="admin", password="000000000 ", keep_csrf=True)
@example(email="", name="00000000\x1b\r", role="admin", password="00000000\x1b\r", keep_csrf=True)
def test_add_a_rep(studio, email, name, role, password, keep_csrf):
    form = {"email": email, "name": name, "role": role, "password": password}
    if keep_csrf:
        form["csrf"] = studio["token"]
    # The add form keeps what was typed (as typed when refused, normalised when valid): a password
    # equal to one of those is no leak ("000000000 " typed in both fields failed this check once, and
    # "00000000\x1b\r", a refused name kept as typed).
    echoed = {email, email.strip(), account_fields.normalize_email(email), name, " ".join(name.split())}
    check(studio["admin"].post("/demos/reps", data=form), *([password] if password not in echoed else []))


@FUZZ
@given(
    action=st.sampled_from(["disable", "enable", "password", "role"]),
    target=st.one_of(st.integers(-5, 10_000), st.just(-1)),
    password=passwords,
    role=roles,
)
def test_change_a_rep(studio, action, target, password, role):
    admin_id = studio["app"].extensions["webcall"].accounts.by_email(ADMIN_EMAIL).id
    if target == admin_id and action in ("password", "role"):
        return  # an admin may sign themselves out or step down; that ends this fuzzing's session
    account_id = studio["rep_ids"][target % 3] if target < 0 else target
    form = {"csrf": studio["token"], "password": password, "role": role}
    check(studio["admin"].post(f"/demos/reps/{account_id}/{action}", data=form), password)


@FUZZ
@given(current=passwords, password=passwords)
def test_own_password(studio, current, password):
    if current == STUDIO_PASSWORD:
        return  # the right one would really change the admin's password
    form = {"csrf": studio["token"], "current": current, "password": password, "again": password}
    check(studio["admin"].post("/demos/account", data=form), current, password)
