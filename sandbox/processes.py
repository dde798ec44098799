"""Starting a local server binary (livekit-server, toxiproxy) and waiting until it answers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import httpx

# What a local server binary may see of our environment: what any process needs. The app's settings
# stay behind, above all ITELLICOAI_API_KEY, WEBCALL_SECRET_KEY and WEBCALL_SALES_PASSWORD: `make run`
# starts the servers from the process that serves the app (docs/security.md).
SERVER_NAMES = frozenset({"PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"})
SERVER_PREFIXES = ("LC_",)


def kept_environment(
    names: Iterable[str], prefixes: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The entries of `environ` (ours unless given) named in `names` or starting with `prefixes`."""
    environ = os.environ if environ is None else environ
    keep = frozenset(names)
    return {name: value for name, value in environ.items() if name in keep or name.startswith(prefixes)}


def launch(command: list[str], log_path: Path | None) -> subprocess.Popen[bytes]:
    """Start `command` with its output in `log_path` (or nowhere), no stdin and only the basic
    environment (SERVER_NAMES)."""
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb") if log_path else subprocess.DEVNULL
    env = kept_environment(SERVER_NAMES, SERVER_PREFIXES)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """Terminate a server that may still run; kill it if it has not ended within `timeout`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def await_ready(
    process: subprocess.Popen[bytes],
    probe: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    error: type[Exception],
    interval: float = 0.05,
) -> None:
    """Return once `probe()` is true; raise `error` naming `what` if the process exits or time runs out.
    A probe that cannot connect yet (httpx.HTTPError) simply means "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}; see its log")
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise error(f"{what} did not become ready within {timeout:.0f}s")
