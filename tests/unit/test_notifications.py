"""Rep notifications (webcall/notify.py): the hook runs once per call through a signed webhook POST, a
delivery is signed and Slack-shaped, retried with backoff to a final failure, never sent twice, never
to a private address unless allowed; a real HTTP receiver on loopback takes them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.receivers import webhook_receiver
from webcall import metrics, notify
from webcall.formatting import quoted
from webcall.notification_store import MAX_ATTEMPTS, backoff, deliveries, now
from webcall.notification_text import call_notice
from webcall.tasks import run_pending, task_queue

from .conftest import REP_EMAIL, csrf, link_for, ready_account, sign_in
from .test_webhooks import SECRET, envelope, post

pytestmark = pytest.mark.unit

SIGNING = "notify-signing-secret-0123456789"


def notify_app(make_sales_app, **changes: Any) -> Any:
    """The app with webhooks in and notifications out, its receivers on loopback; `changes` add to it."""
    return make_sales_app(
        **{
            "webhook_secret": SECRET,
            "notify_signing_secret": SIGNING,
            "notify_allow_private_targets": True,  # the receiver is on loopback
            "notify_timeout_seconds": 1.0,
            "public_url": "https://demo.example.com",
            **changes,
        }
    )


@pytest.fixture
def app(make_sales_app):
    return notify_app(make_sales_app)


@pytest.fixture
def client(app):
    return app.test_client()


def engine(app) -> Any:
    return app.extensions["webcall"].calllog.engine


def set_prefs(client, webhook_url: str = "", email_on: bool = False, analysis_on: bool = False) -> Any:
    """Post the form as a browser does: a ticked box is sent as `y`, an unticked one not at all."""
    token = csrf(client.get("/demos/notifications").get_data(as_text=True))
    ticked = {name: "y" for name, on in (("email_on", email_on), ("analysis_on", analysis_on)) if on}
    return client.post("/demos/notifications", data={"webhook_url": webhook_url, "csrf": token, **ticked})


def call_on_rep_link(app, owner: str = REP_EMAIL, label: str = "Maria, Alpenblick") -> str:
    svc = app.extensions["webcall"]
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, label, created_by="web", owner=owner)
    call_id = str(uuid.uuid4())
    svc.calllog.record(
        demo="alpenblick", mode="voice", outcome="created", call_id=call_id, link_id=link.link_id
    )
    return call_id


def rows(app) -> list[Any]:
    with engine(app).connect() as db:
        return [row._mapping for row in db.execute(select(deliveries).order_by(deliveries.c.id)).all()]


def retry_now(app, delivery_id: int) -> None:
    """The next attempt of a delivery, now: time travel (the pending rows' next attempt is due; the
    backoff itself is checked separately), its task queued and run."""
    with engine(app).begin() as db:
        db.execute(update(deliveries).values(next_attempt_at=now() - timedelta(seconds=1)))
    task_queue(app).deliver(delivery_id)
    work(app)


def work(app) -> int:
    return run_pending(task_queue(app).huey)


def apply_event_only(app) -> None:
    """Run the queued webhook event's task, leaving the delivery task it queued in the queue."""
    huey = task_queue(app).huey
    huey.execute(huey.dequeue())


def end(client, call_id: str, **data: Any) -> Any:
    facts = {"status": "completed", "duration_seconds": 125, **data}  # `data` may change them
    answer = post(client, envelope("conversation.ended", call_id, **facts))
    assert answer.status_code == 202
    return answer


def test_a_call_on_a_reps_link_notifies_them_once_signed_and_slack_shaped(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        assert set_prefs(client, receiver.url).status_code == 303
        call_id = call_on_rep_link(app)
        end(client, call_id)
        end(client, call_id)  # a second `ended` (another event id): the hook already ran
        work(app)
        work(app)
        (got,) = receiver.wait_for(1)
        time.sleep(0.05)
        assert len(receiver.requests) == 1
    body = json.loads(got.body)
    assert body["text"].startswith(
        f"Your prospect's call on demo alpenblick (link {quoted('Maria, Alpenblick')}) ended"
    )
    assert "2 min 5 s" in body["text"] and f"https://demo.example.com/demos/calls/{call_id}" in body["text"]
    assert (
        body["call_id"] == call_id
        and body["demo"] == "alpenblick"
        and body["link_label"] == "Maria, Alpenblick"
    )
    assert body["duration_seconds"] == 125 and body["status"] == "completed" and body["event"] == "call.ended"
    assert body["call_url"] == f"https://demo.example.com/demos/calls/{call_id}"
    assert got.path == "/services/T000/B000/s3cretPath"
    stamp = got.headers["X-Webcall-Timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    expected = hmac.new(SIGNING.encode(), got.body + b"." + stamp.encode(), hashlib.sha256).hexdigest()
    assert got.headers["X-Webcall-Signature"] == f"sha256={expected}"
    assert got.headers["X-Webcall-Delivery"] == body["delivery_uid"] == rows(app)[0]["uid"]
    assert [(r["channel"], r["status"], r["attempts"]) for r in rows(app)] == [("webhook", "sent", 1)]


def test_a_call_without_a_link_owner_notifies_nobody(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x", email_on=True)
    call_id = str(uuid.uuid4())
    app.extensions["webcall"].calllog.record(demo="default", mode="voice", outcome="created", call_id=call_id)
    other = call_on_rep_link(app, owner="web")  # a link from before reps: no account
    end(client, call_id)
    end(client, other)
    work(app)
    assert rows(app) == []


SMTP_OR_NONE = pytest.mark.parametrize(
    ("smtp_host", "written"), [("127.0.0.1", [("email", REP_EMAIL)]), (None, [])]
)


def email_rep(make_sales_app, smtp_host: str | None) -> tuple[Any, Any]:
    """An app whose SMTP host is `smtp_host` (None: no email; port 9 refuses) and a client signed in
    as a rep who turned email on."""
    app = make_sales_app(
        webhook_secret=SECRET, smtp_host=smtp_host, smtp_from="webcall@example.com", smtp_port=9
    )
    client = app.test_client()
    sign_in(client)
    set_prefs(client, email_on=True)
    return app, client


@SMTP_OR_NONE
def test_email_is_written_only_when_smtp_is_set_up(make_sales_app, smtp_host, written):
    app, client = email_rep(make_sales_app, smtp_host)
    end(client, call_on_rep_link(app))
    work(app)  # port 9 refuses: the email stays pending for a retry
    assert [(r["channel"], r["target"]) for r in rows(app)] == written
    if written:
        assert (rows(app)[0]["status"], rows(app)[0]["last_error"]) == ("pending", "connect_error")


@SMTP_OR_NONE
def test_a_test_email_is_queued_only_when_smtp_is_set_up(make_sales_app, smtp_host, written):
    # Without SMTP "Send a test" queued an email that could only fail and said it "arrives in a
    # moment"; call notifications already skip email there, and so does the test now, saying why.
    app, client = email_rep(make_sales_app, smtp_host)
    page = client.get("/demos/notifications").get_data(as_text=True)
    assert client.post("/demos/notifications/test", data={"csrf": csrf(page)}).status_code == 303
    assert [(r["channel"], r["target"]) for r in rows(app)] == written
    said = client.get("/demos/notifications").get_data(as_text=True)
    if written:
        assert "Test queued to 1 channel" in said
    else:
        assert "Test queued" not in said
        assert "Email is not set up on this server, so no test email was sent." in said


def test_a_failing_receiver_is_retried_with_backoff_then_failed(app, client):
    sign_in(client)
    before = metrics.NOTIFICATIONS.labels(channel="webhook", outcome="failed")._value.get()
    with webhook_receiver(statuses=[503]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        huey = task_queue(app).huey
        (scheduled,) = huey.scheduled()  # the retry, queued with its delay, not run at once
        assert 25 <= (scheduled.eta - huey._get_timestamp()).total_seconds() <= 31
        delivery_id = rows(app)[0]["id"]
        for _ in range(MAX_ATTEMPTS - 1):
            retry_now(app, delivery_id)
        receiver.wait_for(MAX_ATTEMPTS)
    (row,) = rows(app)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", MAX_ATTEMPTS, "http_503")
    assert metrics.NOTIFICATIONS.labels(channel="webhook", outcome="failed")._value.get() == before + 1
    assert [backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert backoff(20) == timedelta(minutes=30)
    # Failed is final: a late task does nothing.
    assert notify.attempt(engine(app), app.extensions["webcall"].settings, row["id"]) == ("skipped", None)


def test_the_rep_sees_how_their_latest_deliveries_went(app, client):
    # A rep whose receiver stopped answering (a deleted Slack hook: 410) heard nothing from then on and
    # the page looked as before: only admins could see the delivery log.
    sign_in(client)
    assert "Latest deliveries" not in client.get("/demos/notifications").get_data(as_text=True)
    with webhook_receiver(statuses=[410]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
    page = client.get("/demos/notifications").get_data(as_text=True)
    latest = re.search(r'<section class="demo-card" id="latest".*?</section>', page, re.S)
    assert latest, page
    assert "failed" in latest.group(0) and "http_410" in latest.group(0) and "127.0.0.1" in latest.group(0)
    assert "/services/" not in latest.group(0)  # the host only: a Slack URL's path is its secret
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
    latest = re.search(
        r'<section class="demo-card" id="latest".*?</section>',
        client.get("/demos/notifications").get_data(as_text=True),
        re.S,
    )
    assert "sent" in latest.group(0) and "http_410" not in latest.group(0)  # the newest one per channel


def test_a_retry_goes_where_the_rep_now_wants_it_and_stops_when_they_are_gone(app, client):
    # The target was copied into the row when it was written: a rep who fixed a dead URL saw the old
    # one retried for a quarter of an hour; a disabled rep's receiver still got the retries.
    account = sign_in(client)
    with webhook_receiver(statuses=[503]) as dead, webhook_receiver() as fixed:
        set_prefs(client, dead.url)
        end(client, call_on_rep_link(app))
        work(app)
        dead.wait_for(1)
        set_prefs(client, fixed.url)
        retry_now(app, rows(app)[0]["id"])
        fixed.wait_for(1)
        assert len(dead.requests) == 1
    assert rows(app)[0]["status"] == "sent"
    with webhook_receiver(statuses=[503]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
        app.extensions["webcall"].accounts.set_disabled(account.id, True)
        retry_now(app, rows(app)[-1]["id"])
        assert len(receiver.requests) == 1
    assert (rows(app)[-1]["status"], rows(app)[-1]["last_error"]) == ("failed", "rep_disabled")


def test_a_retry_stops_when_the_rep_turned_the_channel_off(app, client):
    sign_in(client)
    with webhook_receiver(statuses=[503]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
        set_prefs(client, "")
        retry_now(app, rows(app)[0]["id"])
        assert len(receiver.requests) == 1
    assert (rows(app)[0]["status"], rows(app)[0]["last_error"]) == ("failed", "channel_off")


def test_a_send_that_raises_is_retried_then_failed_like_any_failure(app, client, monkeypatch, caplog):
    # A bug in sending (an exception, not a Failure) left the row claimed and pending: the sweep gave
    # it a new task every minute, for ever. It now counts as an attempt that failed.
    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug in sending")

    monkeypatch.setattr(notify, "post_webhook", broken)
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/services/x")
    end(client, call_on_rep_link(app))
    with caplog.at_level(logging.ERROR, logger="webcall.notifications"):
        work(app)
    (row,) = rows(app)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "internal_error")
    assert "error=RuntimeError" in caplog.text and "a bug in sending" not in caplog.text
    for _ in range(MAX_ATTEMPTS - 1):
        retry_now(app, row["id"])
    (row,) = rows(app)
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)


def test_an_answer_that_will_not_change_fails_at_once(app, client):
    sign_in(client)
    with webhook_receiver(statuses=[404]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
    (row,) = rows(app)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1, "http_404")


def test_a_delivery_queued_twice_is_sent_once(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        apply_event_only(app)
        delivery_id = rows(app)[0]["id"]
        queue = task_queue(app)
        queue.deliver(delivery_id)  # the sweep, or a lost task's twin
        queue.deliver(delivery_id)
        assert work(app) == 3  # its delivery and the two extra
        receiver.wait_for(1)
        time.sleep(0.05)
        assert len(receiver.requests) == 1
    assert rows(app)[0]["attempts"] == 1


def test_a_claimed_delivery_is_not_tried_by_another_worker(app, client):
    sign_in(client)
    set_prefs(client, "http://127.0.0.1:9/")
    end(client, call_on_rep_link(app))
    apply_event_only(app)
    settings = app.extensions["webcall"].settings
    delivery_id = rows(app)[0]["id"]
    from webcall.notification_store import claim

    assert claim(engine(app), delivery_id, notify.lease(settings)) is not None  # a live attempt elsewhere
    assert notify.attempt(engine(app), settings, delivery_id) == ("skipped", None)
    assert task_queue(app).sweep() == 0  # claimed: not lost


def test_the_sweep_queues_a_delivery_whose_task_was_lost(app, client, monkeypatch):
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        monkeypatch.setattr(type(task_queue(app)), "enqueue_delivery", lambda self, _id: False)
        end(client, call_on_rep_link(app))
        work(app)
        assert rows(app)[0]["status"] == "pending" and receiver.requests == []
        assert task_queue(app).sweep() == 1
        work(app)
        receiver.wait_for(1)
    assert rows(app)[0]["status"] == "sent"


def test_a_private_target_is_refused_at_send_time_unless_allowed(make_sales_app):
    app = make_sales_app(webhook_secret=SECRET, notify_allow_private_targets=False)
    client = app.test_client()
    account = sign_in(client)
    with webhook_receiver() as receiver:
        # Saved directly: the form refuses a literal loopback address, a name may still resolve to one.
        from webcall.notification_prefs_store import Prefs, save_prefs

        save_prefs(engine(app), account.id, Prefs(webhook_url=receiver.url.replace("127.0.0.1", "localhost")))
        end(client, call_on_rep_link(app))
        work(app)
        time.sleep(0.05)
        assert receiver.requests == []
    (row,) = rows(app)
    assert (row["status"], row["last_error"]) == ("failed", "refused_private")


def test_a_hung_receiver_costs_about_the_timeout(app, client):
    sign_in(client)
    with webhook_receiver(delay=3) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        started = time.monotonic()
        work(app)
        assert time.monotonic() - started < 2.5  # notify_timeout_seconds=1
    row = rows(app)[0]
    assert (row["status"], row["last_error"]) == ("pending", "timeout")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ftp://example.com/hook", "Enter an http:// or https:// URL"),
        ("not a url", "Enter an http:// or https:// URL"),
        ("https://user:pw@example.com/hook", "Leave user names and passwords out"),
        ("https://example.com/" + "x" * 2000, "too long"),
        ("https://example.com:99999/", "That is not a URL"),
    ],
)
def test_a_bad_webhook_url_is_refused_next_to_the_field_and_kept(app, client, typed, message):
    sign_in(client)
    answer = set_prefs(client, typed, email_on=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="webhook_url-error"' in page and message in page
    assert 'value="' + typed.replace("&", "&amp;")[:50] in page  # what was typed is kept
    assert 'type="checkbox" value="y" checked' in page
    assert rows(app) == [] and "Saved." not in client.get("/demos/notifications").get_data(as_text=True)


def test_a_host_name_in_other_scripts_is_stored_and_sent_as_ascii(app, client):
    # An internationalised name was stored as typed and every send failed as internal_error
    # (UnicodeEncodeError: a Host header is ASCII); browsers send such names in their IDNA form.
    account = sign_in(client)
    with webhook_receiver() as receiver:
        fullwidth = "\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54"  # "localhost", fullwidth
        assert set_prefs(client, receiver.url.replace("127.0.0.1", fullwidth)).status_code == 303
        from webcall.notification_prefs_store import get_prefs

        with engine(app).connect() as db:
            stored = get_prefs(db, account.id).webhook_url
        assert stored == receiver.url.replace("127.0.0.1", "localhost")
        end(client, call_on_rep_link(app))
        work(app)
        assert len(receiver.requests) == 1
        # One saved before this check (as typed) is sent under its ASCII name too.
        from webcall.notification_prefs_store import Prefs, save_prefs

        save_prefs(engine(app), account.id, Prefs(webhook_url=receiver.url.replace("127.0.0.1", fullwidth)))
        end(client, call_on_rep_link(app))
        work(app)
        assert len(receiver.requests) == 2
    assert [row["status"] for row in rows(app)] == ["sent", "sent"]


@pytest.mark.parametrize(
    "typed", ["http://example.com/a\x01b", "http://example.com/a\x7fb", "http://exa\u200bmple.com/"]
)
def test_a_url_with_control_or_invisible_characters_is_refused_on_save(app, client, typed):
    # Saved, then every send failed (httpx: InvalidURL) as a bug in sending.
    sign_in(client)
    answer = set_prefs(client, typed)
    assert answer.status_code == 400 and "Enter an http:// or https:// URL" in answer.get_data(as_text=True)


def test_loopback_urls_are_refused_on_save_when_private_targets_are(make_sales_app):
    client = make_sales_app(notify_allow_private_targets=False).test_client()
    sign_in(client)
    loopback = ("http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x", "http://10.0.0.5/x")
    # Other spellings of the same addresses (the send-time check caught them, but as a retried failure
    # the rep never saw): inet_aton's short and numeric forms, a trailing dot, fullwidth letters.
    others = ("http://127.1/", "http://2130706433/", "http://0x7f000001/", "http://0/", "http://localhost./")
    for url in (*loopback, *others, "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x"):
        answer = set_prefs(client, url)
        assert answer.status_code == 400 and "private network" in answer.get_data(as_text=True), url


def test_preferences_are_saved_and_shown_to_their_rep_only(app, client):
    sign_in(client)
    assert (
        set_prefs(client, "https://hooks.slack.com/services/T1/B2/secret", email_on=True).status_code == 303
    )
    page = client.get("/demos/notifications").get_data(as_text=True)
    assert "Saved." in page and "https://hooks.slack.com/services/T1/B2/secret" in page
    other = app.test_client()
    sign_in(other, "other-rep@example.com")
    assert "T1/B2/secret" not in other.get("/demos/notifications").get_data(as_text=True)
    assert set_prefs(client, "").status_code == 303  # cleared
    assert "T1/B2/secret" not in client.get("/demos/notifications").get_data(as_text=True)


def test_the_delivery_log_is_for_admins_and_shows_hosts_only(app, client):
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        receiver.wait_for(1)
    assert client.get("/demos/deliveries").status_code == 403  # a rep, even the one it went to
    assert "Deliveries" not in client.get("/demos/notifications").get_data(as_text=True)
    assert app.test_client().get("/demos/deliveries").headers["Location"].startswith("/demos/login")
    admin = app.test_client()
    sign_in(admin, "boss@example.com", role="admin")
    page = admin.get("/demos/deliveries").get_data(as_text=True)
    assert REP_EMAIL in page and "webhook" in page and ">127.0.0.1<" in page and "sent" in page
    assert "s3cretPath" not in page and "/services/" not in page


def test_send_a_test_is_limited_per_rep(app, client):
    # Ten clicks sent ten webhooks and ten emails, and pushed real failures out of the admins' log.
    from webcall.ratelimit import SEND_TEST_LIMIT

    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        allowed = int(SEND_TEST_LIMIT.split("/")[0])
        token = csrf(client.get("/demos/notifications").get_data(as_text=True))
        answers = [client.post("/demos/notifications/test", data={"csrf": token}) for _ in range(allowed + 2)]
        assert [a.status_code for a in answers] == [303] * allowed + [429, 429]
        assert "Too many tests" in answers[-1].get_data(as_text=True)
        assert answers[-1].headers["Retry-After"].isdigit()
    assert len([row for row in rows(app) if row["kind"] == "test"]) == allowed
    stranger = app.test_client()  # not signed in: refused, never an error
    codes = {stranger.post("/demos/notifications/test").status_code for _ in range(allowed + 2)}
    assert codes <= {302, 400, 429}, codes


def test_a_test_notification_is_queued_and_never_fails_the_request(app, client, monkeypatch):
    sign_in(client)
    page = client.get("/demos/notifications").get_data(as_text=True)
    answer = client.post("/demos/notifications/test", data={"csrf": csrf(page)})
    assert answer.status_code == 303
    assert "Nothing to test yet" in client.get("/demos/notifications").get_data(as_text=True)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        monkeypatch.setattr(task_queue(app).huey, "enqueue", _broken)
        page = client.get("/demos/notifications").get_data(as_text=True)
        assert client.post("/demos/notifications/test", data={"csrf": csrf(page)}).status_code == 303
        monkeypatch.undo()
        assert task_queue(app).sweep() == 1  # the row was kept: the sweep sends it
        work(app)
        (got,) = receiver.wait_for(1)
    assert json.loads(got.body)["event"] == "test" and "Test notification" in json.loads(got.body)["text"]


def _broken(*_args: Any) -> None:
    raise ConnectionError("queue down")


def test_the_studio_nav_links_the_preferences_and_post_needs_csrf(app, client):
    sign_in(client)
    assert 'href="/demos/notifications"' in client.get("/demos").get_data(as_text=True)
    assert client.post("/demos/notifications", data={"webhook_url": "https://x.example/"}).status_code == 400


def test_logs_carry_the_host_never_the_url_or_the_secrets(app, client, caplog):
    caplog.set_level(logging.INFO)
    sign_in(client)
    with webhook_receiver(statuses=[500, 200]) as receiver:
        set_prefs(client, receiver.url)
        end(client, call_on_rep_link(app))
        work(app)
        retry_now(app, rows(app)[0]["id"])
        receiver.wait_for(2)
    text = caplog.text
    assert "notification.retry" in text and "notification.sent" in text and "target_host=127.0.0.1" in text
    assert "s3cretPath" not in text and SIGNING not in text


def test_the_notice_text_is_plain_for_slack():
    notice = call_notice(
        delivery_id=7,
        delivery_uid="uid-7",
        call={"call_id": "c-1", "demo": "northwind", "link_id": "L1", "status": None, "duration_seconds": 42},
        link_label=None,
        call_url="https://demo.example.com/demos/calls/c-1",
    )
    body = json.loads(notice.json_body())
    assert body["text"] == (
        f"Your prospect's call on demo northwind (link {quoted('L1')}) ended: completed, 42 s."
        " Details: https://demo.example.com/demos/calls/c-1"
    )
    assert body["link_label"] is None and body["delivery_id"] == 7


def test_a_label_is_quoted_as_typed_and_cannot_mention_a_slack_channel():
    # Python's repr showed a label's backslashes doubled and \u202e as an escape; `<!channel>` in a
    # label pinged the whole channel (Slack reads <…> as a mention or link; & < > are to be escaped).
    label = "Bob <!channel> & Back\\slash"
    call = {
        "call_id": "c-2",
        "demo": "northwind",
        "link_id": "L2",
        "status": "completed",
        "duration_seconds": 5,
    }
    notice = call_notice(delivery_id=8, delivery_uid="uid-8", call=call, link_label=label, call_url=None)
    text = json.loads(notice.json_body())["text"]
    assert f"(link {quoted('Bob &lt;!channel&gt; &amp; Back' + chr(92) + 'slash')})" in text
    assert "<" not in text
    assert json.loads(notice.json_body())["link_label"] == label  # the structured field is as typed
    assert "Bob <!channel> & Back\\slash" in notice.text  # the email's text is plain


def test_without_a_public_address_the_notice_names_the_call_instead_of_a_broken_link(make_sales_app):
    # The task worker has no request to take an address from: "Details: /demos/calls/…" was a link
    # to nowhere in Slack or a mail client.
    app = notify_app(make_sales_app, public_url=None)
    client = app.test_client()
    sign_in(client)
    with webhook_receiver() as receiver:
        set_prefs(client, receiver.url)
        call_id = call_on_rep_link(app)
        end(client, call_id)
        work(app)
        (got,) = receiver.wait_for(1)
    body = json.loads(got.body)
    assert "/demos/calls/" not in body["text"] and body["call_url"] is None
    assert body["text"].endswith(f"Details: the studio's Calls page, call {call_id}.")


def test_the_rep_account_must_exist_and_be_enabled(app, client):
    account = ready_account(app)
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x")
    app.extensions["webcall"].accounts.set_disabled(account.id, True)
    end(client, call_on_rep_link(app))
    work(app)
    assert rows(app) == []


def test_the_hook_run_twice_in_one_transaction_writes_one_row_per_channel(app, client):
    sign_in(client)
    set_prefs(client, "https://hooks.example.com/x")
    call_id = call_on_rep_link(app)
    with engine(app).begin() as db, notify.collecting() as new:
        notify.on_call_ended(db, call_id)
        notify.on_call_ended(db, call_id)  # a duplicate is skipped, the transaction goes on
        db.execute(update(deliveries).values(last_error="kept"))
    assert len(new) == 1
    assert [(r["channel"], r["last_error"]) for r in rows(app)] == [("webhook", "kept")]


def test_a_host_name_past_the_limit_once_in_ascii_is_refused_next_to_the_field(app, client):
    # The length was checked on the URL as typed, then its host converted to ASCII (IDNA: each "ä" is
    # "xn--4ca"), and the longer URL saved: past the column, which PostgreSQL refused with a 500.
    from webcall.notification_prefs_store import MAX_URL
    from webcall.notification_send import ascii_url

    typed = "https://" + "ä." * 300 + "example.com/hook"
    assert len(typed) < MAX_URL < len(ascii_url(typed) or "")
    sign_in(client)
    answer = set_prefs(client, typed)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'id="webhook_url-error"' in page
    assert f"too long once its host name is written in ASCII (at most {MAX_URL} characters)" in page
    assert "Saved." not in client.get("/demos/notifications").get_data(as_text=True)
