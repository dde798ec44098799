"""A hostile network on loopback: toxiproxy between the app, the API and LiveKit.

toxiproxy (built by `make setup` into .cache/toxiproxy/bin/) is a TCP proxy with an HTTP API:
each proxy listens on a loopback port and forwards to an upstream; "toxics" on it add latency and
jitter, cut bandwidth, reset or time out connections. It proxies TCP only (HTTP, WebSocket
signalling), never WebRTC's UDP media. The kernel here has no netem (`tc qdisc … netem` answers
"Specified qdisc kind is unknown"), so this is how latency and drops are made.

    with Toxiproxy() as lab:
        api = lab.proxy("api", upstream_port=5050)
        api.latency(150, jitter=30)        # both directions
        httpx.get(api.url + "/healthz")    # http://127.0.0.1:<api.port>
        api.reset_peer()                   # every connection through it is reset (RST)

Used by the network tests (tests/e2e/test_networks.py) and meant for benchmarks too.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

from .ports import free_port
from .processes import await_ready, launch
from .processes import stop as stop_process

ROOT = Path(__file__).resolve().parent.parent
PINNED_VERSION = "2.12.0"
DEFAULT_BINARY = ROOT / ".cache" / "toxiproxy" / "bin" / "server"

Stream = Literal["upstream", "downstream"]


class ToxiproxyError(RuntimeError):
    pass


def binary() -> Path:
    return Path(os.environ.get("TOXIPROXY_SERVER_BIN") or DEFAULT_BINARY)


@dataclass
class Proxy:
    """One proxy: clients connect to 127.0.0.1:`port`, toxiproxy forwards to `upstream`."""

    name: str
    port: int
    upstream: str
    _api: httpx.Client = field(repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def toxic(
        self,
        kind: str,
        *,
        stream: Stream = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
        **attributes: Any,
    ) -> str:
        """Add a toxic (latency, bandwidth, slow_close, timeout, reset_peer, limit_data, slicer);
        returns its name. `stream` is the direction: downstream is server → client."""
        name = name or f"{kind}_{stream}"
        body = {"name": name, "type": kind, "stream": stream, "toxicity": toxicity, "attributes": attributes}
        _check(self._api.post(f"/proxies/{self.name}/toxics", json=body))
        return name

    def remove(self, toxic: str) -> None:
        _check(self._api.delete(f"/proxies/{self.name}/toxics/{toxic}"))

    def clear(self) -> None:
        """Remove every toxic."""
        for toxic in _check(self._api.get(f"/proxies/{self.name}/toxics")).json():
            self.remove(toxic["name"])

    def latency(self, ms: int, jitter: int = 0) -> None:
        """`ms` (± `jitter`) added to every chunk of data in BOTH directions, so a request and its
        answer each wait once: one HTTP round trip gets about 2 x `ms` slower."""
        for stream in ("upstream", "downstream"):
            self.toxic("latency", stream=stream, latency=ms, jitter=jitter)

    def reset_peer(self, after_ms: int = 0) -> str:
        """Reset (TCP RST) every connection, open or new, `after_ms` after its data starts."""
        return self.toxic("reset_peer", stream="upstream", timeout=after_ms)

    def disable(self) -> None:
        """Close every open connection and refuse new ones, as if the path were down."""
        _check(self._api.post(f"/proxies/{self.name}", json={"enabled": False}))

    def enable(self) -> None:
        _check(self._api.post(f"/proxies/{self.name}", json={"enabled": True}))


class Toxiproxy:
    """The toxiproxy server on a free loopback port, stopped with the context (or `stop()`)."""

    def __init__(self, log_path: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._api = httpx.Client(base_url=self.api_url, timeout=10)

    def start(self, timeout: float = 20.0) -> None:
        exe = binary()
        if not exe.is_file():
            raise ToxiproxyError(f"toxiproxy is not installed at {exe}; run `make setup`")
        self._process = launch([str(exe), "-host", "127.0.0.1", "-port", str(self.port)], self._log_path)
        try:
            await_ready(
                self._process,
                lambda: self._api.get("/version").status_code == 200,
                what="toxiproxy",
                timeout=timeout,
                error=ToxiproxyError,
            )
        except ToxiproxyError:
            self.stop()
            raise

    def proxy(self, name: str, upstream_port: int, listen_port: int | None = None) -> Proxy:
        """A new proxy from 127.0.0.1:`listen_port` (a free one by default) to 127.0.0.1:`upstream_port`."""
        port = listen_port or free_port()
        upstream = f"127.0.0.1:{upstream_port}"
        body = {"name": name, "listen": f"127.0.0.1:{port}", "upstream": upstream, "enabled": True}
        _check(self._api.post("/proxies", json=body))
        return Proxy(name=name, port=port, upstream=upstream, _api=self._api)

    def reset(self) -> None:
        """Every proxy enabled again and every toxic removed."""
        _check(self._api.post("/reset"))

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process)
        self._api.close()

    def __enter__(self) -> Toxiproxy:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _check(response: httpx.Response) -> httpx.Response:
    if response.is_error:
        raise ToxiproxyError(
            f"toxiproxy {response.request.method} {response.request.url.path}: {response.text}"
        )
    return response
