"""End-to-end fixtures: a real livekit-server, the stand-in with its agents, the app, Chromium.

Everything listens on free 127.0.0.1 ports. Logs, screenshots and WAVs go to artifacts/e2e/.
A missing binary is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from sandbox.livekit_server import LiveKitPorts
from sandbox.ports import free_port
from sandbox.stack import SandboxStack
from webcall import ROOT, create_app
from webcall.settings import Settings

from .harness import CHROMIUM, chromium_args, ensure_built_assets, serve, silent_wav

ARTIFACTS = ROOT / "artifacts" / "e2e"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True  # the page fixture saves a screenshot on teardown
    return report


@dataclass
class Sandbox:
    stack: SandboxStack

    @property
    def key(self) -> str:
        return self.stack.api_key

    def fault(self, **fault: Any) -> None:
        httpx.post(
            f"{self.stack.base_url}/_sandbox/faults", json=fault, headers={"X-API-Key": self.key}
        ).raise_for_status()

    def clear(self) -> None:
        httpx.delete(
            f"{self.stack.base_url}/_sandbox/faults", headers={"X-API-Key": self.key}
        ).raise_for_status()

    def creates(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.stack.base_url}/_sandbox/creates", headers={"X-API-Key": self.key}).json()[
            "creates"
        ]

    def call_ids(self) -> list[str]:
        """Every call the stand-in has made, oldest first."""
        r = httpx.get(f"{self.stack.base_url}/v1/accounts/current", headers={"X-API-Key": self.key})
        account = r.json()["id"]
        listed = httpx.get(
            f"{self.stack.base_url}/v1/accounts/{account}/calls",
            params={"limit": 10_000},
            headers={"X-API-Key": self.key},
        ).json()
        return [item["id"] for item in listed["items"]]

    def call(self, call_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.stack.base_url}/v1/accounts/current", headers={"X-API-Key": self.key})
        account = r.json()["id"]
        return httpx.get(
            f"{self.stack.base_url}/v1/accounts/{account}/calls/{call_id}", headers={"X-API-Key": self.key}
        ).json()


def worker_logs() -> Path:
    """The shared sandbox's log folder: one per pytest-xdist process (`make test` runs two, each with a
    sandbox of its own, tests/lanes.py), so the two do not write into one livekit.log."""
    return ARTIFACTS / "logs" / os.environ.get("PYTEST_XDIST_WORKER", "")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    for tool in (CHROMIUM, Path(shutil.which("espeak-ng") or "/missing/espeak-ng")):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: `make setup` installs it")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stack = SandboxStack(
        livekit_ports=LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)),
        api_port=free_port(),
        log_dir=worker_logs(),
    )
    stack.start()
    yield Sandbox(stack)
    stack.stop()


def loaded_scripts(page: Page) -> list[str]:
    """The paths of every script the page fetched (resource timing), e.g. to tell built from source."""
    return page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((e) => e.initiatorType === 'script' || e.name.match(/\\.m?js(\\?|$)/))
            .map((e) => new URL(e.name).pathname)"""
    )


@pytest.fixture(scope="session")
def base_settings(sandbox: Sandbox) -> Settings:
    ensure_built_assets()
    env = sandbox.stack.app_env()
    env["WEBCALL_SECRET_KEY"] = "e2e-secret-key-0123456789abcdef"
    # What production serves: the minified bundles (test_call.py runs one call on the plain modules).
    env["WEBCALL_ASSETS"] = "built"
    # Every e2e test calls from 127.0.0.1; the rate-limit tests start their own stricter app.
    env["WEBCALL_RATE_LIMIT_PER_IP"] = "1000/minute"
    env["WEBCALL_RATE_LIMIT_PER_DEMO"] = "1000/minute"
    env["WEBCALL_OPEN_CALLS_PER_IP"] = "1000"  # every page's calls come from one address
    return Settings.from_env(env)


AppFactory = Callable[..., str]


@pytest.fixture(scope="session")
def serve_app(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppFactory]:
    """Start another app instance with some settings changed; returns its base URL. Each instance
    has a database of its own unless the test names one: demos live in the database and are seeded
    from the demos file only when it is new, so apps with other demo files must not share one."""
    stack: list[Any] = []

    def start(**changes: Any) -> str:
        if "database_url" not in changes:
            folder = tmp_path_factory.mktemp("app-db")
            changes["database_url"] = f"sqlite:///{folder}/webcall.sqlite3"
        context = serve(create_app({"settings": replace(base_settings, **changes)}))
        url = context.__enter__()
        stack.append(context)
        return url

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def app_url(serve_app: AppFactory) -> str:
    return serve_app()


@pytest.fixture(autouse=True)
def _clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    if "sandbox" in request.fixturenames:
        sandbox: Sandbox = request.getfixturevalue("sandbox")
        sandbox.clear()
        yield
        sandbox.clear()
    else:
        yield


@pytest.fixture(scope="session")
def pw() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


BrowserFactory = Callable[..., Browser]


@pytest.fixture(scope="session")
def launch(pw: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserFactory]:
    browsers: list[Browser] = []
    silence = silent_wav(tmp_path_factory.mktemp("silence"))

    def start(wav: Path | None = None, extra_args: list[str] | None = None) -> Browser:
        """A Chromium whose microphone plays `wav` once, or silence (a visitor who says nothing)."""
        args = chromium_args(wav or silence, loop=wav is None)
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args + (extra_args or [])
        )
        browsers.append(browser)
        return browser

    yield start
    for browser in browsers:
        browser.close()


@pytest.fixture(scope="session")
def browser(launch: BrowserFactory) -> Browser:
    return launch()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(permissions=["microphone"], viewport={"width": 1280, "height": 860})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll a condition that lives outside the browser (the stand-in's records)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
