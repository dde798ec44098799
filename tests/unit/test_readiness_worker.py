"""/readyz and the task worker: work only the worker does (applying itellico's webhook events,
delivering rep notifications), due minutes ago and still waiting, says `worker: behind` (degraded,
200). With the worker stopped nothing said so: webhooks were answered 202 and /readyz said ready
(an operator audit). Rows are written here as the web process writes them, and no worker runs."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, update

from webcall import create_app, health
from webcall.accounts import Accounts
from webcall.db import now
from webcall.notification_store import deliveries
from webcall.services import services
from webcall.webhook_store import events

pytestmark = pytest.mark.unit


@pytest.fixture
def app(settings, tmp_path):
    return create_app({"settings": replace(settings, database_url=f"sqlite:///{tmp_path / 'calls.db'}")})


def keep_event(app, event_id: str, age: timedelta) -> None:
    with app.app_context(), services().calllog.engine.begin() as db:
        db.execute(insert(events).values(event_id=event_id, event_type="call.ended", received_at=now() - age))


def readyz(app) -> dict:
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200, answer.text
    return answer.get_json()


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moment = time.monotonic() + seconds
    monkeypatch.setattr(health, "time", SimpleNamespace(monotonic=lambda: moment))


def test_nothing_waiting_is_ok(app):
    assert readyz(app)["checks"]["worker"] == "ok"


def test_an_event_just_kept_is_not_yet_late(app):
    keep_event(app, "evt-new", timedelta(seconds=30))
    ready = readyz(app)
    assert ready["status"] == "ready" and ready["checks"]["worker"] == "ok"


def test_an_event_unapplied_for_ten_minutes_is_behind_with_one_line(app, caplog, monkeypatch):
    keep_event(app, "evt-old", timedelta(minutes=10))
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        first = readyz(app)
        assert first["status"] == "degraded" and first["checks"]["worker"] == "behind"
        readyz(app)
        with app.app_context(), services().calllog.engine.begin() as db:
            db.execute(update(events).values(processed_at=now()))  # a worker applied it
        later(monkeypatch, health.REDIS_CHECK_CACHE_SECONDS + 1)
        assert readyz(app)["checks"]["worker"] == "ok"
    lines = [r.getMessage() for r in caplog.records if r.name == "webcall.health"]
    assert len(lines) == 2
    assert lines[0].startswith("readiness: worker behind (work due 6")  # 600 s and a little
    assert lines[1] == "readiness: worker ok again"


def test_a_notification_due_ten_minutes_ago_is_behind(app):
    with app.app_context():
        rep = Accounts(services().calllog.engine).add("rep@example.com", "a long enough password")
        with services().calllog.engine.begin() as db:
            db.execute(
                insert(deliveries).values(
                    kind="test",
                    channel="webhook",
                    account_id=rep.id,
                    target="https://hooks.example.com/x",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now() - timedelta(minutes=10),
                    created_at=now() - timedelta(minutes=10),
                )
            )
    assert readyz(app)["checks"]["worker"] == "behind"
