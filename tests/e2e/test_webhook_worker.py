"""A burst of 1,000 webhook events and a worker killed half-way (SIGKILL, mid-transaction), then
started again: every event is applied once. Nothing lost (the stored events are the truth; the new
worker's start-up sweep queues what the dead one had taken off the queue), nothing doubled (the
notification hook, which runs inside the transaction that applies an event, wrote one row per call).

The worker is the real one (`python -m webcall.worker`, Huey's consumer on SQLite storage), with the
hook swapped for one that records each call it sees (and dawdles 5 ms, so the kill lands mid-burst).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT, create_app
from webcall.calllog import calls
from webcall.settings import Settings
from webcall.webhook_store import events
from webcall.webhooks import signature

SECRET = "burst-" + uuid.uuid4().hex
EVENTS = 1000

WORKER = """
import time
from sqlalchemy import text
from webcall import notify, worker

def hook(db, call_id):
    db.execute(text("INSERT INTO test_hook (call_id) VALUES (:c)"), {"c": call_id})
    time.sleep(0.005)

notify.on_call_ended = hook
raise SystemExit(worker.main())
"""


def _worker(tmp: Path, env: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
    script = tmp / "worker_under_test.py"
    script.write_text(WORKER)
    log = (tmp / log_name).open("wb")
    return subprocess.Popen(
        [sys.executable, str(script)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _processed(engine) -> int:
    with engine.connect() as db:
        return db.execute(
            select(func.count()).select_from(events).where(events.c.processed_at.is_not(None))
        ).scalar()


def test_a_burst_survives_a_worker_killed_half_way(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/calls.sqlite3"
    queue = f"sqlite:///{tmp_path}/tasks.sqlite3"
    settings = Settings(
        api_key="burst-test-key",
        agent_id=DEFAULT_AGENT_ID,
        base_url="http://127.0.0.1:9",
        database_url=database,
        task_queue_url=queue,
        webhook_secret=SECRET,
        refresh_minutes=0,
    )
    app = create_app({"settings": settings, "TESTING": True})
    calllog = app.extensions["webcall"].calllog
    engine = calllog.engine
    with engine.begin() as db:
        db.execute(text("CREATE TABLE test_hook (call_id VARCHAR(64) NOT NULL)"))
    call_ids = [str(uuid.uuid4()) for _ in range(EVENTS)]
    for call_id in call_ids:
        calllog.record(demo="default", mode="voice", outcome="created", call_id=call_id)

    client = app.test_client()
    for n, call_id in enumerate(call_ids):
        body = json.dumps(
            {
                "event_id": f"evt-{n}",
                "event_type": "conversation.ended",
                "created": "2026-12-03T05:00:00Z",
                "data": {"conversation_uuid": call_id, "status": "completed", "duration_seconds": n % 300},
            }
        ).encode()
        stamp = str(int(time.time()))
        headers = {"X-Itellico-Signature": signature(SECRET, body, stamp), "X-Itellico-Timestamp": stamp}
        assert client.post("/webhooks/itellico", data=body, headers=headers).status_code == 202
    assert _processed(engine) == 0

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    env.update(
        ITELLICOAI_API_KEY="burst-test-key",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_DATABASE_URL=database,
        WEBCALL_TASK_QUEUE_URL=queue,
        WEBCALL_REFRESH_MINUTES="0",
        WEBCALL_SECRET_KEY="burst-test-secret-key-0123456789",  # a production worker, as deployed
        PYTHONPATH=str(ROOT),
    )
    first = _worker(tmp_path, env, "worker-1.log")
    deadline = time.monotonic() + 60
    while _processed(engine) < EVENTS * 0.4:
        assert first.poll() is None, (tmp_path / "worker-1.log").read_text()
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = _processed(engine)
    assert at_kill < EVENTS, "the worker finished before it was killed"

    second = _worker(tmp_path, env, "worker-2.log")
    try:
        deadline = time.monotonic() + 120
        while _processed(engine) < EVENTS:
            assert second.poll() is None, (tmp_path / "worker-2.log").read_text()
            assert time.monotonic() < deadline, f"{_processed(engine)} of {EVENTS} applied"
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait(15)

    check = create_engine(database)
    with check.connect() as db:
        hooked = [row[0] for row in db.execute(text("SELECT call_id FROM test_hook"))]
        rows = db.execute(select(calls.c.call_id, calls.c.status, calls.c.ended_event_at)).all()
    assert len(hooked) == EVENTS and set(hooked) == set(call_ids)  # once each: none lost, none doubled
    assert all(status == "completed" and ended is not None for _, status, ended in rows)
    assert 0 < at_kill < EVENTS
