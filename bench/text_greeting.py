"""Click → the agent's greeting on screen in a text call, in Chromium against the sandbox's framework
agent: our page vs the obvious text page (bench/minimal_text.js: create, load livekit-client, join,
publish nothing). Both run in one process against the same servers and agent, alternating call by
call, at each added round trip (bench/lab.py).

A visitor who publishes nothing is told to the rest of the room only in livekit-server's batch of
updates every 3 s, and the agent greets once it knows the visitor; our page announces itself
(static/js/call-room.js, announceWithoutMicrophone). The batch is what the baseline waits for when
its join completes after the agent's, which the added round trip makes likely.

    make bench      (or: .venv/bin/python -m bench.text_greeting --calls 6 --rtt 0 50 150)
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bench.browser import minimal_page_result, quiet_chromium
from bench.call_pages import one_call
from bench.common import summary, table, write
from bench.lab import Lab, lab
from tests.e2e.harness import ensure_built_assets

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 15_000

OURS = f"""async () => {{
  const el = document.querySelector('itellico-call');
  const clickedAt = performance.now();
  const seen = new Promise((resolve) => el.addEventListener('itellico-call:transcript', (e) => {{
    if (e.detail.entry.role === 'agent' && e.detail.entry.text.trim()) resolve(performance.now() - clickedAt);
  }}));
  el.shadowRoot.querySelector('[part=call-button]').click();
  return Promise.race([seen, new Promise((r) => setTimeout(() => r(null), {TIMEOUT_MS}))]);
}}"""

MINIMAL = minimal_page_result(
    "window.bench.greetedAt && window.bench.greetedAt - window.bench.clickedAt", TIMEOUT_MS, "null"
)

PAGES = {"ours": ("/?mode=text", OURS), "minimal": ("/bench/minimal_text.html", MINIMAL)}


def greetings(browser: Browser, net: Lab, rtt: int, calls: int) -> dict[str, list[float | None]]:
    net.rtt(rtt)
    context = browser.new_context()
    page = context.new_page()
    times: dict[str, list[float | None]] = {name: [] for name in PAGES}
    for path, script in PAGES.values():  # one unmeasured call each warms the caches alike
        one_call(page, net.url + path, script)
    for _ in range(calls):  # alternate, so drift hits both pages alike
        for name, (path, script) in PAGES.items():
            times[name].append(one_call(page, net.url + path, script))
    context.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=6, help="calls per page and round trip (>= 3)")
    parser.add_argument("--rtt", type=int, nargs="*", default=[0, 50, 150], help="added round trips (ms)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("webcall").setLevel(logging.WARNING)
    ensure_built_assets()
    results: dict[int, dict[str, list[float | None]]] = {}
    with lab() as net, sync_playwright() as pw:
        browser = quiet_chromium(pw)
        for rtt in args.rtt:
            results[rtt] = greetings(browser, net, rtt, args.calls)
        browser.close()

    rows, ratios = [], {}
    for rtt, times in results.items():
        label = "loopback" if rtt == 0 else f"+{rtt} ms RTT"
        got = {name: [t for t in v if t is not None] for name, v in times.items()}
        base, mine = summary(got["minimal"]), summary(got["ours"])
        ratios[str(rtt)] = mine["median"] / base["median"]
        for stat in ("median", "p95"):
            rows.append(
                [
                    f"{label}, {stat}",
                    f"{base[stat]:.0f}",
                    f"{mine[stat]:.0f}",
                    f"{mine[stat] / base[stat]:.2f}x",
                    f"{len(got['minimal'])}/{len(times['minimal'])} / {len(got['ours'])}/{len(times['ours'])}"
                    if stat == "median"
                    else "",
                ]
            )
    print(
        table(
            f"Click → the greeting on screen, text call ({args.calls} calls each, alternating)",
            ["round trip added", "baseline: obvious text page (ms)", "our page (ms)", "ratio", "greeted"],
            rows,
        )
    )
    path = write(
        "text_greeting", {"greeting_ms": {str(rtt): t for rtt, t in results.items()}, "ratio_median": ratios}
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
