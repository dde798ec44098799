"""Click → first agent audio in Chromium against the sandbox: our page (mic, livekit-client,
create and connection overlap) vs a minimal page in bench/ that does the same steps one after
another. Both run in the same process against the same livekit-server and agent, alternating.

    make bench            (or: .venv/bin/python -m bench.click_to_audio --calls 10)
"""

from __future__ import annotations

import argparse
import logging
import statistics
from pathlib import Path

from flask import send_from_directory
from playwright.sync_api import Page, sync_playwright

from bench.common import summary, table, write
from sandbox.livekit_server import LiveKitPorts
from sandbox.ports import free_port
from sandbox.stack import SandboxStack
from tests.e2e.harness import CHROMIUM, chromium_args, serve
from webcall import create_app
from webcall.settings import Settings

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

OUR_PAGE = """async () => {
  const el = document.querySelector('itellico-call');
  const clickedAt = performance.now();
  el.shadowRoot.querySelector('[part=call-button]').click();
  for (;;) {
    const s = await el.getConnectionStats();
    if (s && s.inboundAudioBytes > 0) return performance.now() - clickedAt;
    await new Promise((r) => setTimeout(r, 20));
  }
}"""

MINIMAL_PAGE = """async () => {
  document.getElementById('call').click();
  for (;;) {
    if (window.bench.error) throw new Error(window.bench.error);
    if (window.bench.firstAudioAt) return window.bench.firstAudioAt - window.bench.clickedAt;
    await new Promise((r) => setTimeout(r, 20));
  }
}"""


def one_call(page: Page, url: str, script: str) -> float:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    elapsed = page.evaluate(script)
    page.evaluate("() => { document.querySelector('itellico-call')?.end(); window.benchRoom?.disconnect(); }")
    return float(elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10, help="calls per page (>= 10)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("webcall").setLevel(logging.WARNING)
    stack = SandboxStack(
        livekit_ports=LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)),
        api_port=free_port(),
        log_dir=ROOT / "artifacts" / "bench",
    )
    stack.start()
    env = stack.app_env() | {
        "WEBCALL_SECRET_KEY": "bench-secret-key-0123456789",
        "WEBCALL_RATE_LIMIT_PER_IP": "100000/minute",
    }
    app = create_app({"settings": Settings.from_env(env)})
    app.add_url_rule("/bench/<path:name>", "bench", lambda name: send_from_directory(BENCH, name))
    ours: list[float] = []
    minimal: list[float] = []
    try:
        with serve(app) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=chromium_args())
            context = browser.new_context(permissions=["microphone"])
            page = context.new_page()
            # One unmeasured call each warms the browser's and the server's caches alike.
            one_call(page, url + "/", OUR_PAGE)
            one_call(page, url + "/bench/minimal.html", MINIMAL_PAGE)
            for _ in range(args.calls):  # alternate, so drift hits both pages alike
                ours.append(one_call(page, url + "/", OUR_PAGE))
                minimal.append(one_call(page, url + "/bench/minimal.html", MINIMAL_PAGE))
            browser.close()
    finally:
        stack.stop()
    base, mine = summary(minimal), summary(ours)
    print(
        table(
            f"Click → first agent audio in Chromium, sandbox ({args.calls} calls each, alternating)",
            ["measure", "baseline: minimal sequential page", "our page", "ratio"],
            [
                [
                    "median (ms)",
                    f"{base['median']:.0f}",
                    f"{mine['median']:.0f}",
                    f"{mine['median'] / base['median']:.2f}x",
                ],
                ["p95 (ms)", f"{base['p95']:.0f}", f"{mine['p95']:.0f}", f"{mine['p95'] / base['p95']:.2f}x"],
                ["stdev (ms)", f"{statistics.stdev(minimal):.0f}", f"{statistics.stdev(ours):.0f}", ""],
            ],
        )
    )
    path = write(
        "click_to_audio",
        {
            "baseline_ms": base,
            "ours_ms": mine,
            "ratio_median": mine["median"] / base["median"],
            "raw": {"ours": ours, "baseline": minimal},
        },
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
