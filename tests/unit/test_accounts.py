"""The studio's account store, its server-side sessions, the per-account lockout and `flask users`:
against a real (SQLite) database, migrated as the app migrates it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from tests.starts import admins_demoting_each_other
from webcall.account_fields import AccountError
from webcall.accounts import Accounts, users
from webcall.db import open_database
from webcall.lockout import LOCK_AFTER, LOCK_MINUTES, THROTTLE_AFTER, THROTTLE_SECONDS, Lockout
from webcall.sessions import Sessions

from .conftest import ADMIN_EMAIL, SALES_PASSWORD, cheap_hasher

pytestmark = pytest.mark.unit

PASSWORD = "a long enough password"


@pytest.fixture
def engine(tmp_path):
    return open_database("sqlite:///accounts.sqlite3", tmp_path)


@pytest.fixture
def store(engine):
    accounts = Accounts(engine, cheap_hasher())
    accounts.on_password_or_disable = Sessions(engine).end_all
    return accounts


@pytest.fixture
def sessions(engine):
    return Sessions(engine)


def stored_hashes(engine) -> list[str]:
    with engine.connect() as db:
        return list(db.execute(select(users.c.password_hash)).scalars())


# -- the store -----------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes_never_in_plain(store, engine, tmp_path):
    store.add("Ann@Example.com", PASSWORD, name="Ann")
    [stored] = stored_hashes(engine)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD.encode() not in (tmp_path / "accounts.sqlite3").read_bytes()
    account = store.by_email("ann@example.com")
    assert (account.email, account.name, account.role, account.disabled) == (
        "ann@example.com",
        "Ann",
        "rep",
        False,
    )


def test_verify_knows_the_password_and_nothing_else(store):
    store.add("ann@example.com", PASSWORD)
    assert store.verify(" ANN@example.com ", PASSWORD).email == "ann@example.com"
    assert store.verify("ann@example.com", PASSWORD + "x") is None
    assert store.verify("nobody@example.com", PASSWORD) is None
    assert store.verify("ann@example.com", "") is None


def test_an_unknown_email_is_checked_against_a_dummy_hash(engine):
    # Timing: the unknown email costs one argon2 verify too, against a hash of the same parameters.
    seen: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            seen.append(str(hash))
            return super().verify(hash, password)

    store = Accounts(engine, Recording(time_cost=1, memory_cost=8, parallelism=1))
    store.add("ann@example.com", PASSWORD)
    store.verify("ann@example.com", "wrong password")
    store.verify("nobody@example.com", "wrong password")
    assert len(seen) == 2 and seen[0] != seen[1]
    assert seen[1].split("$")[:4] == seen[0].split("$")[:4]  # argon2id, same version and parameters


def test_the_production_hasher_upgrades_a_weaker_hash_on_sign_in(engine):
    weak = Accounts(engine, cheap_hasher())
    weak.add("ann@example.com", PASSWORD)
    strong = Accounts(engine, PasswordHasher())  # argon2-cffi's default: RFC 9106 low memory
    assert strong.verify("ann@example.com", PASSWORD) is not None
    [stored] = stored_hashes(engine)
    assert "$m=65536,t=3,p=4$" in stored
    assert strong.verify("ann@example.com", PASSWORD) is not None


@pytest.mark.parametrize(
    ("email", "password", "role", "code", "field"),
    [
        ("", PASSWORD, "rep", "email_missing", "email"),
        ("not-an-email", PASSWORD, "rep", "email_invalid", "email"),
        ("a@b.c" + "x" * 260, PASSWORD, "rep", "email_invalid", "email"),
        ("a\x00b@example.com", PASSWORD, "rep", "email_invalid", "email"),  # PostgreSQL: a 500
        ("ann@example.com\x1b", PASSWORD, "rep", "email_invalid", "email"),
        ("ann@example.com", "short", "rep", "password_too_short", "password"),
        ("ann@example.com", "x" * 201, "rep", "password_too_long", "password"),
        ("ann@example.com", PASSWORD, "owner", "role_invalid", "role"),
    ],
)
def test_bad_input_is_one_error_value_with_its_field(store, email, password, role, code, field):
    with pytest.raises(AccountError) as refused:
        store.add(email, password, role=role)
    assert (refused.value.code, refused.value.field) == (code, field) and refused.value.message
    assert store.all() == []


@pytest.mark.parametrize("name", ["Ann\x00", "Ann\x07 Smith", "\x9bAnn"])
def test_a_name_with_a_control_character_is_refused(store, name):
    # A NUL in text is refused by PostgreSQL (a 500 on the admin page); the others show as nothing.
    with pytest.raises(AccountError) as refused:
        store.add("ann@example.com", PASSWORD, name=name)
    assert (refused.value.code, refused.value.field) == ("name_invalid", "name")
    assert store.all() == []


def test_an_email_is_taken_once_whatever_its_case(store):
    store.add("ann@example.com", PASSWORD)
    with pytest.raises(AccountError) as refused:
        store.add("ANN@example.com", PASSWORD)
    assert refused.value.code == "email_taken"


def test_roles_and_the_last_admin(store):
    admin = store.add("boss@example.com", PASSWORD, role="admin")
    rep = store.add("ann@example.com", PASSWORD)
    with pytest.raises(AccountError, match="last active admin"):
        store.set_role(admin.id, "rep")
    with pytest.raises(AccountError) as refused:
        store.set_disabled(admin.id, True)
    assert refused.value.code == "last_admin"
    store.set_role(rep.id, "admin")
    assert store.get(rep.id).is_admin
    store.set_role(admin.id, "rep")  # another admin exists now
    assert not store.get(admin.id).is_admin


def test_disable_and_reset_end_every_session_of_that_account_only(store, sessions):
    ann = store.add("ann@example.com", PASSWORD)
    bob = store.add("bob@example.com", PASSWORD)
    ann_tokens = [sessions.start(ann.id) for _ in range(2)]
    bob_token = sessions.start(bob.id)
    store.set_password(ann.id, "a brand new password")
    assert [sessions.resolve(t) for t in ann_tokens] == [None, None]
    assert sessions.resolve(bob_token).account.email == "bob@example.com"
    assert store.verify("ann@example.com", PASSWORD) is None
    assert store.verify("ann@example.com", "a brand new password") is not None
    store.set_disabled(bob.id, True)
    assert sessions.resolve(bob_token) is None and sessions.count(bob.id) == 0
    assert store.verify("bob@example.com", PASSWORD).disabled  # the password is right, the account is off


def test_the_first_admin_is_made_once(store):
    made = store.first_admin("Boss@Example.com", PASSWORD)
    assert made.email == "boss@example.com" and made.is_admin
    assert store.first_admin("other@example.com", PASSWORD) is None
    assert [a.email for a in store.all()] == ["boss@example.com"]


# -- sessions ------------------------------------------------------------------------------


def test_a_session_is_stored_by_digest_and_ends_for_real(store, sessions, engine):
    ann = store.add("ann@example.com", PASSWORD)
    token = sessions.start(ann.id)
    with engine.connect() as db:
        stored = db.execute(text("SELECT token_hash FROM webcall_sessions")).scalars().all()
    assert stored and token not in stored  # a read of the table signs nobody in
    assert sessions.resolve(token).account.id == ann.id
    sessions.end(token)
    assert sessions.resolve(token) is None
    assert sessions.resolve("") is None and sessions.resolve("x" * 500) is None


def test_an_expired_session_loads_nobody(store, engine):
    ann = store.add("ann@example.com", PASSWORD)
    short = Sessions(engine, lifetime=timedelta(seconds=-1))
    assert short.resolve(short.start(ann.id)) is None


# -- lockout -------------------------------------------------------------------------------


def test_failures_throttle_then_lock_and_say_when_it_unlocks(engine):
    lockout = Lockout(engine)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    for _ in range(THROTTLE_AFTER):
        lockout.check("ann@example.com", now)
        lockout.record_failure("ann@example.com", now)
    with pytest.raises(AccountError) as throttled:
        lockout.check("ANN@example.com", now + timedelta(seconds=1))
    assert throttled.value.code == "throttled" and "Try again in" in throttled.value.message
    at = now + timedelta(seconds=THROTTLE_SECONDS)
    lockout.check("ann@example.com", at)  # waited long enough
    for _ in range(LOCK_AFTER - THROTTLE_AFTER):
        state = lockout.record_failure("ann@example.com", at)
    assert state.count == LOCK_AFTER and state.locked_until == at + timedelta(minutes=LOCK_MINUTES)
    with pytest.raises(AccountError) as locked:
        lockout.check("ann@example.com", at + timedelta(minutes=1))
    assert locked.value.code == "account_locked"
    # A wait, not "at 09:16 UTC": every other time in the studio is in the rep's own zone.
    assert locked.value.message.endswith("failed sign-ins. It unlocks in 14 minutes.")
    assert "UTC" not in locked.value.message
    with pytest.raises(AccountError) as nearly:  # 30 s to go: a minute, never "0 minutes"
        lockout.check("ann@example.com", state.locked_until - timedelta(seconds=30))
    assert nearly.value.message.endswith("It unlocks in 1 minute.")
    lockout.check("ann@example.com", state.locked_until + timedelta(seconds=THROTTLE_SECONDS))
    lockout.check("bob@example.com", at)  # per account
    lockout.clear("ann@example.com")
    assert lockout.get("ann@example.com") is None


def test_old_failures_are_forgotten(engine):
    lockout = Lockout(engine)
    then = datetime(2026, 12, 1, tzinfo=UTC)
    for _ in range(LOCK_AFTER - 1):
        lockout.record_failure("ann@example.com", then)
    assert lockout.record_failure("ann@example.com", then + timedelta(days=2)).count == 1


def test_failures_a_day_old_are_deleted_not_kept_for_ever(engine):
    # One row per email typed, forgotten after a day but deleted only by a sign-in or a reset: a
    # stranger's guesses (30 an hour per address, each a new email) piled up without end.
    lockout = Lockout(engine)
    then = datetime(2026, 12, 1, tzinfo=UTC)
    for n in range(50):
        lockout.record_failure(f"guess{n}@example.com", then)
    lockout.record_failure("recent@example.com", then + timedelta(hours=20))
    lockout.record_failure("ann@example.com", then + timedelta(days=1, hours=1))
    with engine.connect() as db:
        left = {row.email for row in db.execute(text("SELECT email FROM webcall_sign_in_failures"))}
    assert left == {"recent@example.com", "ann@example.com"}


# -- flask users ---------------------------------------------------------------------------


@pytest.fixture
def cli_app(make_sales_app):
    return make_sales_app()


def run(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def test_cli_add_list_disable_enable_reset(cli_app):
    svc = cli_app.extensions["webcall"]
    added = run(cli_app, "add", "Ann@Example.com", "--name", "Ann", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0 and "added ann@example.com (rep)" in added.output, added.output
    assert PASSWORD not in added.output
    ann = svc.accounts.by_email("ann@example.com")
    listed = run(cli_app, "list")
    assert "ann@example.com" in listed.output and ADMIN_EMAIL in listed.output
    token = svc.sessions.start(ann.id)
    disabled = run(cli_app, "disable", "ann@example.com")
    assert disabled.exit_code == 0 and "1 open session(s) ended" in disabled.output
    assert svc.sessions.resolve(token) is None and svc.accounts.get(ann.id).disabled
    assert run(cli_app, "enable", "ann@example.com").exit_code == 0
    assert not svc.accounts.get(ann.id).disabled
    for _ in range(3):
        svc.lockout.record_failure("ann@example.com")
    token = svc.sessions.start(ann.id)
    reset = run(cli_app, "reset", "ann@example.com", "--password-stdin", input="another long password\n")
    assert reset.exit_code == 0, reset.output
    assert svc.sessions.resolve(token) is None and svc.lockout.get("ann@example.com") is None
    assert svc.accounts.verify("ann@example.com", "another long password") is not None


def test_cli_refusals_are_one_line_with_the_code(cli_app):
    short = run(cli_app, "add", "ann@example.com", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "password_too_short" in short.output
    taken = run(cli_app, "add", ADMIN_EMAIL, "--password-stdin", input=f"{SALES_PASSWORD}\n")
    assert taken.exit_code == 1 and "email_taken" in taken.output
    assert run(cli_app, "disable", "nobody@example.com").exit_code == 1
    last = run(cli_app, "disable", ADMIN_EMAIL)
    assert last.exit_code == 1 and "last_admin" in last.output
    assert "Traceback" not in short.output + taken.output + last.output
    mismatch = run(
        cli_app, "add", "ann@example.com", "--role", "admin", input=f"{PASSWORD}\nother password!\n"
    )
    assert (
        mismatch.exit_code != 0 and cli_app.extensions["webcall"].accounts.by_email("ann@example.com") is None
    )


def test_cli_text_that_is_not_utf8_is_one_line_not_a_traceback(cli_app):
    # A terminal in Latin-1: the argument arrives with a lone surrogate, the piped password as bytes.
    email = run(cli_app, "add", "r\udcffep@example.com", "--password-stdin", input=f"{PASSWORD}\n")
    name = run(
        cli_app, "add", "rep@example.com", "--name", "Jos\udce9", "--password-stdin", input=f"{PASSWORD}\n"
    )
    password = run(cli_app, "add", "rep@example.com", "--password-stdin", input=b"long pass\xffword 123\n")
    for result in (email, name, password):
        assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), result.output
        assert "is not UTF-8 text" in result.output
    assert "the password is not UTF-8 text" in password.output
    assert cli_app.extensions["webcall"].accounts.by_email("rep@example.com") is None


def test_a_disabled_account_loads_no_session_even_if_its_rows_survived(store, sessions, engine):
    # Disabling deletes the rows; the loader checks the flag as well (e.g. a row written by a
    # sign-in that raced the disable).
    ann = store.add("ann@example.com", PASSWORD)
    token = sessions.start(ann.id)
    with engine.begin() as db:
        db.execute(users.update().where(users.c.id == ann.id).values(disabled=True))
    assert sessions.resolve(token) is None


# -- the settings of the first admin -------------------------------------------------------


def test_the_first_admin_settings_come_together_and_are_checked():
    from webcall.settings import Settings, SettingsError

    env = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"}
    assert Settings.from_env(env).sales_admin_email is None
    both = Settings.from_env(
        {**env, "WEBCALL_SALES_PASSWORD": PASSWORD, "WEBCALL_SALES_ADMIN_EMAIL": "Boss@X.example"}
    )
    assert (both.sales_admin_email, both.sales_password) == ("boss@x.example", PASSWORD)
    assert "boss@x.example" in repr(both) and PASSWORD not in repr(both)
    with pytest.raises(SettingsError, match=r"^setting WEBCALL_SALES_ADMIN_EMAIL: is not set"):
        Settings.from_env({**env, "WEBCALL_SALES_PASSWORD": PASSWORD})
    with pytest.raises(
        SettingsError, match=r"^setting WEBCALL_SALES_ADMIN_EMAIL: 'boss': That is not an email"
    ):
        Settings.from_env({**env, "WEBCALL_SALES_PASSWORD": PASSWORD, "WEBCALL_SALES_ADMIN_EMAIL": "boss"})


def test_two_admins_demoting_each_other_at_once_leave_one_admin(engine):
    # The check ("another admin is left") and the change were two transactions: two admins taking
    # each other's role at the same moment could both pass the check and leave none.
    for attempt in range(5):
        one, other = Accounts(engine, cheap_hasher()), Accounts(engine, cheap_hasher())
        admins, refused = admins_demoting_each_other(one, other, f"sqlite-{attempt}")
        assert len(admins) == 1 and refused == ["last_admin"], (attempt, admins, refused)


def test_a_browser_of_an_account_with_the_longest_email_counts_on_its_own(engine):
    # A browser that signed in before counts its failures under `<email>#browser:<id>`
    # (webcall/known_browsers.py), cut to the column's 254 characters: for an email of 254 that cut
    # left the bare email, so the rep's own browser shared the lock strangers had run into.
    email = "a" * 60 + "@" + "b" * 189 + ".com"
    assert len(email) == 254
    browser = f"{email}#browser:0123456789abcdef"
    lockout = Lockout(engine)
    then = datetime(2026, 12, 1, tzinfo=UTC)
    for _ in range(LOCK_AFTER):
        lockout.record_failure(email, then)  # strangers lock the email
    assert lockout.get(browser) is None  # the rep's own browser is not locked with it
    lockout.record_failure(browser, then)
    lockout.clear(email)  # a sign-in clears its browsers too
    assert lockout.get(browser) is None and lockout.get(email) is None
