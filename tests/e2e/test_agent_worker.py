"""The framework agent workers (sandbox/worker.py) as a platform runs them: a call gets its agent while
the CPU is busy, two visitors at once each get one, a crashed agent ends its call `failed` and the next
call still works, and a worker
does not inherit the secrets of the process that starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
from playwright.sync_api import BrowserContext, Page, expect

from sandbox.agent_runner import AgentWorkers
from sandbox.stack import DEFAULT_AGENT_ID

from .conftest import Sandbox, wait_until
from .test_call import AGENT_LINE, ELEMENT, open_call_page, start_call

BURN_SECONDS = 180  # each busy process ends by itself after this, whatever happens to the test


def test_a_call_gets_its_agent_while_both_cores_are_busy(page: Page, app_url: str, sandbox: Sandbox) -> None:
    """livekit-agents' default load function marks a worker full above 0.7 CPU; then livekit-server
    finds "no servers available" and the call never gets an agent. The sandbox's workers never refuse."""
    burners = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import time\nend = time.time() + {BURN_SECONDS}\nwhile time.time() < end: pass",
            ]
        )
        for _ in range(psutil.cpu_count() or 2)
    ]
    try:
        # The framework averages CPU use over a few seconds; wait until the box is visibly saturated.
        wait_until(lambda: psutil.cpu_percent(interval=1.0) > 90, 60, "the CPU to be saturated")
        wait_until(lambda: psutil.cpu_percent(interval=3.0) > 90, 60, "the CPU to stay saturated")
        open_call_page(page, f"{app_url}/?mode=text")
        start_call(page)
        expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=90_000)
        assert all(b.poll() is None for b in burners)  # it really was answered under load
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_a_crashed_agent_fails_its_call_and_the_next_call_works(
    page: Page, app_url: str, sandbox: Sandbox
) -> None:
    sandbox.fault(mode="agent_crash", times=1)
    open_call_page(page, f"{app_url}/?mode=text")
    created = start_call(page)
    expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=30_000)
    failed = wait_until(
        lambda: (call := sandbox.call(created["call_id"]))["status"] == "failed" and call,
        30,
        "the crashed agent's call to be failed",
    )
    assert failed["ended_at"] and any(m["role"] == "agent" for m in failed["messages"])

    # The stand-in is still up and the worker takes the next call.
    open_call_page(page, f"{app_url}/?mode=text")
    created = start_call(page)
    expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=30_000)
    page.click(f"{ELEMENT} [part=call-button]")
    wait_until(
        lambda: sandbox.call(created["call_id"])["status"] == "completed", 30, "the next call to complete"
    )


def test_two_visitors_at_once_each_get_an_agent(
    context: BrowserContext, app_url: str, sandbox: Sandbox
) -> None:
    # One warm job process per worker: the second call's process is started while the first call is
    # taken, and still joins well within the join timeout.
    pages = [context.new_page() for _ in range(2)]
    for page in pages:
        open_call_page(page, f"{app_url}/?mode=text")
    created = [start_call(page) for page in pages]
    for page in pages:
        expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=30_000)
    assert created[0]["call_id"] != created[1]["call_id"]
    for page in pages:
        page.click(f"{ELEMENT} [part=call-button]")
    for call in created:
        wait_until(
            lambda call=call: sandbox.call(call["call_id"])["status"] == "completed",
            30,
            "both calls to complete",
        )


def test_the_report_endpoint_wants_its_token_and_survives_junk(sandbox: Sandbox) -> None:
    url = f"{sandbox.stack.base_url}/_sandbox/agent-events/no-such-call"
    assert httpx.post(url, json={"event": "ended"}).status_code == 401
    assert httpx.post(url, json={"event": "ended"}, headers={"X-API-Key": sandbox.key}).status_code == 401
    token = sandbox.stack.standin.extensions["standin"]["config"].report_token
    assert httpx.post(url, content=b"{nope", headers={"X-Report-Token": token}).status_code == 400
    assert httpx.get(
        f"{sandbox.stack.base_url}/v1/accounts/current", headers={"X-API-Key": sandbox.key}
    ).is_success


def _group(pid: int) -> list[psutil.Process]:
    """The worker and its job processes (they share the process group it was started in)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid == pid or os.getpgid(proc.pid) == pid:
                found.append(proc)
        except (psutil.Error, ProcessLookupError):
            continue
    return found


def test_agent_workers_do_not_inherit_secrets(sandbox: Sandbox, monkeypatch, tmp_path: Path) -> None:
    """The sandbox starts its workers from the process that serves the app (as `make run` does): the
    key, the secret key and the sales password are in that environment."""
    secrets = {
        "ITELLICOAI_API_KEY": sandbox.key,
        "WEBCALL_SECRET_KEY": "worker-test-secret-key-0123456789",
        "WEBCALL_SALES_PASSWORD": "worker-test-sales-password",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    config = sandbox.stack.workers.config
    workers = AgentWorkers(
        type(config)(**{**vars(config), "agent_ids": (DEFAULT_AGENT_ID,), "log_dir": tmp_path})
    )
    workers.start()  # returns once registered, so its warm job process is up too
    try:
        (pid,) = workers.pids()
        group = wait_until(lambda: len(g := _group(pid)) >= 2 and g, 60, "the worker's warm job process")
        for proc in group:
            environ = proc.environ()
            assert "PATH" in environ and environ["LIVEKIT_URL"]  # it did read the agent's environment
            assert not set(environ) & set(secrets), set(environ) & set(secrets)
            for value in secrets.values():
                assert not any(value in entry for entry in environ.values())
    finally:
        workers.stop()
    wait_until(lambda: not _group(pid), 30, "stop() to leave no worker process behind")
