"""The benchmarks' network: the sandbox and the app behind toxiproxy, so a round trip can be added.

Three TCP paths go through a proxy each, as a visitor's browser meets them: the browser → the app
(the page, its modules, `POST /api/calls`), the app → the itellico API (the stand-in), and the
browser → livekit-server's signalling (WebSocket). `Lab.rtt(ms)` puts `ms` of round trip on all three
(half of it each way); `rtt(0)` takes it off. WebRTC's UDP media does not go through toxiproxy (it
proxies TCP only, sandbox/toxiproxy.py), so the agent's audio itself is not delayed:
the figures are the call set-up as a distant visitor pays it, not the media path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, send_from_directory

from sandbox.livekit_server import LiveKitPorts
from sandbox.ports import free_port
from sandbox.stack import SandboxStack
from sandbox.toxiproxy import Proxy, Toxiproxy
from tests.e2e.harness import serve
from webcall import create_app
from webcall.settings import Settings

BENCH = Path(__file__).resolve().parent
LOGS = BENCH.parent / "artifacts" / "bench"


@dataclass
class Lab:
    stack: SandboxStack
    paths: tuple[Proxy, ...]  # browser → app, app → API, browser → signalling
    url: str  # the app as the browser reaches it (through its proxy)

    def rtt(self, ms: int) -> None:
        for proxy in self.paths:
            proxy.clear()
            if ms:
                proxy.latency(ms // 2)  # each direction: one round trip pays it twice


def bench_app(env: dict[str, str]) -> Flask:
    app = create_app({"settings": Settings.from_env(env)})
    # The baseline page and its script (bench/minimal.html, bench/minimal.js), same origin as ours.
    app.add_url_rule("/bench/<path:name>", "bench", lambda name: send_from_directory(BENCH, name))
    return app


@contextmanager
def lab() -> Iterator[Lab]:
    ports = LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True))
    with Toxiproxy(log_path=LOGS / "toxiproxy.log") as toxiproxy:
        api_port = free_port()
        api = toxiproxy.proxy("api", upstream_port=api_port)
        signal = toxiproxy.proxy("signal", upstream_port=ports.http)
        stack = SandboxStack(
            livekit_ports=ports, api_port=api_port, log_dir=LOGS, public_livekit_url=f"ws://{signal.address}"
        )
        stack.start()
        try:
            env = stack.app_env() | {
                "ITELLICOAI_BASE_URL": api.url,
                "WEBCALL_SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "WEBCALL_RATE_LIMIT_PER_IP": "100000/minute",
                "WEBCALL_RATE_LIMIT_PER_DEMO": "100000/minute",
                "WEBCALL_ASSETS": "built",  # what production serves
            }
            with serve(bench_app(env)) as app_url:
                web = toxiproxy.proxy("web", upstream_port=int(app_url.rsplit(":", 1)[1]))
                yield Lab(stack, (web, api, signal), web.url)
        finally:
            stack.stop()
