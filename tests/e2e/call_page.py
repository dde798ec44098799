"""What the tests of our call page (`/`, Chromium, the sandbox) share: the transcript's lines, the
sandbox agent's words, and the fixtures a file takes by name (`ipage = call_page.ipage`, and
`browser_that_denies`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sandbox.agents import load_agents
from sandbox.stack import DEFAULT_AGENT_ID

from .harness import CHROMIUM, chromium_args
from .screens import ELEMENT, instrumented_page, part

AGENT_FINAL = f'{ELEMENT} [data-role="agent"][data-final="true"]'
USER_FINAL = f'{ELEMENT} [data-role="user"][data-final="true"]'
GREETING = "this is Ava from the itellico sandbox"
QUESTION = "how much does it cost"


def reply_to(text: str) -> str:
    return load_agents()[DEFAULT_AGENT_ID].reply_to(text)


@pytest.fixture
def ipage(context: BrowserContext) -> Page:
    """A page with the instrumentation of screens.INSTRUMENT."""
    return instrumented_page(context)


@pytest.fixture(scope="module")
def browser_that_denies(pw):
    """Chromium without --use-fake-ui-for-media-stream: a microphone request nobody allowed is denied."""
    args = [a for a in chromium_args() if a != "--use-fake-ui-for-media-stream"]
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield browser
    browser.close()


def type_message(page: Page, text: str) -> None:
    page.fill(part("message-input"), text)
    page.press(part("message-input"), "Enter")
    expect(page.locator(USER_FINAL, has_text=text)).to_have_count(1)


def hex_of(rgb: str) -> str:
    """#rrggbb of a computed colour like rgb(117, 117, 117)."""
    r, g, b = (int(float(x)) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].replace(",", " ").split()[:3])
    return f"#{r:02x}{g:02x}{b:02x}"
