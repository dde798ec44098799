"""The stand-in sends itellico's conversation webhooks, signed, when a sandbox call starts and ends
(then its analysis), to the app's /webhooks/itellico over real HTTP; the app's queue completes the
call from them. A receiver that is down or slow never holds the stand-in's API."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from sandbox.ports import free_port
from sandbox.standin import SANDBOX_ACCOUNT_ID, StandinConfig, create_standin
from webcall import create_app
from webcall.tasks import run_pending, task_queue

from ..conftest import STANDIN_KEY

pytestmark = pytest.mark.unit

SECRET = "standin-webhook-secret-0123456789"


def serve(app, port: int):
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for(predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_sandbox_call_is_completed_by_the_standins_webhooks(settings, tmp_path):
    app_port = free_port()
    standin = create_standin(
        StandinConfig(
            api_key=STANDIN_KEY,
            start_agents=False,
            webhook_url=f"http://127.0.0.1:{app_port}/webhooks/itellico",
            webhook_secret=SECRET,
        )
    )
    standin_server = serve(standin, 0)
    app = create_app(
        {
            "settings": replace(
                settings,
                base_url=f"http://127.0.0.1:{standin_server.server_port}",
                webhook_secret=SECRET,
                database_url=f"sqlite:///{tmp_path}/c.sqlite3",
                refresh_minutes=0,
            ),
            "TESTING": True,
        }
    )
    app_server = serve(app, app_port)
    try:
        answer = app.test_client().post("/api/calls", json={})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        call_id = answer.get_json()["call_id"]
        store = standin.extensions["standin"]["store"]
        sender = store._webhooks
        store.update(call_id, {"event": "participant_joined"})
        store.update(call_id, {"event": "ended", "reason": "participant_left"})
        wait_for(lambda: len(sender.sent) == 3)
        assert sender.sent == [
            ("conversation.started", 202),
            ("conversation.ended", 202),
            ("conversation.analysis.completed", 202),
        ]
        assert app.extensions["webcall"].calllog.call(call_id).status == "in_progress"  # not applied yet
        run_pending(task_queue(app).huey)
        call = app.extensions["webcall"].calllog.call(call_id)
        assert call.status == "completed" and call.duration_seconds is not None
    finally:
        app_server.shutdown()
        standin_server.shutdown()


def test_a_dead_receiver_never_holds_the_standin():
    standin = create_standin(
        StandinConfig(
            api_key=STANDIN_KEY,
            start_agents=False,
            webhook_url="http://10.255.255.1:9/webhooks/itellico",  # unroutable: each post times out
            webhook_secret=SECRET,
        )
    )
    client = standin.test_client()
    headers = {"X-API-Key": STANDIN_KEY}
    body = {"agent_id": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41", "type": "web"}
    account = SANDBOX_ACCOUNT_ID
    started = time.monotonic()
    for _ in range(5):
        created = client.post(f"/v1/accounts/{account}/calls", json=body, headers=headers)
        assert created.status_code == 201, created.get_data(as_text=True)
        store = standin.extensions["standin"]["store"]
        store.update(created.get_json()["id"], {"event": "participant_joined"})
        store.update(created.get_json()["id"], {"event": "ended", "reason": "participant_left"})
    assert time.monotonic() - started < 2.0
