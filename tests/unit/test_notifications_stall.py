"""One receiver that never answers must not hold up everyone else's notifications. The task worker's
consumer (webcall/worker.py, its real threads) runs the deliveries here; the stalled receiver is a real
local server that accepts connections and stays silent for longer than any wait in these tests, each
attempt's timeout being as long: before, a stalled rep's few deliveries took every worker thread for
the whole timeout, and every other rep waited behind them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from tests.receivers import webhook_receiver
from webcall import worker
from webcall.notification_prefs_store import Prefs, save_prefs
from webcall.tasks import task_queue

from .conftest import ready_account, sign_in
from .test_notifications import apply_event_only, call_on_rep_link, end, engine, notify_app, rows, set_prefs

pytestmark = pytest.mark.unit

STALL = 30.0  # how long the silent receiver stays silent, and each attempt's timeout
OTHER_REP = "other-rep@example.com"


@dataclass
class Silent:
    """A server that accepts every connection and never says a word (until the test ends)."""

    port: int
    accepted: list[socket.socket] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/silent"

    def wait_for(self, count: int, timeout: float) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.accepted) >= count, timeout), len(self.accepted)

    def hang_up(self) -> None:
        """Close every connection: the attempts still waiting on one end now."""
        with self.arrived:
            for connection in self.accepted:
                connection.close()


@contextmanager
def silent_server() -> Iterator[Silent]:
    listener = socket.create_server(("127.0.0.1", 0))
    silent = Silent(port=listener.getsockname()[1])

    def accept() -> None:
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:  # closed: the test is over
                return
            with silent.arrived:
                silent.accepted.append(connection)
                silent.arrived.notify_all()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield silent
    finally:
        listener.close()
        silent.hang_up()


@contextmanager
def running_worker(app, silent: Silent) -> Iterator[None]:
    """The task worker's consumer as `python -m webcall.worker` builds it, on this app's queue; at the
    end `silent` hangs up, so the attempts waiting on it end and the worker's threads can stop."""
    consumer = worker.consumer(task_queue(app).huey)
    consumer._set_signal_handlers = lambda: None  # the test process keeps its own SIGINT/SIGTERM
    consumer.start()
    try:
        yield
    finally:
        silent.hang_up()
        consumer.stop(graceful=True)


def test_a_receiver_that_never_answers_does_not_hold_up_another_reps_notification(make_sales_app):
    app = notify_app(make_sales_app, notify_timeout_seconds=STALL)
    stalled_rep, other_rep = app.test_client(), app.test_client()
    sign_in(stalled_rep)
    sign_in(other_rep, OTHER_REP)
    with silent_server() as silent, webhook_receiver() as receiver:
        set_prefs(stalled_rep, silent.url)
        set_prefs(other_rep, receiver.url)
        stalled_calls = worker.THREADS + 1  # more than the worker has threads, queued first
        for _ in range(stalled_calls):
            end(stalled_rep, call_on_rep_link(app))
        end(other_rep, call_on_rep_link(app, owner=OTHER_REP))
        for _ in range(stalled_calls + 1):
            apply_event_only(app)  # the events: their deliveries are queued, the stalled rep's first
        with running_worker(app, silent):
            receiver.wait_for(1, timeout=STALL / 3)
            silent.wait_for(1, timeout=STALL / 3)  # the stalled receiver was being tried meanwhile
            assert len(silent.accepted) == 1  # by one attempt at a time
    assert [r["status"] for r in rows(app) if r["target"] == receiver.url] == ["sent"]


def test_a_mail_server_that_never_answers_does_not_hold_up_webhooks(make_sales_app):
    with silent_server() as smtp, webhook_receiver() as receiver:
        app = notify_app(
            make_sales_app,
            notify_timeout_seconds=STALL,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_from="webcall@example.com",
            smtp_starttls=False,
        )
        for number in range(worker.THREADS + 1):  # every rep's email goes to the one silent server
            rep = ready_account(app, f"rep{number}@example.com")
            save_prefs(engine(app), rep.id, Prefs(email_on=True))
            end(app.test_client(), call_on_rep_link(app, owner=rep.email))
        other_rep = app.test_client()
        sign_in(other_rep, OTHER_REP)
        set_prefs(other_rep, receiver.url)
        end(other_rep, call_on_rep_link(app, owner=OTHER_REP))
        for _ in range(worker.THREADS + 2):
            apply_event_only(app)
        with running_worker(app, smtp):
            receiver.wait_for(1, timeout=STALL / 3)
