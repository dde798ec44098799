"""The page's main thread in a voice call, in Chromium against the sandbox's framework agent: our page
(the element: its states, mic meter and agent visualizer) vs the minimal page (bench/minimal.js, no
UI at all), alternating call by call on loopback. Chromium's own counter (CDP `Performance.getMetrics`,
TaskDuration: everything the page's main thread ran) over two stretches of each call:

1. click → the agent's first audio (the set-up: the microphone, livekit-client, the connection);
2. the next 4 s, while the agent greets (the visitor says nothing).

A widget runs inside someone else's page, often on a phone: its main-thread time is time taken from
the host page and from the battery. The minimal page is the floor, what a call costs with no UI.

    make bench      (or: .venv/bin/python -m bench.page_cpu --calls 6)
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from bench.browser import quiet_chromium
from bench.call_pages import CREATE_SENT, HANG_UP, PAGES, open_page
from bench.common import summary, table, write
from bench.lab import lab
from tests.e2e.harness import ensure_built_assets

ROOT = Path(__file__).resolve().parent.parent
GREETING_MS = 4000  # the sandbox agent's greeting lasts about 3 s (sandbox/agents.toml)


def task_ms(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["TaskDuration"] * 1000


def one_call(page: Page, cdp: Any, url: str, script: str) -> dict[str, float]:
    """Main-thread ms per second of each stretch of one call."""
    open_page(page, url)
    clicked = task_ms(cdp)
    first_audio_ms = page.evaluate(script)["ms"]
    heard = task_ms(cdp)
    page.wait_for_timeout(GREETING_MS)
    greeted = task_ms(cdp)
    page.evaluate(HANG_UP)
    return {
        "setup": (heard - clicked) / first_audio_ms * 1000,
        "greeting": (greeted - heard) / GREETING_MS * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=6, help="calls per page (>= 3)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("webcall").setLevel(logging.WARNING)
    ensure_built_assets()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in PAGES}
    with lab() as net, sync_playwright() as pw:
        browser = quiet_chromium(pw)
        context = browser.new_context(permissions=["microphone"])
        context.add_init_script(CREATE_SENT)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        for path, script, _ in PAGES.values():  # one unmeasured call each warms the caches alike
            one_call(page, cdp, net.url + path, script)
        for _ in range(args.calls):  # alternate, so drift hits both pages alike
            for name, (path, script, _) in PAGES.items():
                results[name].append(one_call(page, cdp, net.url + path, script))
        browser.close()

    rows, ratios = [], {}
    labels = {
        "setup": "click → first agent audio",
        "greeting": f"the greeting's first {GREETING_MS // 1000} s",
    }
    for stretch, label in labels.items():
        base = summary([r[stretch] for r in results["minimal"]])
        mine = summary([r[stretch] for r in results["ours"]])
        ratios[stretch] = mine["median"] / base["median"]
        for stat in ("median", "p95"):
            rows.append(
                [
                    f"{label}, {stat}",
                    f"{base[stat]:.0f}",
                    f"{mine[stat]:.0f}",
                    f"{mine[stat] / base[stat]:.1f}x",
                ]
            )
    print(
        table(
            f"The page's main thread in a voice call, ms per second ({args.calls} calls each, loopback)",
            ["stretch", "baseline: minimal page, no UI", "our page", "ratio"],
            rows,
        )
    )
    path = write("page_cpu", {"main_thread_ms_per_s": results, "ratio_median": ratios})
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
