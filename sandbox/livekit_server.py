"""Runs the pinned livekit-server on loopback with the verified offline settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from .ports import ensure_free
from .processes import await_ready, launch
from .processes import stop as stop_process

ROOT = Path(__file__).resolve().parent.parent
PINNED_VERSION = "1.13.5"
DEFAULT_BINARY = ROOT / ".cache" / "bin" / "server"
API_KEY = "devkey"
# A dev-only secret for a server that listens on 127.0.0.1 alone; 32 bytes keeps JWT libraries quiet.
API_SECRET = "secret-secret-secret-secret-secret-32"


class LiveKitError(RuntimeError):
    pass


@dataclass(frozen=True)
class LiveKitPorts:
    http: int = 7880
    tcp: int = 7881
    udp: int = 7882


@dataclass(frozen=True)
class TurnConfig:
    """livekit-server's embedded TURN server, for relay-only calls in the network tests.

    Clients get its URLs with per-participant credentials in the join answer:
    `turn:127.0.0.1:<udp_port>?transport=udp` and `turns:<domain>:443?transport=tcp`. The TLS port
    in that URL is always 443 whatever `tls_port` is (livekit-server v1.13.5, pkg/service/roommanager.go
    iceServersForParticipant), so a TURN/TLS test has to listen on 443 itself.
    """

    relay_start: int  # first of three UDP ports relays are allocated on
    udp_port: int | None = None
    tls_port: int | None = None
    domain: str = "turn.webcall.test"
    cert_file: Path | None = None
    key_file: Path | None = None


def binary() -> Path:
    return Path(os.environ.get("LIVEKIT_SERVER_BIN") or DEFAULT_BINARY)


def config_yaml(ports: LiveKitPorts, turn: TurnConfig | None = None) -> str:
    # Loopback only, no STUN lookups (livekit-server v1.13.5; tests/e2e/test_call.py sees the audio come
    # over UDP from 127.0.0.1). An explicit node_ip stops the server's own STUN lookups and rewrites its
    # host candidates to 127.0.0.1; its UDP mux binds loopback only with enable_loopback_candidate;
    # stun_servers replaces the public STUN servers it hands to clients (nothing listens on 3478, so a
    # browser's lookup fails at once); bind_addresses keeps signalling on 127.0.0.1.
    return f"""\
port: {ports.http}
bind_addresses: ["127.0.0.1"]
rtc:
  tcp_port: {ports.tcp}
  udp_port: {ports.udp}
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
  stun_servers: ["127.0.0.1:3478"]
keys:
  {API_KEY}: {API_SECRET}
logging:
  level: warn
{turn_yaml(turn) if turn else ""}"""


def turn_yaml(turn: TurnConfig) -> str:
    if turn.udp_port is None and turn.tls_port is None:
        raise LiveKitError("TURN needs a UDP port, a TLS port or both")
    if turn.tls_port is not None and (turn.cert_file is None or turn.key_file is None):
        raise LiveKitError("TURN over TLS needs cert_file and key_file")
    lines = ["turn:", "  enabled: true"]
    if turn.udp_port is not None:
        lines.append(f"  udp_port: {turn.udp_port}")
    if turn.tls_port is not None:
        lines += [
            f"  tls_port: {turn.tls_port}",
            f"  domain: {turn.domain}",
            f"  cert_file: {turn.cert_file}",
            f"  key_file: {turn.key_file}",
        ]
    # Relays are on node_ip (127.0.0.1), and livekit's TURN refuses loopback peers unless allowed
    # (livekit-server v1.13.5, pkg/service/turn.go permissionHandler), so the SFU's own address is allowed.
    lines += [
        '  bind_addresses: ["127.0.0.1"]',
        f"  relay_range_start: {turn.relay_start}",
        f"  relay_range_end: {turn.relay_start + 2}",
        '  allow_restricted_peer_cidrs: ["127.0.0.1/32"]',
    ]
    return "\n".join(lines) + "\n"


class LiveKitServer:
    def __init__(
        self, ports: LiveKitPorts, log_path: Path | None = None, turn: TurnConfig | None = None
    ) -> None:
        self.ports = ports
        self.turn = turn
        self.url = f"ws://127.0.0.1:{ports.http}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._config: Path | None = None  # its config file while it runs (removed on stop)
        self.exit_code: int | None = None  # how its last run ended (-9: it had to be killed)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> None:
        exe = binary()
        if not exe.is_file():
            raise LiveKitError(f"livekit-server is not installed at {exe}; run `make setup`")
        ensure_free(self.ports.http, "LIVEKIT_PORT")
        ensure_free(self.ports.tcp, "LIVEKIT_TCP_PORT")
        ensure_free(self.ports.udp, "LIVEKIT_UDP_PORT", udp=True)
        if self.turn and self.turn.udp_port is not None:
            ensure_free(self.turn.udp_port, "the TURN UDP port", udp=True)
        if self.turn and self.turn.tls_port is not None:
            ensure_free(self.turn.tls_port, "the TURN TLS port")
        fd, name = tempfile.mkstemp(prefix="livekit-", suffix=".yaml")
        self._config = Path(name)
        with os.fdopen(fd, "w") as config:
            config.write(config_yaml(self.ports, self.turn))
        self._process = launch([str(exe), "--config", name], self._log_path)
        try:
            await_ready(
                self._process,
                # 200 once node stats are fresh; 406 before that (livekit-server pkg/service/server.go).
                lambda: httpx.get(f"http://127.0.0.1:{self.ports.http}/", timeout=0.5).status_code == 200,
                what="livekit-server",
                timeout=timeout,
                error=LiveKitError,
                interval=0.1,
            )
        except LiveKitError:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # Its first SIGTERM is a graceful stop: it waits, in 5 s steps, for every participant to leave
            # (with a room open, often over 5 s), and it is lost altogether when it comes within ~100 ms after
            # the server started serving (livekit-server v1.13.5 pkg/service/server.go: Stop returns at once
            # while Start has not yet set `running`). Its second SIGTERM, from stop_process, forces the stop,
            # which closes the rooms and tells the participants the server is shutting down.
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.5)
        stop_process(process, timeout=10)
        self.exit_code = process.returncode if process is not None else self.exit_code
        config, self._config = self._config, None
        if config:
            config.unlink(missing_ok=True)
