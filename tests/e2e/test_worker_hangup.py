"""SIGHUP to the task worker (`python -m webcall.worker`): Huey's consumer restarts by re-exec'ing
`sys.executable *sys.argv`, and for `-m webcall.worker` argv[0] is the bare file path, so the worker
died on the first SIGHUP with "attempted relative import with no known parent package" (an operator's
audit) and nothing applied webhooks any more. Now it finishes its tasks and starts again in place.

The real worker runs as a child process on SQLite; after the SIGHUP it says it is running again (the
same pid), and a signed `conversation.ended` posted to the app only then is applied by it: the rep's
webhook receiver gets the notification. No sandbox, no browser: a few seconds."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from tests.receivers import webhook_receiver
from webcall import ROOT, create_app
from webcall.notification_prefs_store import Prefs, save_prefs
from webcall.settings import Settings

from .conftest import wait_until
from .harness import serve
from .test_notifications_e2e import PASSWORD, REP, WEBHOOK_SECRET, call_on_reps_link, post_ended, worker

pytestmark = pytest.mark.e2e

RUNNING = "worker is running"
OURS = ("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_")


def test_a_sighup_restarts_the_worker_which_then_applies_a_new_event(tmp_path: Path) -> None:
    database, queue = f"sqlite:///{tmp_path}/calls.sqlite3", f"sqlite:///{tmp_path}/tasks.sqlite3"
    with webhook_receiver() as hook:
        settings = Settings(
            api_key="e2e-hangup-key",
            agent_id=DEFAULT_AGENT_ID,
            base_url="http://127.0.0.1:9",
            demos_file=str(ROOT / "demos.toml"),
            database_url=database,
            task_queue_url=queue,
            webhook_secret=WEBHOOK_SECRET,
            notify_allow_private_targets=True,
            refresh_minutes=0,
        )
        app = create_app({"settings": settings})
        svc = app.extensions["webcall"]
        rep = svc.accounts.add(REP, PASSWORD, role="rep")
        save_prefs(svc.calllog.engine, rep.id, Prefs(webhook_url=hook.url))
        call_id = call_on_reps_link(svc)

        env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
        env.update(
            ITELLICOAI_API_KEY="e2e-hangup-key",
            ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
            ITELLICOAI_BASE_URL="http://127.0.0.1:9",
            WEBCALL_SECRET_KEY="e2e-hangup-secret-key-0123456789",
            WEBCALL_DATABASE_URL=database,
            WEBCALL_TASK_QUEUE_URL=queue,
            WEBCALL_REFRESH_MINUTES="0",
            WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS="true",  # the receiver is on loopback
        )
        log = tmp_path / "worker.log"
        with worker(env, log) as process, serve(app) as url:
            wait_until(lambda: RUNNING in log.read_text(), 60, "the worker to run")
            process.send_signal(signal.SIGHUP)

            def running_again() -> bool:
                assert process.poll() is None, f"the worker died on SIGHUP:\n{log.read_text()}"
                return log.read_text().count(RUNNING) == 2

            wait_until(running_again, 60, "the worker to run again after SIGHUP")
            assert process.poll() is None

            post_ended(url, call_id)  # only now: the restarted worker is the one that applies it
            try:
                (got,) = hook.wait_for(1, timeout=30)
            except AssertionError:
                raise AssertionError(log.read_text()) from None
            assert process.poll() is None, log.read_text()
    assert call_id.encode() in got.body
