"""The demo's longest call is enforced upstream, not only by the page: a page whose own clock knows no
limit (an altered page, or a client of its own with the token it got) still has its call ended at the
demo's limit, because the create carries it to itellico (`overrides.agent.max_duration_seconds`) and
the stand-in's agent ends the call there, as itellico would. Chromium against the real sandbox."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, Route, expect

from webcall.api import UPSTREAM_LIMIT_SLACK_SECONDS

from .conftest import AppFactory, Sandbox, wait_until
from .screens import EL, ELEMENT, catalogue, element_state, open_page, part

LIMIT = 4  # seconds: below what WEBCALL_MAX_CALL_SECONDS takes (10), so the test is quick
JOIN = 10  # the agent join timeout of this app: short, so itellico's (the stand-in's) end comes soon
UPSTREAM = LIMIT + JOIN + UPSTREAM_LIMIT_SLACK_SECONDS  # what the create tells itellico (webcall/api.py)


# The call clock's text each time it changes, with the element's state then: "0:01" shows for one second
# only, and a check that polls may miss it (or read it after the call, without the limit either way).
CLOCK_LOG = """window.__clock = [];
  const timer = el.shadowRoot.querySelector('.timer-value');
  new MutationObserver(() => window.__clock.push([el.state, timer.textContent]))
    .observe(timer, { childList: true, characterData: true, subtree: true });"""


def without_the_limit(route: Route) -> None:
    """The create's answer as a page that ignores the limit sees it: no `max_call_seconds`."""
    response = route.fetch()
    body: dict[str, Any] = response.json()
    body.pop("max_call_seconds", None)
    route.fulfill(response=response, json=body)


def test_the_server_ends_a_call_at_the_demos_limit_when_the_page_does_not(
    page: Page, serve_app: AppFactory, sandbox: Sandbox
):
    url = serve_app(max_call_seconds=LIMIT, agent_join_timeout_seconds=JOIN)
    page.route("**/api/calls", without_the_limit)
    open_page(page, url)
    en = catalogue(page)
    page.evaluate(
        f"""() => {{ const el = {EL}; el.removeAttribute('max-call-seconds'); window.__ended = [];
        el.addEventListener('itellico-call:ended', (e) => window.__ended.push(e.detail));
        {CLOCK_LOG} }}"""
    )
    creates_before = len(sandbox.creates())
    page.click(part("call-button"))
    element_state(page, "in-call")
    # The page's clock has no limit: a limited call shows "0:01 / 0:04", this one the time alone, ticking.
    page.wait_for_function(
        "() => window.__clock.some(([state, text]) => state === 'in-call' && text !== '0:00'"
        " && /^\\d+:\\d\\d$/.test(text))",
        timeout=5_000,
    )
    call_id = page.evaluate(f"{EL}.callId")

    element_state(page, "ended", timeout=UPSTREAM * 1000 + 15_000)
    (ended,) = page.evaluate("window.__ended")
    assert ended["reason"] == "agent-ended", ended
    # Counted from the agent's answer, a moment after the join the stand-in counts from.
    assert UPSTREAM - 4 <= ended["durationSeconds"] <= UPSTREAM + 2, ended
    in_call = [text for state, text in page.evaluate("window.__clock") if state == "in-call"]
    assert in_call and all(re.fullmatch(r"\d+:\d\d", text) for text in in_call), in_call  # never "/ 0:04"
    expect(page.locator(f"{ELEMENT} .ended-reason")).to_have_text(en["ended.agent-ended"])
    expect(page.locator(part("max-warning"))).to_be_hidden()

    (sent,) = sandbox.creates()[creates_before:]
    assert sent["overrides"] == {"agent": {"max_duration_seconds": UPSTREAM}}
    record = wait_until(
        lambda: (call := sandbox.call(call_id))["status"] != "in_progress" and call,
        timeout=10,
        what="the stand-in to record the call's end",
    )
    assert record["status"] == "completed", record
    assert UPSTREAM - 1 <= record["duration_seconds"] <= UPSTREAM + 1, record


def test_a_page_that_keeps_its_clock_ends_the_call_itself_in_its_words(
    page: Page, serve_app: AppFactory, sandbox: Sandbox
):
    """itellico's limit comes after the page's: sent as the demo's own, the stand-in ended 1 of 3 calls
    first (it counts from the join, the page from the agent's answer), and the visitor read "The agent
    ended the call." instead of "The call reached its maximum length."."""
    url = serve_app(max_call_seconds=LIMIT, agent_join_timeout_seconds=JOIN)
    open_page(page, url)
    en = catalogue(page)
    page.evaluate(
        f"""() => {{ window.__ended = [];
        {EL}.addEventListener('itellico-call:ended', (e) => window.__ended.push(e.detail)); }}"""
    )
    page.click(part("call-button"))
    element_state(page, "in-call")
    expect(page.locator(f"{ELEMENT} .timer-value")).to_contain_text(f"/ 0:0{LIMIT}")
    element_state(page, "ended", timeout=LIMIT * 1000 + 15_000)
    (ended,) = page.evaluate("window.__ended")
    assert ended["reason"] == "max-duration", ended
    expect(page.locator(f"{ELEMENT} .ended-reason")).to_have_text(en["ended.max-duration"])
