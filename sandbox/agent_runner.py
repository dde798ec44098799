"""Starts the sandbox's agent workers (sandbox/worker.py), one process per agent, and stops them.

Each worker registers with livekit-server and keeps a warm job process; the stand-in then dispatches
calls to it. `start` returns once every worker has registered, so the first call finds its agent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .processes import kept_environment

log = logging.getLogger("sandbox.agents")

ROOT = Path(__file__).resolve().parent.parent

# What an agent process may see of our environment: enough to run Python, numpy and espeak-ng.
# Everything else stays behind, above all ITELLICOAI_API_KEY, WEBCALL_SECRET_KEY and
# WEBCALL_SALES_PASSWORD: the worker is given only the local livekit-server's URL and dev key and
# the stand-in's per-run report token (see `AgentWorkers._environment`).
# SANDBOX_TURN_AUDIO_DIR: set by the benchmarks only, where the recogniser's turns are kept
# (sandbox/stt_pocketsphinx.py).
INHERITED_NAMES = frozenset(
    {"PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "VIRTUAL_ENV", "SYSTEMROOT", "SANDBOX_TURN_AUDIO_DIR"}
)
INHERITED_PREFIXES = ("LC_", "PYTHON", "OPENBLAS_", "OMP_")

# livekit-agents logs this once the worker is registered with livekit-server (worker.py, `_run_ws`).
REGISTERED = "registered worker"
REGISTER_TIMEOUT_S = 120.0  # importing the framework and onnxruntime is slow on a busy 2-core box
STOP_TIMEOUT_S = 10.0


def agent_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    return kept_environment(INHERITED_NAMES, INHERITED_PREFIXES, environ)


@dataclass(frozen=True)
class WorkerConfig:
    livekit_url: str
    livekit_api_key: str
    livekit_api_secret: str
    report_url: str
    report_token: str
    agent_ids: tuple[str, ...]
    log_dir: Path | None = None


class WorkerStartError(RuntimeError):
    """A worker exited or did not register in time."""


class AgentWorkers:
    """The worker processes; `on_lost()` is called if one exits while it should be running."""

    def __init__(self, config: WorkerConfig, on_lost: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self._on_lost = on_lost
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._registered: dict[str, threading.Event] = {}
        self._stopping = False

    def _environment(self, agent_id: str) -> dict[str, str]:
        c = self.config
        return {
            **agent_environment(),
            "LIVEKIT_URL": c.livekit_url,
            "LIVEKIT_API_KEY": c.livekit_api_key,
            "LIVEKIT_API_SECRET": c.livekit_api_secret,
            "SANDBOX_AGENT_ID": agent_id,
            "SANDBOX_REPORT_URL": c.report_url,
            "SANDBOX_REPORT_TOKEN": c.report_token,
        }

    def pids(self) -> list[int]:
        return [p.pid for p in self._processes.values()]

    def start(self) -> None:
        self._stopping = False
        for agent_id in self.config.agent_ids:
            log_file = self._log_file(agent_id)
            process = subprocess.Popen(
                [sys.executable, "-m", "sandbox.worker", "start", "--log-level", "INFO"],
                cwd=ROOT,
                env=self._environment(agent_id),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                # Its own process group: stop() ends the worker and its job processes together.
                start_new_session=True,
            )
            self._processes[agent_id] = process
            self._registered[agent_id] = threading.Event()
            threading.Thread(
                target=self._follow,
                args=(agent_id, process, log_file),
                name=f"worker-{agent_id[:8]}",
                daemon=True,
            ).start()
        deadline = time.monotonic() + REGISTER_TIMEOUT_S
        for agent_id, registered in self._registered.items():
            while not registered.wait(0.2):
                process = self._processes[agent_id]
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    why = f"exited ({process.returncode})" if process.returncode is not None else "timed out"
                    raise WorkerStartError(f"the agent worker for {agent_id} {why} before registering")

    def stop(self) -> None:
        self._stopping = True
        processes = list(self._processes.values())
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # the group may be gone already
                    os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("agent worker %d did not stop in %g s; killing it", process.pid, STOP_TIMEOUT_S)
            # Job processes left in the group (the worker may have died first) go too.
            with contextlib.suppress(ProcessLookupError):  # the group may be gone already
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._processes.clear()

    def _log_file(self, agent_id: str) -> IO[str] | None:
        if self.config.log_dir is None:
            return None
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.config.log_dir / f"agent-worker-{agent_id[:8]}.log").open("a")

    def _follow(self, agent_id: str, process: subprocess.Popen[str], log_file: IO[str] | None) -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if log_file is not None:
                    log_file.write(line)
                    log_file.flush()
                if REGISTERED in line:
                    self._registered[agent_id].set()
        finally:
            process.wait()
            if log_file is not None:
                log_file.close()
            if not self._stopping:
                log.error("agent worker for %s exited (%s)", agent_id, process.returncode)
                self._on_lost()
