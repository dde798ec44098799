"""/demos never asks itellico: a hung upstream costs the page nothing. Open calls are completed in
the background by the worker's periodic fallback (webcall/refresh.py, bounded) and by webhooks."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

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
