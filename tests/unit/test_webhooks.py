"""POST /webhooks/itellico: verified on the raw bytes, stored once per event_id, applied by the task
queue in any order; the secret never shows; CSRF does not apply to it and still to the studio."""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from webcall.tasks import run_pending, task_queue
from webcall.webhook_store import events
from webcall.webhooks import signature

from .conftest import sign_in

pytestmark = pytest.mark.unit

SECRET = "whsec-test-" + "s3cr3t" * 4
URL = "/webhooks/itellico"


@pytest.fixture
def app(make_sales_app):
    return make_sales_app(webhook_secret=SECRET, webhook_max_bytes=4096)


@pytest.fixture
def client(app):
    return app.test_client()


def envelope(event_type: str, call_id: str, event_id: str | None = None, **data: Any) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "created": "2026-12-03T05:00:00Z",
        "organization_uuid": str(uuid.uuid4()),
        "organization_name": "Acme",
        "data": {"conversation_uuid": call_id, **data},
    }


def signed_headers(raw: bytes, *, secret: str = SECRET, timestamp: int | None = None, sig: str | None = None):
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-Itellico-Timestamp": stamp,
        "X-Itellico-Signature": sig if sig is not None else signature(secret, raw, stamp),
    }


def post(client, body: bytes | dict, *, chunked: bool = False, **signing: Any):
    """Signed `body` (unless `signing` says otherwise); `chunked`: sent without a Content-Length, as a
    WSGI server hands on a `Transfer-Encoding: chunked` body (it marks the stream terminated)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed_headers(raw, **signing)
    if chunked:
        environ = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
        return client.post(URL, input_stream=io.BytesIO(raw), headers=headers, environ_overrides=environ)
    return client.post(URL, data=raw, headers=headers)


def sized_event(call_id: str, size: int) -> bytes:
    """A `conversation.ended` of exactly `size` bytes, most of them a long transcript (real ones can be
    far beyond the app-wide 64 KB body limit)."""
    event = envelope(
        "conversation.ended", call_id, status="completed", messages=[{"role": "user", "message": ""}]
    )
    event["data"]["messages"][0]["message"] = "x" * (size - len(json.dumps(event).encode()))
    raw = json.dumps(event).encode()
    assert len(raw) == size
    return raw


def too_large_count() -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("webcall_webhook_events_total", {"outcome": "too_large"}) or 0.0


def stored(app) -> int:
    with app.extensions["webcall"].calllog.engine.connect() as db:
        return db.execute(select(func.count()).select_from(events)).scalar()


def new_call(app) -> str:
    call_id = str(uuid.uuid4())
    app.extensions["webcall"].calllog.record(demo="default", mode="voice", outcome="created", call_id=call_id)
    return call_id


def work(app) -> int:
    return run_pending(task_queue(app).huey)


def test_a_signed_event_is_stored_queued_and_completes_the_call(app, client):
    call_id = new_call(app)
    answer = post(client, envelope("conversation.ended", call_id, status="completed", duration_seconds=42))
    assert answer.status_code == 202 and answer.get_json() == {"status": "accepted"}
    assert app.extensions["webcall"].calllog.call(call_id).status is None  # answered before the work
    assert work(app) == 1
    call = app.extensions["webcall"].calllog.call(call_id)
    assert (call.status, call.duration_seconds) == ("completed", 42)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sig": "0" * 64},  # wrong
        {"sig": ""},  # missing
        {"secret": "another-secret-of-enough-length"},  # signed with another secret
    ],
)
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(app, client, kwargs):
    answer = post(client, envelope("conversation.ended", new_call(app)), **kwargs)
    assert answer.status_code == 401
    assert stored(app) == 0 and work(app) == 0


def test_the_signature_covers_the_raw_bytes(app, client):
    body = json.dumps(envelope("conversation.ended", new_call(app))).encode()
    stamp = str(int(time.time()))
    good = signature(SECRET, body, stamp)
    headers = {
        "X-Itellico-Timestamp": stamp,
        "X-Itellico-Signature": good,
        "Content-Type": "application/json",
    }
    # The same JSON with other whitespace is another body: refused.
    assert client.post(URL, data=body.replace(b", ", b",  "), headers=headers).status_code == 401
    # A timestamp other than the signed one: refused.
    later = {**headers, "X-Itellico-Timestamp": str(int(stamp) + 1)}
    assert client.post(URL, data=body, headers=later).status_code == 401
    assert client.post(URL, data=body, headers=headers).status_code == 202


def test_a_stale_timestamp_is_401_even_when_signed(app, client):
    answer = post(client, envelope("conversation.ended", new_call(app)), timestamp=int(time.time()) - 301)
    assert answer.status_code == 401 and answer.get_json() == {"status": "stale"}
    future = post(client, envelope("conversation.ended", new_call(app)), timestamp=int(time.time()) + 301)
    assert future.status_code == 401
    assert stored(app) == 0


def test_a_replayed_event_is_2xx_and_does_nothing_again(app, client):
    call_id = new_call(app)
    event = envelope("conversation.ended", call_id, status="completed", duration_seconds=5)
    assert post(client, event).status_code == 202
    replay = post(client, event)  # freshly signed, same event_id
    assert replay.status_code == 200 and replay.get_json() == {"status": "duplicate"}
    assert stored(app) == 1
    assert work(app) == 1


def test_an_event_applied_twice_by_the_queue_changes_nothing_twice(app, client, monkeypatch):
    from webcall import notify

    ended: list[str] = []
    monkeypatch.setattr(notify, "on_call_ended", lambda _db, call_id: ended.append(call_id))
    call_id = new_call(app)
    event = envelope("conversation.ended", call_id, status="completed")
    post(client, event)
    task_queue(app).process_event(event["event_id"])  # queued again (the sweep, a retry)
    # A second ended event (another event_id) for the same call: the hook still runs once.
    post(client, envelope("conversation.ended", call_id, status="completed"))
    assert work(app) == 3
    assert ended == [call_id]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'"text"',
        json.dumps({"event_type": "conversation.ended", "data": {}}).encode(),  # no event_id
        json.dumps({"event_id": "e1", "event_type": "conversation.ended"}).encode(),  # no data
        json.dumps({"event_id": 7, "event_type": "conversation.ended", "data": {}}).encode(),
        b"\xff\xfe",
    ],
)
def test_a_malformed_body_is_400(app, client, body):
    assert post(client, body).status_code == 400
    assert stored(app) == 0


def _huge_int(event: dict[str, Any]) -> bytes:
    # Valid JSON that Python will not turn into an int (over 4,300 digits: ValueError, not JSONDecodeError).
    return json.dumps(event).replace('"HUGE"', "9" * 4301).encode()


@pytest.mark.parametrize(
    "body",
    [
        _huge_int(envelope("conversation.ended", "c1", duration_seconds="HUGE")),
        _huge_int(envelope("conversation.ended", "c1", messages=[{"seconds": "HUGE"}])),
        # A lone surrogate ("\ud800" is valid JSON) in any text that is kept: SQLite cannot encode it.
        json.dumps(envelope("conversation.ended", "c1", event_id="\ud800")).encode(),
        json.dumps(envelope("conversation.ended", "\udfff-c1")).encode(),
        json.dumps(envelope("conversation.ended", "c1", room_sid="RM_\ud800")).encode(),
        json.dumps(envelope("conversation.ended", "c1", status="completed\udc00")).encode(),
        json.dumps({**envelope("conversation.ended", "c1"), "created": "\ud83d"}).encode(),
        json.dumps(envelope("conversation.transcribed", "c1", event_id="\ud800")).encode(),  # even ignored
        # NUL: PostgreSQL's text refuses it (a 5xx there, retried for ever).
        json.dumps(envelope("conversation.ended", "c1", event_id="e\x00")).encode(),
    ],
    ids=[
        "huge-int",
        "huge-int-in-messages",
        "surrogate-event-id",
        "surrogate-call-id",
        "surrogate-room",
        "surrogate-status",
        "surrogate-created",
        "surrogate-ignored",
        "nul-event-id",
    ],
)
def test_a_signed_body_that_cannot_be_kept_is_malformed_not_a_5xx(make_sales_app, body):
    # A 5xx is what itellico retries: these must be a 400 once and for all. The default cap: bodies
    # with a huge integer are over the `app` fixture's 4096 bytes.
    app = make_sales_app(webhook_secret=SECRET)
    answer = post(app.test_client(), body)
    assert (answer.status_code, answer.get_json()) == (400, {"status": "malformed"})
    assert stored(app) == 0


def test_a_surrogate_where_nothing_is_kept_is_harmless(app, client):
    # The messages are never stored (nor anything else the event does not keep): a broken emoji in a
    # transcript does not cost the event.
    event = envelope("conversation.ended", new_call(app), messages=[{"role": "user", "message": "\ud83d"}])
    assert post(client, event).status_code == 202


def test_an_unknown_event_type_is_2xx_and_ignored(app, client):
    answer = post(client, envelope("conversation.transcribed", new_call(app)))
    assert answer.status_code == 200 and answer.get_json() == {"status": "ignored"}
    assert stored(app) == 0 and work(app) == 0


def test_ended_before_started_keeps_the_final_status(app, client):
    call_id = new_call(app)
    post(client, envelope("conversation.ended", call_id, status="failed", duration_seconds=3))
    post(client, envelope("conversation.started", call_id))
    post(client, envelope("conversation.analysis.completed", call_id))
    work(app)
    call = app.extensions["webcall"].calllog.call(call_id)
    assert (call.status, call.duration_seconds) == ("failed", 3)


def test_started_then_ended_in_order(app, client):
    call_id = new_call(app)
    post(client, envelope("conversation.started", call_id))
    work(app)
    assert app.extensions["webcall"].calllog.call(call_id).status == "in_progress"
    post(
        client,
        envelope("conversation.ended", call_id, status="completed", duration_seconds=9, room_sid="RM_1"),
    )
    work(app)
    assert app.extensions["webcall"].calllog.call(call_id).status == "completed"


def test_an_event_naming_only_the_room_finds_its_call(app, client):
    call_id = new_call(app)
    post(client, envelope("conversation.started", call_id, room_sid="RM_abc"))
    work(app)
    by_room = envelope("conversation.ended", "", status="completed", duration_seconds=7, room_sid="RM_abc")
    del by_room["data"]["conversation_uuid"]
    post(client, by_room)
    work(app)
    assert app.extensions["webcall"].calllog.call(call_id).duration_seconds == 7


def test_an_event_for_a_call_we_do_not_know_is_accepted_and_harmless(app, client):
    assert post(client, envelope("conversation.ended", str(uuid.uuid4()))).status_code == 202
    assert work(app) == 1


def test_the_messages_are_not_stored(app, client):
    call_id = new_call(app)
    post(
        client, envelope("conversation.ended", call_id, messages=[{"role": "user", "message": "my IBAN is"}])
    )
    work(app)
    with app.extensions["webcall"].calllog.engine.connect() as db:
        assert "IBAN" not in repr(db.execute(select(events)).all())


def test_a_body_over_the_cap_is_413_and_not_read(app, client):
    event = envelope("conversation.ended", new_call(app), padding="x" * 5000)
    assert post(client, event).status_code == 413
    assert stored(app) == 0


def test_the_endpoint_is_404_without_a_secret(make_sales_app):
    client = make_sales_app().test_client()
    assert post(client, envelope("conversation.ended", "x")).status_code == 404


def test_the_sweep_queues_what_lost_its_task(app, client, monkeypatch):
    call_id = new_call(app)
    queue = task_queue(app)
    monkeypatch.setattr(type(queue), "enqueue_event", lambda self, event_id: False)  # the queue was down
    assert post(client, envelope("conversation.ended", call_id, status="completed")).status_code == 202
    assert work(app) == 0
    assert queue.sweep() == 1
    work(app)
    assert app.extensions["webcall"].calllog.call(call_id).status == "completed"
    assert queue.sweep() == 0


def test_the_sweep_gives_an_event_a_day_then_leaves_it(app, client, monkeypatch, caplog):
    # An event the worker cannot apply (a bug, data it chokes on) was queued again every minute for
    # ever, each time with its task's five retries and their tracebacks.
    queue = task_queue(app)
    monkeypatch.setattr(type(queue), "enqueue_event", lambda self, event_id: False)
    assert post(client, envelope("conversation.ended", new_call(app), status="completed")).status_code == 202
    engine = app.extensions["webcall"].calllog.engine

    def received(ago: timedelta) -> None:
        with engine.begin() as db:
            db.execute(update(events).values(received_at=datetime.now(UTC) - ago))

    received(timedelta(hours=23))
    assert queue.sweep() == 1
    received(timedelta(hours=25))
    with caplog.at_level(logging.WARNING, logger="webcall.tasks"):
        assert queue.sweep() == 0
        assert queue.sweep() == 0
    assert caplog.text.count("webhook.given_up event_id=") == 1  # said once, then done with


def test_the_secret_never_shows_in_logs_or_answers(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    answers = [
        post(client, envelope("conversation.ended", new_call(app))),
        post(client, envelope("conversation.ended", new_call(app)), sig=SECRET),
        post(client, b"{bad"),
    ]
    logging.getLogger("webcall.test").warning("leak attempt %s", SECRET)
    text = caplog.text + "".join(a.get_data(as_text=True) + str(a.headers) for a in answers)
    assert "webhook.refused" in caplog.text
    assert SECRET not in text
    assert SECRET not in repr(app.extensions["webcall"].settings)


def test_webhooks_need_no_csrf_token_but_the_studio_still_does(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert post(client, envelope("conversation.ended", new_call(app))).status_code == 202
    sign_in(client)
    for path in ("/demos/logout", "/demos/alpenblick/links"):  # studio forms without their token
        assert client.post(path, data={}).status_code == 400, path
    assert client.get("/demos").status_code == 200  # still signed in: the logout was refused


def test_a_body_without_a_length_is_read_only_up_to_the_cap(app, client):
    answer = post(client, envelope("conversation.ended", new_call(app), padding="x" * 5000), chunked=True)
    assert answer.status_code == 413
    assert stored(app) == 0


# The default cap (WEBCALL_WEBHOOK_MAX_BYTES, 1 MiB) is far above the app-wide 64 KB body limit
# (webcall/security.py): these use it, not the 4096 of the `app` fixture, which hid that limit.


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_event_up_to_the_default_cap_is_accepted_whole(make_sales_app, chunked):
    app = make_sales_app(webhook_secret=SECRET)
    cap = app.extensions["webcall"].settings.webhook_max_bytes
    assert cap == 1024 * 1024
    client = app.test_client()
    for size in (100_000, cap):  # a cut body would fail its signature (401)
        answer = post(client, sized_event(new_call(app), size), chunked=chunked)
        assert (answer.status_code, answer.get_json()) == (202, {"status": "accepted"}), size
    assert stored(app) == 2
    # The larger cap is the webhook's alone: the rest of the app keeps its 64 KB.
    assert client.post("/api/calls", data=b"x" * 100_000, content_type="application/json").status_code == 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_default_cap_is_our_413_and_counted(make_sales_app, chunked):
    app = make_sales_app(webhook_secret=SECRET)
    cap = app.extensions["webcall"].settings.webhook_max_bytes
    before = too_large_count()
    answer = post(app.test_client(), sized_event(new_call(app), cap + 1), chunked=chunked)
    assert (answer.status_code, answer.get_json()) == (413, {"status": "too_large"})
    assert too_large_count() - before == 1
    assert stored(app) == 0


def test_over_real_http_a_chunked_event_is_read_whole_or_refused_as_too_large(make_sales_app):
    app = make_sales_app(webhook_secret=SECRET)
    cap = app.extensions["webcall"].settings.webhook_max_bytes
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for size, status, outcome in ((100_000, 202, "accepted"), (cap + 1, 413, "too_large")):
            raw = sized_event(new_call(app), size)
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            chunks = (raw[i : i + 16_384] for i in range(0, len(raw), 16_384))
            headers = {**signed_headers(raw), "Transfer-Encoding": "chunked"}  # and no Content-Length
            connection.request("POST", URL, body=chunks, headers=headers, encode_chunked=True)
            answer = connection.getresponse()
            assert (answer.status, json.loads(answer.read())) == (status, {"status": outcome}), size
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert stored(app) == 1


def test_applying_is_claimed_once(app, client):
    from webcall import webhook_work

    event = envelope("conversation.started", new_call(app))
    post(client, event)
    engine = app.extensions["webcall"].calllog.engine
    outcomes = [webhook_work.apply(engine, event["event_id"]) for _ in range(2)]
    assert outcomes == ["applied", "already"]
    assert webhook_work.apply(engine, "no-such-event") == "missing"


def test_applied_events_are_pruned_after_the_keep_time(app, client):
    from datetime import timedelta

    from webcall.webhook_store import prune

    post(client, envelope("conversation.started", new_call(app)))
    post(client, envelope("conversation.started", new_call(app)))
    engine = app.extensions["webcall"].calllog.engine
    assert prune(engine, keep=timedelta(0)) == 0  # nothing applied yet: kept whatever its age
    work(app)
    assert prune(engine, keep=timedelta(days=1)) == 0
    assert prune(engine, keep=timedelta(seconds=-1)) == 2
    assert stored(app) == 0


def test_each_answer_is_counted_by_outcome(app, client):
    from prometheus_client import REGISTRY

    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("webcall_webhook_events_total", {"outcome": outcome}) or 0.0

    before = {o: count(o) for o in ("accepted", "duplicate", "bad_signature", "malformed", "ignored")}
    event = envelope("conversation.started", new_call(app))
    post(client, event)
    post(client, event)
    post(client, event, sig="f" * 64)
    post(client, b"[]")
    post(client, envelope("agent.updated", "x"))
    assert {o: count(o) - before[o] for o in before} == dict.fromkeys(before, 1.0)


def test_make_run_wires_the_standin_to_the_app_with_one_secret():
    from sandbox.stack import SandboxStack

    stack = SandboxStack(api_port=5999, webhook_url="http://127.0.0.1:5998/webhooks/itellico")
    config = stack.standin.extensions["standin"]["config"]
    assert config.webhook_url == "http://127.0.0.1:5998/webhooks/itellico"
    assert stack.app_env()["ITELLICOAI_WEBHOOK_SECRET"] == config.webhook_secret == stack.webhook_secret
    assert stack.webhook_secret not in repr(stack) + repr(config)
    assert "ITELLICOAI_WEBHOOK_SECRET" not in SandboxStack(api_port=5999).app_env()


def test_the_worker_process_never_gets_the_secret(monkeypatch):
    import subprocess

    from webcall import devserver

    seen: dict[str, dict[str, str]] = {}
    monkeypatch.setenv("ITELLICOAI_WEBHOOK_SECRET", SECRET)
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: seen.setdefault("env", kwargs["env"]))
    devserver._start_worker()
    assert "ITELLICOAI_WEBHOOK_SECRET" not in seen["env"] and SECRET not in seen["env"].values()


def test_a_lagging_get_call_never_reopens_what_a_webhook_ended(app, client):
    call_id = new_call(app)
    post(client, envelope("conversation.ended", call_id, status="completed", duration_seconds=12))
    work(app)
    calllog = app.extensions["webcall"].calllog
    calllog.complete(call_id, "in_progress", None)  # e.g. the summary's GET call, a moment behind
    assert (calllog.call(call_id).status, calllog.call(call_id).duration_seconds) == ("completed", 12)
    # Nor does a final one: the webhook's end is the one the rep's notification told
    # (tests/unit/test_notifications_first_end.py). Without a webhook's end, GET call's is the call's.
    calllog.complete(call_id, "failed", 13)
    assert (calllog.call(call_id).status, calllog.call(call_id).duration_seconds) == ("completed", 12)
    unended = new_call(app)
    calllog.complete(unended, "failed", 13)
    assert (calllog.call(unended).status, calllog.call(unended).duration_seconds) == ("failed", 13)


def test_the_sweep_with_the_database_down_is_one_line_not_a_traceback(app, monkeypatch, caplog):
    # The worker's minute sweep met a stopped PostgreSQL with huey's "Unhandled exception in task" and a
    # full traceback every minute (an operator audit). Now: one warning line, nothing raised.
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("connection to server failed: Connection refused"))

    monkeypatch.setattr("webcall.tasks.prune", down)
    monkeypatch.setattr("webcall.tasks.unprocessed", down)
    queue = task_queue(app)
    with caplog.at_level(logging.WARNING, logger="webcall.tasks"):
        assert queue.sweep() == 0
        due = queue.huey.read_periodic(datetime.now())  # every minute's tasks: the sweep
        periodic = next(task for task in due if task.name == "webhook_sweep")
        assert queue.huey.execute(periodic) == 0  # as the worker runs it
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.tasks"]
    assert lines == ["sweep skipped: the database is unavailable (OperationalError: Connection refused)"] * 2
    assert not any(r.exc_info for r in caplog.records)
