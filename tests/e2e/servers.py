"""Real backing services for the serving tests, each on a free loopback port and stopped after:
Redis, PostgreSQL (run as the unprivileged `postgres` user), the stand-in API, gunicorn and nginx."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from sandbox.ports import free_port
from webcall import ROOT

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NGINX = Path("/usr/sbin/nginx")


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f}s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server(log_dir: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is missing: `make setup` installs it")
    port = free_port()
    log = (log_dir / "redis.log").open("wb")
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@dataclass
class Postgres:
    url: str
    port: int
    data: Path

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}"
        self._pg_ctl("start", "-w", "-l", str(self.data.parent / "postgres.log"), "-o", options)

    def stop(self) -> None:
        self._pg_ctl("stop", "-w", "-m", "fast")


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError("PostgreSQL is missing: `make setup` installs the postgresql package")
    home = Path(tempfile.mkdtemp(prefix="webcall-pg-"))
    data = home / "data"
    data.mkdir()
    shutil.chown(home, "postgres")
    shutil.chown(data, "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "webcall",
            "--auth=trust",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = Postgres(url=f"postgresql+psycopg://webcall@127.0.0.1:{port}/postgres", port=port, data=data)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)


@dataclass
class StandinProcess:
    url: str
    key: str

    def fault(self, **fault: object) -> None:
        httpx.post(
            f"{self.url}/_sandbox/faults", json=fault, headers={"X-API-Key": self.key}
        ).raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.url}/_sandbox/faults", headers={"X-API-Key": self.key}).raise_for_status()

    def creates(self) -> int:
        return len(
            httpx.get(f"{self.url}/_sandbox/creates", headers={"X-API-Key": self.key}).json()["creates"]
        )


@contextmanager
def standin_process(log_dir: Path) -> Iterator[StandinProcess]:
    port, key = free_port(), "serving-test-key-5Hq8"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.serve_standin", "--port", str(port), "--key", key, "--no-agents"],
        cwd=ROOT,
        stdout=(log_dir / "standin.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, "stand-in")
        yield StandinProcess(url=f"http://127.0.0.1:{port}", key=key)
    finally:
        _stop(process)


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Gunicorn]:
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    full_env.update(env, PORT=str(port), HOST="127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=full_env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, "gunicorn", timeout=60)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while httpx.get(url + "/healthz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn's app never became healthy")
            time.sleep(0.1)
        yield Gunicorn(url=url, process=process, log=log)
    finally:
        _stop(process, timeout=40)


@contextmanager
def nginx_server(folder: Path, port: int, what: str, logs_to: Path) -> Iterator[None]:
    """Debian's nginx running `folder`/nginx.conf as a non-daemon child (it stops with the test, and its
    master is the process held), with its prefix and error log in `folder`, until it listens on `port`.
    Its error and access logs are copied to `logs_to`-error.log and -access.log after it stops."""
    command = [
        str(NGINX),
        "-p",
        str(folder),
        "-e",
        str(folder / "error.log"),
        "-c",
        str(folder / "nginx.conf"),
    ]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process, what)
        yield
    finally:
        _stop(process, timeout=10)  # SIGTERM: nginx's fast shutdown
        for log in ("error.log", "access.log"):
            if (folder / log).exists():
                shutil.copy(folder / log, f"{logs_to}-{log}")
