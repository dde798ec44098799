"""Shared bits for the benchmarks: percentiles, a results table, JSON output, the baseline pages' poll."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Playwright

from tests.e2e.harness import CHROMIUM, chromium_args, silent_wav

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": percentile(values, 95),
        "mean": statistics.fmean(values),
    }


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    return "\n".join([f"### {title}", "", line, rule, *body])


def write(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        **data,
    }
    path.write_text(json.dumps(data, indent=2))
    return path


def quiet_chromium(pw: Playwright) -> Browser:
    """Chromium whose microphone plays silence in a loop: a visitor who waits quietly for the greeting.
    Chromium's own fake microphone beeps, and the agent's VAD may take a beep for speech (the
    pre-connect buffer then carries beeps to it too)."""
    silence = silent_wav(Path(tempfile.mkdtemp(prefix="bench-silence-")))
    return pw.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=chromium_args(silence, loop=True)
    )


def minimal_page_result(result_js: str, timeout_ms: int, missing_js: str) -> str:
    """The script that clicks a baseline page's #call button and polls `window.bench` (filled by the
    page's own script) until `result_js` is truthy, answering `missing_js` after `timeout_ms`."""
    return f"""async () => {{
  document.getElementById('call').click();
  const started = performance.now();
  for (;;) {{
    if (window.bench.error) throw new Error(window.bench.error);
    const result = {result_js};
    if (result) return result;
    if (performance.now() - started > {timeout_ms}) return {missing_js};
    await new Promise((r) => setTimeout(r, 20));
  }}
}}"""
