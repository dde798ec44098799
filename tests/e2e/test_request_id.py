"""One request id, browser → app → stand-in → error panel: a visitor whose call fails can quote the
"Reference: …" in the panel's small print, and that id is the one in our log line of the create and
the one itellico (here the stand-in) received as X-Request-ID."""

from __future__ import annotations

import logging

import httpx
from playwright.sync_api import expect

from .test_call import ELEMENT, events, open_call_page


def test_the_reference_in_the_error_panel_is_the_id_our_log_and_the_api_saw(page, app_url, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="webcall")
    sandbox.fault(mode="server_error", status=500)
    open_call_page(page, app_url)
    with page.expect_response(lambda r: r.url.endswith("/api/calls")) as info:
        page.click(f"{ELEMENT} [part=call-button]")
    request_id = info.value.headers["x-request-id"]
    assert info.value.json()["error"]["request_id"] == request_id

    reference = page.locator(f"{ELEMENT} [part=error] [part=error-reference]")
    expect(reference).to_be_visible(timeout=10_000)
    expect(reference).to_have_text(f"Reference: {request_id}")
    (error,) = events(page, "error")  # a host page's listener gets it too
    assert (error["code"], error["requestId"]) == ("upstream_unavailable", request_id)

    received = httpx.get(
        f"{sandbox.stack.base_url}/_sandbox/request-ids", headers={"X-API-Key": sandbox.key}
    ).json()["requests"]
    assert {"method": "POST", "request_id": request_id} in [
        {"method": r["method"], "request_id": r["request_id"]}
        for r in received
        if r["path"].endswith("/calls")
    ]
    logged = [r for r in caplog.records if "call.create" in r.getMessage()]
    assert [getattr(r, "request_id", None) for r in logged] == [request_id], [r.getMessage() for r in logged]
