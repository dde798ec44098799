"""/demos never asks itellico: a hung upstream costs the page nothing. Open calls are completed in
the background by the worker's periodic fallback (webcall/refresh.py, bounded) and by webhooks."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from datetime import datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event

from webcall.itellico_types import CallDetails
from webcall.refresh import refresh_open_calls

from .conftest import sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    # The production default timeout: each hung look-up waits this long.
    return make_sales_app(create_timeout_seconds=15.0)


@pytest.fixture
def client(app):
    client = app.test_client()
    sign_in(client)
    return client


def test_a_hung_upstream_does_not_hold_the_sales_index(client, standin):
    ids = [client.post("/api/calls", json={}).get_json()["call_id"] for _ in range(3)]
    standin.fault(mode="hang", endpoint="get", delay_seconds=30)
    started = time.monotonic()
    page = client.get("/demos")
    elapsed = time.monotonic() - started
    assert page.status_code == 200
    assert elapsed < 1.5, elapsed
    html = page.get_data(as_text=True)
    assert all(f'data-call-id="{call_id}"' in html for call_id in ids)


def test_the_page_view_asks_itellico_nothing_and_the_fallback_task_completes_calls(app, client, standin):
    call_id = client.post("/api/calls", json={}).get_json()["call_id"]
    store = standin.app.extensions["standin"]["store"]
    store.update(call_id, {"event": "participant_joined"})
    store.update(call_id, {"event": "ended", "reason": "participant_left"})
    html = client.get("/demos").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-call-id="{call_id}".*?</tr>', html, re.S).group(0)
    assert "completed" not in row  # the view did not look it up
    assert refresh_open_calls(app) == 1  # the worker's periodic task (webcall/tasks.py)
    html = client.get("/demos").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-call-id="{call_id}".*?</tr>', html, re.S).group(0)
    assert "Completed" in row


def test_the_fallback_is_a_periodic_task_of_the_queue(app):
    from webcall.tasks import task_queue

    assert task_queue(app).refresh is not None
    due = task_queue(app).huey.read_periodic(datetime(2026, 1, 1, 0, 0))  # minute 0: every interval
    assert "calllog_refresh" in {task.name for task in due}


def refresh_failures() -> float:
    return REGISTRY.get_sample_value("webcall_calllog_write_failures_total", {"operation": "refresh"}) or 0.0


def test_a_call_whose_values_cannot_be_written_does_not_hold_up_the_older_ones(
    app, client, monkeypatch, caplog
):
    # The audit's F4: the fallback's first failing write ended the whole run, newest call first, so one
    # call whose GET answer the call log cannot take kept every older open call open for 24 hours.
    older = client.post("/api/calls", json={}).get_json()["call_id"]
    newer = client.post("/api/calls", json={}).get_json()["call_id"]
    svc = app.extensions["webcall"]

    def get_call(call_id: str) -> CallDetails:
        duration = 2**70 if call_id == newer else 42  # too large for the column (SQLite: OverflowError)
        return CallDetails(call_id, "completed", "web", None, None, None, duration, ())

    monkeypatch.setattr(svc.itellico, "get_call", get_call)
    before = refresh_failures()
    with caplog.at_level(logging.WARNING):
        assert refresh_open_calls(app) == 1
    assert (svc.calllog.call(older).status, svc.calllog.call(older).duration_seconds) == ("completed", 42)
    assert svc.calllog.call(newer).status != "completed"
    assert refresh_failures() == before + 1  # the one write that failed
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"calllog.refresh write failed call_id={newer} error=OverflowError"
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_the_fallbacks_failed_read_is_not_counted_as_a_write_failure(app, client, caplog):
    # The audit's F13: with the database down, the read of the open calls failed and was counted in
    # webcall_calllog_write_failures_total{operation="refresh"}, which alerts on lost call-log writes.
    client.post("/api/calls", json={})
    engine = app.extensions["webcall"].calllog.engine

    def refuse(*_args: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    before = refresh_failures()
    event.listen(engine, "do_connect", refuse)
    engine.dispose()
    try:
        with caplog.at_level(logging.WARNING):
            assert refresh_open_calls(app) == 0
    finally:
        event.remove(engine, "do_connect", refuse)
    assert refresh_failures() == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "calllog.refresh failed: OperationalError: unable to open database file"
    ]
    assert not any(r.exc_info for r in caplog.records)
