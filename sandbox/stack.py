"""The whole sandbox in one object: livekit-server, the stand-in API and its agent workers.

Used by `make run` (through webcall.devserver) and by the end-to-end test fixtures.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from .agent_runner import AgentWorkers, WorkerConfig
from .agents import load_agents
from .livekit_server import API_KEY, API_SECRET, LiveKitPorts, LiveKitServer, TurnConfig
from .ports import ensure_free
from .standin import REPORT_PATH, StandinConfig, create_standin

log = logging.getLogger("sandbox")

# The English receptionist in agents.toml answers the / page unless ITELLICOAI_AGENT_ID says otherwise.
DEFAULT_AGENT_ID = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"


@dataclass
class SandboxStack:
    livekit_ports: LiveKitPorts = field(default_factory=LiveKitPorts)
    api_port: int = 5050
    log_dir: Path | None = None
    # A fresh key per run: nothing real to leak, and tests can search for it in every output.
    api_key: str = field(default_factory=lambda: f"sandbox-{secrets.token_urlsafe(24)}")
    start_agents: bool = True
    # The LiveKit URL the stand-in hands to browsers, when it is not livekit-server itself: the
    # network tests put a toxiproxy in front of the visitor's signalling. The agent workers still
    # connect directly: a real agent runs next to its LiveKit server, so the bad network between the
    # visitor and LiveKit must not reach it (a reset meant for the visitor's signalling would also
    # reset the agent's, and the call would then depend on which of the two reconnects first).
    public_livekit_url: str | None = None
    # livekit-server's embedded TURN server, off by default (relay-only calls in the network tests).
    livekit_turn: TurnConfig | None = None
    # The app's `/webhooks/itellico`: the stand-in posts conversation events there, signed with
    # `webhook_secret` (fresh per run; app_env hands it to the app as ITELLICOAI_WEBHOOK_SECRET).
    webhook_url: str | None = None
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def __post_init__(self) -> None:
        self.livekit = LiveKitServer(
            self.livekit_ports,
            log_path=self.log_dir / "livekit.log" if self.log_dir else None,
            turn=self.livekit_turn,
        )
        self._server: BaseWSGIServer | None = None
        self.standin = create_standin(
            StandinConfig(
                api_key=self.api_key,
                livekit_url=self.public_livekit_url or self.livekit.url,
                livekit_api_url=self.livekit.url,
                livekit_api_key=API_KEY,
                livekit_api_secret=API_SECRET,
                start_agents=self.start_agents,
                webhook_url=self.webhook_url,
                webhook_secret=self.webhook_secret,
            )
        )
        config = self.standin.extensions["standin"]["config"]
        self.workers = AgentWorkers(
            WorkerConfig(
                livekit_url=self.livekit.url,
                livekit_api_key=API_KEY,
                livekit_api_secret=API_SECRET,
                report_url=self.base_url + REPORT_PATH,
                report_token=config.report_token,
                agent_ids=tuple(self.standin.extensions["standin"]["agents"]),
                log_dir=self.log_dir,
            ),
            on_lost=self._worker_lost,
        )

    def _worker_lost(self) -> None:
        # A worker that dies takes its calls with it: they end `failed`, as a crashed agent's do.
        store = self.standin.extensions["standin"]["store"]
        for call_id in store.agent_calls_in_progress():
            store.update(call_id, {"event": "exited"})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def app_env(self) -> dict[str, str]:
        """The settings that point the app at this sandbox."""
        webhook = {"ITELLICOAI_WEBHOOK_SECRET": self.webhook_secret} if self.webhook_url else {}
        return {
            **webhook,
            "ITELLICOAI_API_KEY": self.api_key,
            "ITELLICOAI_BASE_URL": self.base_url,
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "WEBCALL_RTC_NO_ICE_SERVERS": "true",
            # The page's CSP allows wss:/https: only; the local server speaks ws:/http:.
            "WEBCALL_CSP_CONNECT_SRC": " ".join(self._livekit_origins()),
        }

    def _livekit_origins(self) -> list[str]:
        # The ws:// URL and its http:// twin (livekit-client also fetches over HTTP), for each URL
        # a browser may be given.
        urls = dict.fromkeys([self.livekit.url, self.public_livekit_url or self.livekit.url])
        return [
            u
            for url in urls
            for u in (url, url.replace("ws://", "http://", 1).replace("wss://", "https://", 1))
        ]

    def start(self) -> None:
        load_agents()  # a broken agents.toml stops us before anything runs
        ensure_free(self.api_port, "SANDBOX_API_PORT")
        self.livekit.start()
        try:
            self._server = make_server("127.0.0.1", self.api_port, self.standin, threaded=True)
        except BaseException:
            self.livekit.stop()
            raise
        threading.Thread(target=self._server.serve_forever, name="standin", daemon=True).start()
        if self.start_agents:
            try:
                self.workers.start()  # returns once each worker has registered with livekit-server
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        self.workers.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.livekit.stop()
