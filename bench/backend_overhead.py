"""Backend overhead: POST /api/calls through the app (gunicorn) vs the same create sent straight
to the stand-in, in the same run. Sequential latency (median, p95) and concurrent throughput.

    make bench            (or: .venv/bin/python -m bench.backend_overhead --calls 1000)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import ratio_row, summary, table, write
from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from sandbox.standin import SANDBOX_ACCOUNT_ID

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-0000"


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def timed(send: Callable[[], httpx.Response], n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        response = send()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
    return latencies


def throughput(send: Callable[[], httpx.Response], n: int, workers: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(lambda _: send().status_code, range(n)))
    elapsed = time.perf_counter() - started
    if any(s != 201 for s in statuses):
        raise SystemExit(f"non-201 answers under load: {set(statuses)}")
    return n / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000, help="sequential creates per side (>= 1000)")
    parser.add_argument("--load", type=int, default=1000, help="creates per side in the throughput run")
    parser.add_argument("--workers", type=int, default=32, help="concurrent clients in the throughput run")
    args = parser.parse_args()

    standin_port, app_port = free_port(), free_port()
    standin = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.serve_standin",
            "--port",
            str(standin_port),
            "--key",
            KEY,
            "--no-agents",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    env.update(
        ITELLICOAI_API_KEY=KEY,
        ITELLICOAI_BASE_URL=f"http://127.0.0.1:{standin_port}",
        ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
        ITELLICOAI_ACCOUNT_ID=SANDBOX_ACCOUNT_ID,
        WEBCALL_SECRET_KEY="bench-secret-key-0123456789",
        WEBCALL_RATE_LIMIT_PER_IP="1000000/minute",
        WEBCALL_RATE_LIMIT_PER_DEMO="1000000/minute",
        WEBCALL_DATABASE_URL=f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3",
        PORT=str(app_port),
        WEBCALL_LOG_LEVEL="warning",
    )
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{standin_port}/v1/accounts/current")
        wait_ready(f"http://127.0.0.1:{app_port}/healthz")
        direct = httpx.Client(base_url=f"http://127.0.0.1:{standin_port}", headers={"X-API-Key": KEY})
        through = httpx.Client(base_url=f"http://127.0.0.1:{app_port}")
        create_path = f"/v1/accounts/{SANDBOX_ACCOUNT_ID}/calls"

        def send_direct() -> httpx.Response:
            body = {
                "type": "web",
                "agent_id": DEFAULT_AGENT_ID,
                "external_id": f"webcall-{uuid.uuid4()}",
                "audio_input_enabled": True,
                "audio_output_enabled": True,
            }
            return direct.post(create_path, json=body)

        def send_app() -> httpx.Response:
            return through.post("/api/calls", json={"mode": "voice"})

        for send in (send_direct, send_app):  # warm-up: connections, imports, the SQLite file
            timed(send, 20)
        base_lat, app_lat = timed(send_direct, args.calls), timed(send_app, args.calls)
        base_rps = throughput(send_direct, args.load, args.workers)
        app_rps = throughput(send_app, args.load, args.workers)
    finally:
        for process in (app, standin):
            process.terminate()
            process.wait(30)

    base, ours = summary(base_lat), summary(app_lat)
    rows = [
        ratio_row("median latency (ms)", base["median"], ours["median"], digits=2),
        ratio_row("p95 latency (ms)", base["p95"], ours["p95"], digits=2),
        ratio_row(f"creates/s ({args.workers} clients)", base_rps, app_rps),
    ]
    print(
        table(
            f"Backend overhead: POST /api/calls via the app (gunicorn) vs straight to the stand-in "
            f"({args.calls} sequential + {args.load} concurrent creates each, {os.cpu_count()} cores)",
            ["measure", "baseline: stand-in direct", "through the app", "ratio"],
            rows,
        )
    )
    path = write(
        "backend_overhead",
        {
            "baseline_ms": base,
            "app_ms": ours,
            "ratio_median": ours["median"] / base["median"],
            "ratio_p95": ours["p95"] / base["p95"],
            "baseline_creates_per_second": base_rps,
            "app_creates_per_second": app_rps,
            "ratio_throughput": app_rps / base_rps,
            "workers": args.workers,
        },
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
