"""`make serve` supervises gunicorn and the task worker as one (scripts/serve.sh). Its recipe never
watched the worker: a worker that died (a SIGHUP did, an operator's audit) or refused to start (a
Redis queue it cannot reach) left gunicorn serving alone, accepting webhooks that nothing applied; a
SIGHUP to the recipe's shell (a closed terminal) left gunicorn orphaned and the metrics folder behind.
Now either one ending stops the other, `make serve` exits non-zero, and the folder is removed.

The real `make serve` (setup skipped) in its own process group, on SQLite, one gunicorn worker; each
case waits for conditions (the app healthy, the worker running, make's exit), never for a time."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT

from .conftest import wait_until

pytestmark = pytest.mark.e2e

RUNNING = "worker is running"
OURS = ("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_")


@dataclass
class Serve:
    make: subprocess.Popen[bytes]
    log: Path
    temp: Path  # TMPDIR: where the serve script's mktemp makes the shared metrics folder
    url: str

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def group(self) -> dict[int, tuple[int, list[str]]]:
        """The processes of make's group: pid -> (parent pid, argv)."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, …
            if fields[0] != "Z" and int(fields[2]) == self.make.pid:
                found[int(entry.name)] = (int(fields[1]), argv)
        return found

    def worker(self) -> int:
        """The task worker: `python -m webcall.worker`."""
        (pid,) = [pid for pid, (_, argv) in self.group().items() if argv[1:3] == ["-m", "webcall.worker"]]
        return pid

    def shell(self) -> int:
        """The recipe's shell: make's child."""
        (pid,) = [pid for pid, (ppid, _) in self.group().items() if ppid == self.make.pid]
        return pid

    def gunicorn_master(self) -> int:
        shell = self.shell()
        group = self.group().items()
        (pid,) = [pid for pid, (ppid, argv) in group if ppid == shell and argv[1:3] == ["-m", "gunicorn"]]
        return pid

    def ended(self, timeout: float = 60) -> int:
        try:
            return self.make.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"make serve still runs:\n{self.group()}\n{self.text()}") from None

    def all_stopped(self) -> None:
        """Nothing of the group is left and the metrics folder it made is gone."""
        wait_until(lambda: not self.group(), 30, "every process of `make serve` to end")
        assert not list(self.temp.glob("webcall-shared-metrics-*")), "the metrics folder was left behind"


@contextmanager
def make_serve(tmp_path: Path, **settings: str) -> Iterator[Serve]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(
        TMPDIR=str(temp),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        ITELLICOAI_API_KEY="e2e-supervision-key",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_SECRET_KEY="e2e-supervision-secret-key-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/calls.sqlite3",
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_REFRESH_MINUTES="0",
        WEBCALL_GRACEFUL_TIMEOUT="5",
    )
    env.update(settings)
    log = tmp_path / "make-serve.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "-s", "-o", "setup", "-o", "serve-setup", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: found, signalled and cleaned up as one
        )
    serve = Serve(make, log, temp, f"http://127.0.0.1:{port}")
    try:
        yield serve
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            try:
                make.wait(30)
            except subprocess.TimeoutExpired:
                pass
        for pid in serve.group():  # whatever a failed case left behind (an orphaned gunicorn)
            os.kill(pid, signal.SIGKILL)


def _serving(serve: Serve) -> None:
    """The app answers /healthz and the worker runs."""

    def up() -> bool:
        assert serve.make.poll() is None, serve.text()
        if RUNNING not in serve.text():
            return False
        try:
            return httpx.get(f"{serve.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, 60, "the app and the worker to run", interval=0.1)


def test_a_worker_that_dies_stops_gunicorn_and_make_serve(tmp_path: Path) -> None:
    with make_serve(tmp_path) as serve:
        _serving(serve)
        os.kill(serve.worker(), signal.SIGKILL)
        assert serve.ended() != 0
        serve.all_stopped()
        assert "make serve: the task worker exited (status 137); stopping gunicorn" in serve.text()


def test_gunicorn_stopping_stops_the_worker_and_make_serve_fails(tmp_path: Path) -> None:
    with make_serve(tmp_path) as serve:
        _serving(serve)
        os.kill(serve.gunicorn_master(), signal.SIGTERM)  # gunicorn itself exits 0 on SIGTERM
        assert serve.ended() != 0
        serve.all_stopped()
        assert "make serve: gunicorn exited (status 0); stopping the task worker" in serve.text()


def test_a_worker_that_cannot_start_stops_make_serve(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens: the worker refuses to start (one line, exit 2)
    with make_serve(tmp_path, WEBCALL_TASK_QUEUE_URL=f"redis://127.0.0.1:{closed}/0") as serve:
        assert serve.ended() != 0
        serve.all_stopped()
        text = serve.text()
        assert "itellico web-call worker cannot start: setting WEBCALL_TASK_QUEUE_URL" in text, text


def test_a_sighup_to_the_recipes_shell_stops_everything(tmp_path: Path) -> None:
    # A closed terminal: the shell that runs the recipe gets SIGHUP.
    with make_serve(tmp_path) as serve:
        _serving(serve)
        os.kill(serve.shell(), signal.SIGHUP)
        assert serve.ended() != 0
        serve.all_stopped()


def test_a_sighup_to_the_worker_restarts_it_and_make_serve_keeps_serving(tmp_path: Path) -> None:
    with make_serve(tmp_path) as serve:
        _serving(serve)
        worker = serve.worker()
        os.kill(worker, signal.SIGHUP)
        wait_until(lambda: serve.text().count(RUNNING) == 2 or serve.make.poll() is not None, 60, "a restart")
        assert serve.make.poll() is None, serve.text()
        assert serve.worker() == worker  # restarted in place
        assert httpx.get(f"{serve.url}/healthz", timeout=5).status_code == 200
        os.killpg(serve.make.pid, signal.SIGINT)  # Ctrl-C still stops all of it
        assert serve.ended() != 0
        serve.all_stopped()


def _environ(pid: int) -> dict[str, str]:
    """A process's own environment block, as anyone who may read /proc/<pid>/environ sees it."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)


def test_the_worker_runs_without_the_webhook_secrets(tmp_path: Path) -> None:
    """The worker never needs itellico's webhook secrets (docs/deployment.md). It dropped them from
    Python's os.environ only, so /proc/<worker pid>/environ still held them under `make serve` (an
    operator's audit); gunicorn, which verifies the webhooks, keeps them."""
    secrets = {
        "ITELLICOAI_WEBHOOK_SECRET": "serve-webhook-secret-" + os.urandom(8).hex(),
        "ITELLICOAI_WEBHOOK_SECRET_PREVIOUS": "serve-webhook-previous-" + os.urandom(8).hex(),
    }
    with make_serve(tmp_path, **secrets) as serve:
        _serving(serve)
        worker = _environ(serve.worker())
        assert worker["WEBCALL_SECRET_KEY"]  # it is the worker's own environment
        assert not set(worker) & set(secrets), set(worker) & set(secrets)
        assert not [value for value in secrets.values() if any(value in v for v in worker.values())]
        app = _environ(serve.gunicorn_master())
        assert {name: app.get(name) for name in secrets} == secrets
