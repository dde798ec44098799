"""itellico's webhook when its event cannot be stored (a full disk, the database gone): a 5xx, so
itellico delivers it again later, in the JSON every other answer of the route has, and counted."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from .test_webhooks import SECRET, envelope, post

pytestmark = pytest.mark.unit


def test_an_event_that_cannot_be_stored_is_a_counted_json_503(make_sales_app, caplog):
    app = make_sales_app(webhook_secret=SECRET)
    with app.extensions["webcall"].calllog.engine.begin() as db:
        db.execute(text("DROP TABLE webcall_webhook_events"))  # any failure to store it
    failed = ("webcall_webhook_events_total", {"outcome": "store_failed"})
    before = REGISTRY.get_sample_value(*failed) or 0.0
    answer = post(app.test_client(), envelope("conversation.ended", str(uuid.uuid4()), status="completed"))
    # Werkzeug's HTML error page was the answer before, and no metric said so.
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "store_failed"}
    assert (REGISTRY.get_sample_value(*failed) or 0.0) == before + 1
    assert "webhook.store failed" in caplog.text
