"""The call page's transcript in Chromium against the sandbox: copy, download, following the latest
line, and final lines left alone as later ones arrive."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from .call_page import AGENT_FINAL, GREETING, QUESTION, USER_FINAL, reply_to, type_message
from .screens import (
    EL,
    ELEMENT,
    SHADOW,
    element_state,
    instrumented_page,
    open_page,
    part,
    shoot,
)


def test_transcript_copy_download_and_auto_scroll_with_jump_to_latest(browser, app_url, sandbox, tmp_path):
    context = browser.new_context(
        viewport={"width": 900, "height": 560}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = instrumented_page(context)
    try:
        open_page(page, f"{app_url}/?mode=text")
        tools = page.locator(f"{ELEMENT} .tools")
        expect(tools).to_be_hidden()  # nothing to copy yet
        page.click(part("call-button"))
        element_state(page, "in-call")
        expect(page.locator(AGENT_FINAL).first).to_contain_text(GREETING, timeout=20_000)
        transcript = page.locator(part("transcript"))
        assert transcript.get_attribute("role") == "log" and transcript.get_attribute("aria-live") == "polite"

        scroller = f"{SHADOW}.querySelector('.transcript')"
        overflowing = f"() => {{ const t = {scroller}; return t.scrollHeight > t.clientHeight + 40; }}"
        gap = "t.scrollHeight - t.scrollTop - t.clientHeight"
        at_bottom = f"() => {{ const t = {scroller}; return {gap} < 4; }}"
        questions = ["what are your opening hours on saturday", QUESTION, "where are you located"]
        for i, q in enumerate(questions):
            type_message(page, q)
            expect(page.locator(AGENT_FINAL)).to_have_count(i + 2, timeout=20_000)
        page.wait_for_function(overflowing)
        page.wait_for_function(at_bottom)  # it followed every new line

        # Scrolled up: new lines no longer pull the view down, and "jump to latest" appears.
        jump = page.locator(part("jump-to-latest"))
        expect(jump).to_be_hidden()
        page.evaluate(f"{SHADOW}.querySelector('.transcript').scrollTop = 0")
        expect(jump).to_be_visible()
        # Typed in a right-to-left script: the box and the line read right to left, the others not.
        thanks = "\u0634\u0643\u0631\u0627 \u0644\u0643"  # Arabic "thank you"
        page.fill(part("message-input"), thanks)
        direction = "(el) => getComputedStyle(el).direction"
        assert page.locator(part("message-input")).evaluate(direction) == "rtl"
        page.press(part("message-input"), "Enter")
        expect(page.locator(USER_FINAL, has_text=thanks)).to_have_count(1)
        assert page.locator(f"{USER_FINAL} .line-text", has_text=thanks).evaluate(direction) == "rtl"
        assert page.locator(f"{USER_FINAL} .line-text", has_text=questions[0]).evaluate(direction) == "ltr"
        expect(page.locator(AGENT_FINAL)).to_have_count(len(questions) + 2, timeout=20_000)
        assert page.evaluate(f"{SHADOW}.querySelector('.transcript').scrollTop") == 0
        jump.click()
        page.wait_for_function(at_bottom)
        expect(jump).to_be_hidden()
        # Back at the bottom it follows again.
        type_message(page, "goodbye for now")
        expect(page.locator(AGENT_FINAL)).to_have_count(len(questions) + 3, timeout=20_000)
        page.wait_for_function(at_bottom)

        entries = page.evaluate(f"{EL}.transcript")
        lines = [e["text"].strip() for e in entries]

        # Copy: the whole conversation, in order, on the clipboard.
        expect(tools).to_be_visible()
        page.click(f'{ELEMENT} [data-action="copy"]')
        page.wait_for_function("() => navigator.clipboard.readText().then((t) => t.length > 0)")
        copied = page.evaluate("navigator.clipboard.readText()")
        positions = [copied.index(line) for line in lines]
        assert positions == sorted(positions), copied
        assert "You" in copied and "Ava" in copied

        # Download as text and as JSON.
        with page.expect_download() as info:
            page.click(f'{ELEMENT} [data-action="download-text"]')
        text_file = tmp_path / "t.txt"
        info.value.save_as(text_file)
        assert re.fullmatch(r"transcript-[\w-]+-\d{4}-\d{2}-\d{2}\.txt", info.value.suggested_filename)
        assert text_file.read_text() == copied
        with page.expect_download() as info:
            page.click(f'{ELEMENT} [data-action="download-json"]')
        json_file = tmp_path / "t.json"
        info.value.save_as(json_file)
        data = json.loads(json_file.read_text())
        assert info.value.suggested_filename.endswith(".json")
        assert data["call_id"] == page.evaluate(f"{EL}.callId")
        assert [m["message"] for m in data["messages"]] == lines
        assert [m["role"] for m in data["messages"]][:3] == ["agent", "user", "agent"]
        shoot(page, "extra-desktop-en-long-transcript")
        page.evaluate(f"{EL}.end()")
        element_state(page, "ended")
    finally:
        context.close()


def test_a_final_line_is_left_alone_while_later_lines_arrive(page: Page, app_url):
    """The transcript (role=log, additions announced) wrote every earlier line's text again on each word
    of the agent's next line: a new text node each time, which a screen reader may read as new."""
    open_page(page, f"{app_url}/?mode=text")
    page.click(part("call-button"))
    greeting = page.locator(AGENT_FINAL).first
    expect(greeting).to_contain_text(GREETING, timeout=20_000)
    page.evaluate(
        f"""() => {{
        window.__rewrites = 0;
        const line = {SHADOW}.querySelector('[data-role="agent"][data-final="true"] .line-text');
        new MutationObserver((m) => {{ window.__rewrites += m.length; }})
          .observe(line, {{childList: true, characterData: true, subtree: true}});
      }}"""
    )
    type_message(page, QUESTION)
    expect(page.locator(AGENT_FINAL, has_text=reply_to(QUESTION))).to_have_count(1, timeout=20_000)
    assert page.evaluate("window.__rewrites") == 0
    page.evaluate(f"{EL}.end()")
    element_state(page, "ended")
