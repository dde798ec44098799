"""Helpers for the call-experience tests: page instrumentation, shadow-DOM queries, screenshots.

Screenshots of every state go to artifacts/screenshots/ (gitignored), named
`<device>-<lang>-<nn>-<state>.png`, so a person can look at them all at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route, expect

from webcall import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ELEMENT = "itellico-call"
EL = "document.querySelector('itellico-call')"
SHADOW = f"{EL}.shadowRoot"
# For a wait that may start before the page has parsed the element (goto's wait_until="commit"): a
# predicate that throws fails the wait at once, one that returns null is asked again.
SHADOW_IF_PARSED = f"{EL}?.shadowRoot"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# navigator.wakeLock as a recording stand-in (headless Chromium has no screen to keep on): each request
# and release in `window.__wake`. Whether a frame may ask at all stays Chromium's own permissions policy.
WAKE_LOCK = """(() => {
  const wake = window.__wake = [];
  const sentinel = () => {
    const s = new EventTarget();
    s.type = 'screen';
    s.released = false;
    s.release = async () => {
      if (s.released) return;
      s.released = true;
      wake.push({ kind: 'release', at: performance.now() });
      s.dispatchEvent(new Event('release'));
    };
    return s;
  };
  Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: {
    request: async (type) => {
      wake.push({ kind: 'request', type, at: performance.now() });
      return sentinel();
    },
  } });
})();
"""

# Recorded in every page before any script of the page runs:
# - every public itellico-call:* event that reaches `document`, with its time, flags and detail;
# - getUserMedia calls (constraints, when the microphone went live);
# - the audio track handed to the peer connection (= the microphone being published) and when;
# - screen wake lock requests and releases (WAKE_LOCK above);
# - for each interim/final transcript line, the text styling the page gave it at that moment.
INSTRUMENT = (
    WAKE_LOCK
    + """(() => {
  const log = window.__log = { events: [], gum: [], published: [], wake: window.__wake, styles: [] };
  for (const type of ['state', 'agent-state', 'transcript', 'error', 'ended']) {
    document.addEventListener('itellico-call:' + type, (e) => {
      log.events.push({ type, at: performance.now(), bubbles: e.bubbles, composed: e.composed,
        target: e.target && e.target.tagName, detail: JSON.parse(JSON.stringify(e.detail ?? null)) });
      if (type === 'transcript') {
        const id = CSS.escape(e.detail.entry.id);
        const li = e.target.shadowRoot.querySelector(`[data-id="${id}"] .line-text`);
        if (li) {
          const s = getComputedStyle(li);
          const { final, role } = e.detail.entry;
          log.styles.push({ final, role, fontStyle: s.fontStyle, opacity: s.opacity });
        }
      }
    });
  }
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia && !window.__noGumWrap) {
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = async (constraints) => {
      const rec = { constraints: JSON.parse(JSON.stringify(constraints)), at: performance.now() };
      log.gum.push(rec);
      const stream = await original(constraints);
      rec.liveAt = performance.now();
      return stream;
    };
  }
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (trackOrKind, init) {
    if (typeof trackOrKind === 'object' && trackOrKind.kind === 'audio') {
      log.published.push({ at: performance.now() });
      window.__micTrack = trackOrKind;
    }
    return addTransceiver.call(this, trackOrKind, init);
  };
})()"""
)


def instrumented_page(context: BrowserContext, *scripts: str) -> Page:
    """A new page of `context` recording what INSTRUMENT records, with `scripts` run after it in order.
    The scripts are the context's from then on (Playwright has no per-page init script before
    new_page): a test opens its pages in a context of its own (the `context` fixture)."""
    for script in (INSTRUMENT, *scripts):
        context.add_init_script(script)
    return context.new_page()


def deny_microphone(error_name: str) -> str:
    """An init script: getUserMedia fails the way a browser does when `error_name` happens."""
    return f"""(() => {{
      navigator.mediaDevices.getUserMedia = async () => {{
        throw new DOMException('stand-in failure', {error_name!r});
      }};
    }})()"""


def part(name: str) -> str:
    return f'{ELEMENT} [part="{name}"]'


def element_state(page: Page, state: str, timeout: float = 20_000) -> None:
    expect(page.locator(f'{ELEMENT}[data-state="{state}"]')).to_have_count(1, timeout=timeout)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(f"{ELEMENT} .card")).to_be_visible()


def hold_the_create(page: Page) -> list[Route]:
    """Hold the page's POST /api/calls in the browser (the call stays "connecting", a Cancel comes
    first) until `let_the_create_through`: a condition, where a delay upstream is a race against it."""
    held: list[Route] = []
    page.route("**/api/calls", lambda r: held.append(r) if r.request.method == "POST" else r.fallback())
    return held


def let_the_create_through(page: Page, held: list[Route]) -> None:
    for _ in range(100):  # Playwright runs the route's handler while the test waits on the page
        if held:
            break
        page.wait_for_timeout(100)
    (create,) = held
    create.continue_()
    page.unroute("**/api/calls")


def log(page: Page) -> dict[str, Any]:
    return page.evaluate("window.__log")


def events(page: Page, kind: str) -> list[dict[str, Any]]:
    return [e for e in log(page)["events"] if e["type"] == kind]


def catalogue(page: Page, lang: str = "en") -> dict[str, str]:
    return page.evaluate(f"import('/static/js/i18n/{lang}.js').then((m) => m.default)")


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Page) -> None:
    # Measured on the page as drawn: a page a click led to can be there, its HTML parsed, before its
    # stylesheets and fonts (on a busy machine), and unstyled a table is wider than any phone.
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    sizes = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], sizes


SMALL_TARGETS = f"""(() => {{
  const small = [];
  for (const el of {SHADOW}.querySelectorAll('button, input, select, summary, [tabindex="0"]')) {{
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // not shown in this state
    const name = el.getAttribute('part') || el.dataset.action || el.tagName;
    if (r.width < 44 || r.height < 44) small.push(`${{name}} ${{r.width}}x${{r.height}}`);
  }}
  return small;
}})()"""


def tap_targets_at_least_44px(page: Page) -> None:
    assert page.evaluate(SMALL_TARGETS) == []


LOOK_ALIKES = f"""(() => {{
  const seen = new Map(), twins = [];
  for (const el of {SHADOW}.querySelectorAll('button')) {{
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // not shown in this state
    const icon = el.querySelector('[data-icon]')?.dataset.icon ?? '';
    const look = `${{icon}}|${{el.innerText.trim()}}`;
    const name = el.getAttribute('part') || el.dataset.action || el.tagName;
    if (seen.has(look)) twins.push(`${{seen.get(look)}} = ${{name}} (${{look}})`);
    else seen.set(look, name);
  }}
  return twins;
}})()"""


def buttons_look_different(page: Page) -> None:
    """No two buttons on screen show the same icon and text: an aria-label tells a screen reader
    which is which, but nothing tells a person looking (a phone has no tooltips)."""
    twins = page.evaluate(LOOK_ALIKES)
    assert twins == [], twins


# axe-core's context for the element alone (its open shadow root included), and the impacts that fail.
THE_ELEMENT = {"include": [["itellico-call"]]}
SERIOUS = ("serious", "critical")


def axe_violations(
    page: Page, where: dict[str, Any] | None = THE_ELEMENT, impacts: tuple[str, ...] | None = SERIOUS
) -> list[dict[str, Any]]:
    """axe-core's violations within `where` (an axe context; None: the whole page, with its page-level
    rules) of the given `impacts` (None: every impact). The page's context must be created with
    bypass_csp=True so the injected script may run."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async ([where, impacts]) => {
        const r = await axe.run(where ?? document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => !impacts || impacts.includes(v.impact))
          .map((v) => ({ id: v.id, impact: v.impact,
                         nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary) }));
      }""",
        [where, list(impacts) if impacts else None],
    )
