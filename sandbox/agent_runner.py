"""Starts one local agent process per call and turns what it reports into call records."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("sandbox.agents")

ROOT = Path(__file__).resolve().parent.parent

# event dict from the agent's stdout, or {"event": "exited", "returncode": n}
EventSink = Callable[[str, dict[str, Any]], None]

# What an agent process may see of our environment: enough to run Python, numpy and espeak-ng.
# Everything else stays behind, above all ITELLICOAI_API_KEY, WEBCALL_SECRET_KEY and
# WEBCALL_SALES_PASSWORD: the agent gets its join token in its spec file and needs none of them.
INHERITED_NAMES = frozenset({"PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "VIRTUAL_ENV", "SYSTEMROOT"})
INHERITED_PREFIXES = ("LC_", "PYTHON", "OPENBLAS_", "OMP_")


def agent_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in environ.items()
        if name in INHERITED_NAMES or name.startswith(INHERITED_PREFIXES)
    }


class AgentRunner:
    def __init__(self, on_event: EventSink, log_dir: Path | None = None) -> None:
        self._on_event = on_event
        self._log_dir = log_dir
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._spec_dir = Path(tempfile.mkdtemp(prefix="webcall-agents-"))

    def start(self, call_id: str, spec: dict[str, Any]) -> None:
        self._spec_dir.mkdir(mode=0o700, exist_ok=True)  # a tmp cleaner may have removed it
        spec_path = self._spec_dir / f"{call_id}.json"
        spec_path.write_text(json.dumps(spec))
        spec_path.chmod(0o600)  # it holds the agent's join token
        stderr = self._stderr_for(call_id)
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.agent", "--spec", str(spec_path)],
            cwd=ROOT,
            env=agent_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        with self._lock:
            self._processes[call_id] = process
        threading.Thread(target=self._follow, args=(call_id, process, spec_path), daemon=True).start()

    def running(self) -> int:
        with self._lock:
            return sum(1 for p in self._processes.values() if p.poll() is None)

    def stop_all(self, timeout: float = 5.0) -> None:
        with self._lock:
            processes = list(self._processes.values())
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self._spec_dir, ignore_errors=True)

    def _stderr_for(self, call_id: str) -> int | Any:
        if self._log_dir is None:
            return subprocess.DEVNULL
        self._log_dir.mkdir(parents=True, exist_ok=True)
        return (self._log_dir / f"agent-{call_id}.log").open("w")

    def _follow(self, call_id: str, process: subprocess.Popen[str], spec_path: Path) -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("agent %s printed a non-JSON line", call_id)
                    continue
                if isinstance(event, dict):
                    self._safe_emit(call_id, event)
        finally:
            returncode = process.wait()
            spec_path.unlink(missing_ok=True)
            with self._lock:
                self._processes.pop(call_id, None)
            self._safe_emit(call_id, {"event": "exited", "returncode": returncode})

    def _safe_emit(self, call_id: str, event: dict[str, Any]) -> None:
        # A broken event or a bug in a handler must not take the stand-in down.
        try:
            self._on_event(call_id, event)
        except Exception:
            log.exception("agent event for call %s failed", call_id)
