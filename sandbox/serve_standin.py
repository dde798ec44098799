"""Serve the stand-in API alone (benchmarks, multi-process tests):

python -m sandbox.serve_standin --port 5050 --key KEY [--no-agents] [--livekit-url ws://127.0.0.1:7880]
"""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType

from werkzeug.serving import make_server

from .agent_runner import AgentWorkers, WorkerConfig
from .standin import REPORT_PATH, StandinConfig, create_standin


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--livekit-url", default="ws://127.0.0.1:7880")
    parser.add_argument("--no-agents", action="store_true", help="create calls without agent workers")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    config = StandinConfig(api_key=args.key, livekit_url=args.livekit_url, start_agents=not args.no_agents)
    app = create_standin(config)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    workers = AgentWorkers(
        WorkerConfig(
            livekit_url=config.livekit_url,
            livekit_api_key=config.livekit_api_key,
            livekit_api_secret=config.livekit_api_secret,
            report_url=f"http://127.0.0.1:{args.port}{REPORT_PATH}",
            report_token=config.report_token,
            agent_ids=tuple(app.extensions["standin"]["agents"]) if config.start_agents else (),
        )
    )
    signal.signal(signal.SIGTERM, _stop)
    try:
        workers.start()
        print(f"stand-in API on http://127.0.0.1:{args.port}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        workers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
