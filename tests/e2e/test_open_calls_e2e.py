"""One client cannot hold the account's concurrent calls, through the real sandbox (the stand-in with its
concurrency limit, livekit-server, the agent) and the real page in Chromium.

The page's call takes its address's only place (WEBCALL_OPEN_CALLS_PER_IP=1 here); a script on that
address that creates calls it never joins is refused, another address is not; the visitor hangs up, the
page reads the summary (the call is over) and the address may call again. Every page comes from
127.0.0.1; the other address is 127.0.0.2 (loopback is a /8).
"""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from .screens import element_state, part
from .test_call import AGENT_LINE, open_call_page, start_call

TEXT_CALL = {"mode": "text"}


def test_a_client_with_its_calls_open_is_refused_until_its_own_hang_up(browser, serve_app, sandbox):
    url = serve_app(open_calls_per_ip=1)
    context = browser.new_context()
    page = context.new_page()
    try:
        open_call_page(page, f"{url}/?mode=text")
        start_call(page)
        element_state(page, "in-call")
        expect(page.locator(AGENT_LINE).first).to_contain_text("Ava", timeout=20_000)

        before = len(sandbox.creates())
        refused = httpx.post(f"{url}/api/calls", json=TEXT_CALL, timeout=20)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_open_calls"
        assert 1 <= int(refused.headers["Retry-After"]) <= 90
        assert len(sandbox.creates()) == before  # nothing went upstream

        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=20) as other:
            assert other.post(f"{url}/api/calls", json=TEXT_CALL).status_code == 201

        page.click(part("call-button"))
        element_state(page, "ended")
        summary = page.locator(part("summary"))
        expect(summary).to_have_attribute("data-loaded", "true", timeout=20_000)
        expect(summary).to_have_attribute("data-status", "completed")
        again = httpx.post(f"{url}/api/calls", json=TEXT_CALL, timeout=20)
        assert again.status_code == 201, again.text
    finally:
        context.close()
