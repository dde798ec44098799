"""The call benchmarks' browser: Chromium with a quiet visitor, and the baseline pages' poll."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Playwright

from tests.e2e.harness import CHROMIUM, chromium_args, silent_wav


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
