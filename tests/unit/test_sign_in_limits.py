"""The sign-in under load: simultaneous guesses from one address stay within the per-IP limit, the
password checks (argon2id, 64 MiB each in production) run a few at a time per process, failures landing
together all count, and input no account can have (a NUL: PostgreSQL refuses it) is a wrong password.

Password checks are counted where they happen, in the argon2 hasher, and held there until every
request of a burst has either reached one or been answered: the burst is really simultaneous."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.e2e.servers import free_port, redis_server
from tests.sign_in_races import failures_at_once
from webcall import sign_in_limit

from .conftest import REP_EMAIL, SALES_PASSWORD, csrf, ready_account

pytestmark = pytest.mark.unit

WRONG = 'id="password-error" role="alert">That email and password do not match.<'


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


class HeldHasher(PasswordHasher):
    """The tests' cheap argon2id; each check is counted and waits inside until the test opens."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.changed = threading.Condition()
        self.checked = 0
        self.inside = 0
        self.most_inside = 0
        self.answered = 0
        self.opened = False

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.changed:
            self.checked += 1
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.opened, timeout=10)
        try:
            return super().verify(hash, password)
        finally:
            with self.changed:
                self.inside -= 1

    def answer(self) -> None:
        with self.changed:
            self.answered += 1
            self.changed.notify_all()


def burst(app: Any, posts: list[dict[str, Any]]) -> tuple[HeldHasher, list[Any]]:
    """Every POST in `posts` (form data and `environ`) sent to /demos/login at the same moment, each
    from a browser of its own; the hasher, opened once each POST was checked or answered, and the
    answers in order."""
    hasher = HeldHasher()
    app.extensions["webcall"].accounts.hasher = hasher
    clients = [app.test_client() for _ in posts]
    tokens = [csrf(client.get("/demos/login").get_data(as_text=True)) for client in clients]
    answers: list[Any] = [None] * len(posts)
    start = threading.Barrier(len(posts))

    def post(index: int) -> None:
        start.wait()
        try:
            data = {**posts[index]["data"], "csrf": tokens[index]}
            answers[index] = clients[index].post(
                "/demos/login", data=data, environ_base=posts[index].get("environ", {})
            )
        finally:
            hasher.answer()

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    with hasher.changed:
        everyone = hasher.changed.wait_for(lambda: hasher.checked + hasher.answered == len(posts), timeout=20)
        hasher.opened = True
        hasher.changed.notify_all()
    for thread in threads:
        thread.join()
    assert everyone, (hasher.checked, hasher.answered)
    return hasher, answers


def statuses(answers: list[Any]) -> list[int]:
    return sorted(answer.status_code for answer in answers)


def test_simultaneous_guesses_from_one_address_are_checked_only_up_to_the_limit(app, monkeypatch):
    # Flask-Limiter counted a failed sign-in once it was answered, so sixteen guesses sent together all
    # passed its test and all were checked (an audit saw 16 of 16). A different email each: the
    # per-account lockout plays no part here.
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(16))
    posts = [{"data": {"email": f"guess{n}@example.com", "password": "a guess"}} for n in range(16)]
    hasher, answers = burst(app, posts)
    assert hasher.checked == 5
    assert statuses(answers) == [401] * 5 + [429] * 11
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert "Too many sign-in attempts from this network." in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The five that were checked count: the next guess is refused without a check.
    hasher, answers = burst(app, posts[:1])
    assert hasher.checked == 0 and statuses(answers) == [429]


def test_sign_ins_that_work_give_their_place_back(app, monkeypatch):
    # Counted when they arrive, so that guesses arriving together are counted; given back when they
    # sign in, so an office's reps behind one address all sign in (tests/unit/test_security.py).
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(16))
    ready_account(app)
    rep = {"data": {"email": REP_EMAIL, "password": SALES_PASSWORD}}
    for _ in range(4):
        hasher, answers = burst(app, [rep])
        assert statuses(answers) == [302]
    guesses = [{"data": {"email": f"guess{n}@example.com", "password": "a guess"}} for n in range(6)]
    hasher, answers = burst(app, guesses)
    assert hasher.checked == 5 and statuses(answers) == [401] * 5 + [429]


def test_password_checks_run_a_few_at_a_time_and_the_rest_are_told_to_retry(app, monkeypatch):
    # Each check is argon2id with 64 MiB: many addresses at once had as many running, memory and CPU
    # without a bound. A sign-in that gets no slot soon is answered like a rate limit, never queued.
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(2))
    monkeypatch.setattr(sign_in_limit, "VERIFY_WAIT_SECONDS", 0.2)
    guess = {"password": "a guess"}
    posts = [
        {"data": {**guess, "email": f"other{n}@example.com"}, "environ": {"REMOTE_ADDR": f"192.0.2.{n}"}}
        for n in range(1, 7)
    ]
    hasher, answers = burst(app, posts)
    assert hasher.most_inside == 2 and hasher.checked == 2
    assert statuses(answers) == [401] * 2 + [429] * 4
    busy = next(answer for answer in answers if answer.status_code == 429)
    assert "Too many sign-ins at this moment." in busy.get_data(as_text=True)
    assert int(busy.headers["Retry-After"]) == sign_in_limit.BUSY_RETRY_SECONDS


def test_a_sign_in_told_to_retry_costs_its_address_nothing(app, monkeypatch):
    # Not checked, so not counted against the address: five at once from one, two checked, three told
    # to retry; three more guesses are checked, then the limit (5 a minute) holds.
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(2))
    monkeypatch.setattr(sign_in_limit, "VERIFY_WAIT_SECONDS", 0.2)
    posts = [{"data": {"email": f"guess{n}@example.com", "password": "a guess"}} for n in range(5)]
    hasher, answers = burst(app, posts)
    assert hasher.checked == 2 and statuses(answers) == [401] * 2 + [429] * 3
    for n, expected in enumerate((401, 401, 401, 429)):
        hasher, answers = burst(app, [{"data": {"email": f"later{n}@example.com", "password": "a guess"}}])
        assert statuses(answers) == [expected]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_the_limit_holds_with_its_counts_in_redis(make_sales_app, redis_url, monkeypatch):
    # Shared by every worker and instance (WEBCALL_RATE_LIMIT_STORAGE_URI): the places are taken and
    # given back in Redis, in one step each.
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(16))
    app = make_sales_app(rate_limit_storage_uri=redis_url)
    ready_account(app)
    sign_in = {
        "data": {"email": REP_EMAIL, "password": SALES_PASSWORD},
        "environ": {"REMOTE_ADDR": "198.51.100.7"},
    }
    for _ in range(3):
        assert statuses(burst(app, [sign_in])[1]) == [302]
    guesses = [
        {"data": {"email": f"guess{n}@example.com", "password": "a guess"}, "environ": sign_in["environ"]}
        for n in range(8)
    ]
    hasher, answers = burst(app, guesses)
    assert hasher.checked == 5 and statuses(answers) == [401] * 5 + [429] * 3


def test_an_unreachable_redis_limits_in_the_process_instead_of_failing(make_sales_app, monkeypatch, caplog):
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(16))
    app = make_sales_app(rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    guesses = [
        {
            "data": {"email": f"guess{n}@example.com", "password": "a guess"},
            "environ": {"REMOTE_ADDR": "198.51.100.8"},
        }
        for n in range(6)
    ]
    hasher, answers = burst(app, guesses)
    assert hasher.checked == 5 and statuses(answers) == [401] * 5 + [429]
    assert "sign-in limit: the rate-limit storage cannot be reached" in caplog.text


def test_an_unreachable_redis_gives_sign_ins_their_places_back_in_the_process(make_sales_app, monkeypatch):
    # As with its counts in Redis: a sign-in that signed in frees its place, here in this process's count.
    monkeypatch.setattr(sign_in_limit, "verifying", threading.BoundedSemaphore(16))
    app = make_sales_app(rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    ready_account(app)
    environ = {"REMOTE_ADDR": "198.51.100.9"}
    for _ in range(3):
        sign_in = {"data": {"email": REP_EMAIL, "password": SALES_PASSWORD}, "environ": environ}
        assert statuses(burst(app, [sign_in])[1]) == [302]
    guesses = [
        {"data": {"email": f"guess{n}@example.com", "password": "a guess"}, "environ": environ}
        for n in range(8)
    ]
    hasher, answers = burst(app, guesses)
    assert hasher.checked == 5 and statuses(answers) == [401] * 5 + [429] * 3


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("a\x00@x.example", "x"),  # PostgreSQL refuses a NUL in text (tests/e2e/test_accounts_postgres.py)
        ("a\x01b@x.example", "x"),
        ("a@x.example\x7f", "x"),
        ("a" * 300 + "@x.example", "x"),
        (REP_EMAIL, "x" * 201),  # longer than any password can be set
    ],
)
def test_input_no_account_can_have_is_a_wrong_password_and_stores_nothing(app, svc, email, password):
    ready_account(app)
    client = app.test_client()
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"email": email, "password": password, "csrf": token})
    assert r.status_code == 401 and WRONG in r.get_data(as_text=True)
    with svc.lockout.engine.connect() as db:
        assert db.exec_driver_sql("SELECT count(*) FROM webcall_sign_in_failures").scalar_one() == 0


def test_failures_recorded_at_the_same_moment_all_count(app, svc):
    # The count was read, then written back one higher: failures landing together overwrote each other.
    for attempt in range(2):
        assert failures_at_once([svc.lockout], f"raced-{attempt}@example.com", 8) == 9


def test_posts_without_the_forms_token_spend_nothing_of_the_addresss_limit(app):
    """Any page a rep opens can post to /demos/login cross-site (an auto-submitted form), from the
    office's address, with no session and no token: such a POST checks no password, so it must not
    take one of the address's places (a stranger's page kept every rep behind it out for an hour)."""
    ready_account(app)
    stranger = app.test_client()
    refused = [
        stranger.post("/demos/login", data={"email": REP_EMAIL, "password": "guess"}).status_code
        for _ in range(12)
    ]
    assert refused == [400] * 12
    rep = app.test_client()
    token = csrf(rep.get("/demos/login").get_data(as_text=True))
    signed_in = rep.post("/demos/login", data={"email": REP_EMAIL, "password": SALES_PASSWORD, "csrf": token})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
