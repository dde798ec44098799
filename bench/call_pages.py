"""The two pages the call benchmarks click (bench/click_to_audio.py, bench/page_cpu.py,
bench/text_greeting.py): ours and the minimal sequential one (bench/minimal.js), the scripts that
click and time each, and one call on a page.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from bench.browser import minimal_page_result

HEARD_TIMEOUT_MS = 30_000
CALL_BUTTON = (
    "itellico-call [part=call-button]"  # our page warms up (livekit-client, permission) on its hover
)

# Each returns {ms: click → first agent audio bytes, ready: click → connected with the microphone
# published (from then on the page only waits for the agent), create: click → POST /api/calls sent
# (the agent's dispatch starts with it; CREATE_SENT marks it alike in both pages)}.
CREATE_SENT = """(() => {
  const fetch = window.fetch;
  window.fetch = (url, init) => {
    const first = String(url).endsWith('/api/calls') && window.__createSentAt === undefined;
    if (first) window.__createSentAt = performance.now();
    return fetch(url, init);
  };
})()"""
OUR_FIRST_AUDIO = """async () => {
  const el = document.querySelector('itellico-call');
  const clickedAt = performance.now();
  let ready = null;
  el.addEventListener('itellico-call:state', (e) => {
    if (e.detail.state === 'waiting-for-agent' || (e.detail.state === 'in-call' && ready === null)) {
      ready = performance.now() - clickedAt;
    }
  });
  el.shadowRoot.querySelector('[part=call-button]').click();
  let heardAt = null; // the agent's audio can come before the microphone's publication is confirmed
  for (;;) {
    const s = heardAt === null ? await el.getConnectionStats() : null;
    if (s && s.inboundAudioBytes > 0) heardAt = performance.now() - clickedAt;
    const create = window.__createSentAt - clickedAt;
    if (heardAt !== null && ready !== null) return { ms: heardAt, ready, create };
    await new Promise((r) => setTimeout(r, 20));
  }
}"""

MINIMAL_FIRST_AUDIO = """async () => {
  document.getElementById('call').click();
  for (;;) {
    if (window.bench.error) throw new Error(window.bench.error);
    if (window.bench.firstAudioAt) {
      const { clickedAt, firstAudioAt, marks } = window.bench;
      const create = window.__createSentAt - clickedAt;
      return { ms: firstAudioAt - clickedAt, ready: marks.published, create };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}"""

OUR_HEARD = f"""async () => {{
  const el = document.querySelector('itellico-call');
  const clickedAt = performance.now();
  const heard = new Promise((resolve) => el.addEventListener('itellico-call:transcript', (e) => {{
    const line = e.detail.entry;
    const ms = performance.now() - clickedAt;
    if (line.role === 'user' && line.final && line.text.trim()) resolve({{ ms, text: line.text }});
  }}));
  el.shadowRoot.querySelector('[part=call-button]').click();
  const late = new Promise((r) => setTimeout(() => r({{ ms: null, text: '' }}), {HEARD_TIMEOUT_MS}));
  return Promise.race([heard, late]);
}}"""

MINIMAL_HEARD = minimal_page_result("window.bench.heard", HEARD_TIMEOUT_MS, "{ ms: null, text: '' }")

PAGES = {
    "ours": ("/", OUR_FIRST_AUDIO, OUR_HEARD),
    "minimal": ("/bench/minimal.html", MINIMAL_FIRST_AUDIO, MINIMAL_HEARD),
}


HANG_UP = "() => { document.querySelector('itellico-call')?.end(); window.benchRoom?.disconnect(); }"


def open_page(page: Page, url: str) -> None:
    """Load a page; on ours, a visitor's pointer reaches the call button before the click (livekit-client
    and the permission state load on its hover)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if page.locator(CALL_BUTTON).count():
        page.hover(CALL_BUTTON)


def one_call(page: Page, url: str, script: str) -> Any:
    open_page(page, url)
    result = page.evaluate(script)
    page.evaluate(HANG_UP)
    return result
