"""/demos completes open calls from itellico, but a hung upstream never holds the page: the whole
refresh has a small budget, and one refresh at a time per process goes on in the background."""

from __future__ import annotations

import re
import time

import pytest

from webcall.refresh import REFRESH_BUDGET_SECONDS

from .conftest import sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def client(make_sales_app):
    # The production default timeout: each hung look-up waits this long.
    client = make_sales_app(create_timeout_seconds=15.0).test_client()
    sign_in(client)
    return client


def test_a_hung_upstream_does_not_hold_the_sales_index(client, standin):
    ids = [client.post("/api/calls", json={}).get_json()["call_id"] for _ in range(3)]
    standin.fault(mode="hang", endpoint="get", delay_seconds=30)
    for _ in range(2):  # the second view finds the first refresh still running and does not wait longer
        started = time.monotonic()
        page = client.get("/demos")
        elapsed = time.monotonic() - started
        assert page.status_code == 200
        assert elapsed < REFRESH_BUDGET_SECONDS + 1.5, elapsed
    html = page.get_data(as_text=True)
    assert all(f'data-call-id="{call_id}"' in html for call_id in ids)


def test_a_healthy_upstream_still_completes_calls_on_the_same_view(client, standin):
    call_id = client.post("/api/calls", json={}).get_json()["call_id"]
    store = standin.app.extensions["standin"]["store"]
    store.update(call_id, {"event": "participant_joined"})
    store.update(call_id, {"event": "ended", "reason": "participant_left"})
    html = client.get("/demos").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-call-id="{call_id}".*?</tr>', html, re.S).group(0)
    assert "completed" in row
