"""The task worker's counters in the scrape an operator already does: the real launchers (`make serve`:
the worker and gunicorn with 2 workers, scripts/serve.sh; `make run`: the dev server and the worker)
started through the Makefile, a signed `conversation.ended` for a call on a rep's link posted to the
app, the real worker (`python -m webcall.worker`) sending the rep's webhook to a local receiver, and
then the app's `/metrics` scraped over HTTP with the bearer token shows
`webcall_notifications_total{channel="webhook", outcome="sent"} 1.0`, counted by the worker, whichever
web process answers. One Ctrl-C (SIGINT to the process group) stops everything and removes the metrics
directory the Makefile made for both.

No sandbox (an API key is set; itellico is never asked), no browser: a few seconds per launcher."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from tests.receivers import webhook_receiver
from webcall import ROOT, create_app
from webcall.notification_prefs_store import Prefs, save_prefs
from webcall.settings import Settings

from .test_notifications_e2e import PASSWORD, REP, WEBHOOK_SECRET, call_on_reps_link, post_ended

TOKEN = "worker-metrics-token-" + uuid.uuid4().hex
SENT = 'webcall_notifications_total{channel="webhook",outcome="sent"} 1.0'


def _ready_call(database: str, queue: str, receiver_url: str) -> str:
    """A rep whose webhook is the receiver, and a call on their share link, in the launcher's database."""
    settings = Settings(
        api_key="e2e-worker-metrics-key",
        agent_id=DEFAULT_AGENT_ID,
        base_url="http://127.0.0.1:9",
        demos_file=str(ROOT / "demos.toml"),
        database_url=database,
        task_queue_url=queue,
        refresh_minutes=0,
    )
    svc = create_app({"settings": settings}).extensions["webcall"]
    rep = svc.accounts.add(REP, PASSWORD, role="rep")
    save_prefs(svc.calllog.engine, rep.id, Prefs(webhook_url=receiver_url))
    call_id = call_on_reps_link(svc)
    svc.calllog.engine.dispose()
    return call_id


def _wait_healthy(url: str, make: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert make.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the app never became healthy\n" + log.read_text(errors="replace"))


def _scrape(url: str) -> str:
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.text


def _stop(make: subprocess.Popen[bytes]) -> None:
    """Ctrl-C: SIGINT to the whole process group, as a terminal sends it."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGINT)
        try:
            make.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


@pytest.mark.parametrize("target", ["serve", "run"])
def test_the_workers_notification_counter_reaches_the_apps_scrape(tmp_path: Path, target: str) -> None:
    database, queue = f"sqlite:///{tmp_path}/calls.sqlite3", f"sqlite:///{tmp_path}/tasks.sqlite3"
    temp = tmp_path / "tmp"  # the Makefile's mktemp makes the shared metrics directory here
    temp.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / f"make-{target}.log"
    with webhook_receiver() as hook:
        call_id = _ready_call(database, queue, hook.url)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_"))
        }
        env.update(
            TMPDIR=str(temp),
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY="2",
            ITELLICOAI_API_KEY="e2e-worker-metrics-key",
            ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
            ITELLICOAI_BASE_URL="http://127.0.0.1:9",
            ITELLICOAI_WEBHOOK_SECRET=WEBHOOK_SECRET,
            WEBCALL_SECRET_KEY="worker-metrics-secret-key-0123456789",
            WEBCALL_DATABASE_URL=database,
            WEBCALL_TASK_QUEUE_URL=queue,
            WEBCALL_REFRESH_MINUTES="0",
            WEBCALL_METRICS_TOKEN=TOKEN,
            WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS="true",  # the receiver is on loopback
        )
        with log.open("wb") as out:
            make = subprocess.Popen(
                ["make", "-s", "-o", "setup", "-o", "serve-setup", target],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the Ctrl-C below
            )
        try:
            _wait_healthy(url, make, log)
            (shared,) = temp.glob("webcall-shared-metrics-*")
            assert SENT not in _scrape(url)

            post_ended(url, call_id)
            try:
                hook.wait_for(1, timeout=30)
            except AssertionError:
                raise AssertionError(log.read_text(errors="replace")) from None

            # The worker counts the attempt right after the receiver answered: scrape until it shows,
            # then every scrape (either gunicorn worker may answer) shows it, once.
            deadline = time.monotonic() + 10
            while SENT not in (text := _scrape(url)) and time.monotonic() < deadline:
                time.sleep(0.1)
            for _ in range(6):
                text = _scrape(url)
                assert SENT in text.splitlines(), text
                samples = {
                    (s.name, tuple(sorted(s.labels.items()))): s.value
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                }
                notified = {key: v for key, v in samples.items() if key[0] == "webcall_notifications_total"}
                assert notified == {
                    ("webcall_notifications_total", (("channel", "webhook"), ("outcome", "sent"))): 1.0
                }
                # The worker writes its build info too: still one series.
                assert len([key for key in samples if key[0] == "webcall_build_info"]) == 1
                assert (
                    samples[("webcall_webhook_events_total", (("outcome", "accepted"),))] == 1.0
                )  # the web process's count, in the same scrape
        finally:
            _stop(make)
    assert make.returncode is not None
    assert not list(temp.glob("webcall-shared-metrics-*")), "the shared metrics directory was left behind"
    assert not shared.exists()
    with pytest.raises(ProcessLookupError):
        os.killpg(make.pid, 0)  # nothing of the group is left
