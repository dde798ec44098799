"""Helpers for the end-to-end tests: Chromium flags, spoken WAVs, servers in threads."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import playwright
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]


def ensure_built_assets() -> None:
    """The e2e suite runs on the minified build (WEBCALL_ASSETS=built), as production serves it; rebuild
    it when a source changed since (a few seconds), so a test never exercises yesterday's bundle."""
    build = ["node", str(ROOT / "scripts" / "build-assets.mjs")]
    if subprocess.run([*build, "--check"], cwd=ROOT).returncode != 0:
        subprocess.run(build, cwd=ROOT, check=True)


# Real IPs, not .local names: livekit-server's ICE runs with mDNS off and cannot resolve them.
OUR_DISABLED_FEATURES = ["WebRtcHideLocalIpsWithMdns"]


def playwright_disabled_features() -> list[str]:
    """Playwright passes its own --disable-features list and Chromium keeps only the last one
    given, so ours must carry Playwright's too. Read it from the installed driver."""
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    match = re.search(r"disabledFeatures = \[(.*?)\]\.filter", bundle.read_text(), re.S)
    if match is None:
        raise RuntimeError(f"Playwright's disabled-features list was not found in {bundle}")
    return re.findall(r'"([A-Za-z0-9]+)"', match.group(1))


def chromium_args(wav: Path | None = None, loop: bool = False) -> list[str]:
    """Chromium's flags for a call. `wav` plays as the microphone (once, unless `loop`); without it
    Chromium's fake microphone beeps."""
    features = ",".join(playwright_disabled_features() + OUR_DISABLED_FEATURES)
    args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--allow-loopback-in-peer-connection",
        f"--disable-features={features}",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}" + ("" if loop else "%noloop"))
    return args


def silent_wav(folder: Path) -> Path:
    """Ten seconds of silence, to play in a loop as the microphone of a visitor who says nothing.
    Chromium's own fake microphone beeps, and the agent's VAD now and then takes a beep for speech
    and stops its greeting (the sandbox agent may be interrupted from its first word)."""
    if shutil.which("sox") is None:
        raise RuntimeError("sox is not installed; run `make setup`")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(path), "trim", "0", "10"], check=True)
    return path


def spoken_wav(text: str, folder: Path, lead_seconds: float = 2.0, tail_seconds: float = 4.0) -> Path:
    """A WAV of `text` spoken by espeak-ng, made now, padded so the call is up before it speaks."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed; run `make setup`")
    folder.mkdir(parents=True, exist_ok=True)
    raw, padded = folder / "raw.wav", folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", "48000", str(padded), "pad", str(lead_seconds), str(tail_seconds)], check=True
    )
    return padded


@contextmanager
def serve(app: Flask, port: int = 0) -> Iterator[str]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_elsewhere(app: Flask) -> Iterator[str]:
    """`serve`, addressed as http://localhost:PORT: a website owner's page on another origin than the
    app's (http://127.0.0.1:PORT), on the same machine."""
    with serve(app) as url:
        yield url.replace("127.0.0.1", "localhost")


def connection_stats(page: Page) -> dict[str, Any]:
    """The element's inbound audio counters and selected ICE pair (CallSession#getConnectionStats)."""
    return page.evaluate("document.querySelector('itellico-call').getConnectionStats()")


def wait_for_more_audio(page: Page, than: int, timeout_ms: int = 30_000) -> None:
    """The agent's audio keeps arriving: inbound RTP bytes grow 2 kB past `than`."""
    page.wait_for_function(
        """async (before) => {
            const s = await document.querySelector('itellico-call').getConnectionStats();
            return s && s.inboundAudioBytes > before + 2000;
        }""",
        arg=than,
        polling=250,
        timeout=timeout_ms,
    )


def console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on (a list that fills as they come)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
