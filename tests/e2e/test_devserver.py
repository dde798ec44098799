"""`make run`'s launcher: everything starts, serves, and one Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from sandbox.ports import free_port
from webcall import ROOT


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found |= {kid} | _children(kid)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _launcher_env(**ports: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    env.update({k: str(v) for k, v in ports.items()})
    return env


def _ports() -> dict[str, int]:
    return {
        "PORT": free_port(),
        "SANDBOX_API_PORT": free_port(),
        "LIVEKIT_PORT": free_port(),
        "LIVEKIT_TCP_PORT": free_port(),
        "LIVEKIT_UDP_PORT": free_port(udp=True),
    }


def test_launcher_serves_the_sandbox_and_ctrl_c_leaves_no_process_behind():
    ports = _ports()
    process = subprocess.Popen(
        [sys.executable, "-m", "webcall.devserver"],
        cwd=ROOT,
        env=_launcher_env(**ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        assert process.stdout is not None
        banner = ""
        for line in process.stdout:  # ends when the launcher prints the studio's sign-in, or dies
            banner += line
            if "sales studio:" in line:
                break
        assert f"http://127.0.0.1:{ports['PORT']}/" in banner, banner
        base = f"http://127.0.0.1:{ports['PORT']}"
        # The printed admin signs in (a second run against the same database gets its new password).
        admin = re.search(r"\(admin: (\S+), password: (\S+)\)", banner)
        assert admin, banner
        with httpx.Client(base_url=base) as studio:
            token = re.search(r'name="csrf" value="([^"]+)"', studio.get("/demos/login").text).group(1)
            signed = {"email": admin.group(1), "password": admin.group(2), "csrf": token}
            assert studio.post("/demos/login", data=signed).headers["Location"] == "/demos"
            assert studio.get("/demos").status_code == 200
        assert "<itellico-call" in httpx.get(base + "/").text
        created = httpx.post(base + "/api/calls", json={"mode": "text"}, timeout=20)
        assert created.status_code == 201, created.text
        assert created.json()["rtc_config"] == {"iceServers": []}
        descendants = _children(process.pid)
        assert descendants, "livekit-server and the agent should be running"
        # The task worker runs as the app does (development: make run sets it, as the worker's own
        # default is production) and knows the public address, so rep notifications link to the call
        # (without it they said "the studio's Calls page" and the email had no link).
        (worker,) = [p for p in descendants if b"webcall.worker" in _cmdline(p)]
        worker_env = dict(
            e.split("=", 1) for e in Path(f"/proc/{worker}/environ").read_text().split("\0") if "=" in e
        )
        assert worker_env["WEBCALL_ENV"] == "development"
        assert worker_env["WEBCALL_PUBLIC_URL"] == base
        # Ctrl-C in a terminal signals the whole foreground process group, children included.
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert not [pid for pid in descendants if _alive(pid)]
        # One line per event: the app's lines used to print twice (its own handler and the root's).
        output = process.stdout.read()
        assert "the task worker exited" not in output, output  # stopped by the launcher, not dead
        assert output.count(f"call.create outcome=created call_id={created.json()['call_id']}") == 1, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_taken_port_is_named_in_one_clear_line():
    ports = _ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["LIVEKIT_PORT"]))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "webcall.devserver"],
            cwd=ROOT,
            env=_launcher_env(**ports),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    taken_port = ports["LIVEKIT_PORT"]
    assert f"port {taken_port}/TCP on 127.0.0.1 is already in use; set LIVEKIT_PORT" in result.stderr


def test_a_task_worker_that_dies_stops_the_launcher_with_one_line():
    """As `make serve` does (scripts/serve.sh): a dead worker left the app serving alone, taking
    itellico's webhooks that nothing applied and rep notifications that nothing sent."""
    ports = _ports()
    env = _launcher_env(**ports)
    # Against an API (nothing listens there: no create is made), so no sandbox to start and stop.
    env.update(
        ITELLICOAI_API_KEY="devserver-test-key",
        ITELLICOAI_AGENT_ID="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "webcall.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        banner = ""
        for line in process.stdout:  # ends when the launcher says it runs, or dies
            banner += line
            if "is running at" in line:
                break
        assert "is running at" in banner, banner
        (worker,) = [p for p in _children(process.pid) if b"webcall.worker" in _cmdline(p)]
        os.kill(worker, signal.SIGKILL)
        assert process.wait(timeout=30) != 0
        output = process.stdout.read()
        assert "the task worker exited" in output, output
        assert "Traceback" not in output, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
