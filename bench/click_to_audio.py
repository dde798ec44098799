"""Click → the agent, as a visitor feels it, in Chromium against the sandbox's framework agent: our
page (microphone, livekit-client, create and connection overlapped; the pre-connect buffer) vs a
minimal page (bench/minimal.js) that does the same steps one after another. Both pages run in one
process against the same servers and agent, alternating call by call, at each added round trip
(bench/lab.py: browser → app, app → API and browser → signalling through toxiproxy).

1. click → first agent audio (the agent greets once the person is in the room), per round trip;
2. click → the agent hears you: a question that starts 0.3 s after the click (Chromium plays a WAV
   as the microphone from the moment it opens, and both pages open it first thing in the click);
   the time until the agent's first final transcript of it, and how many of its words it lacks;
   the same question said once the call is up is the reference for the recogniser's own misses.

    make bench      (or: .venv/bin/python -m bench.click_to_audio --calls 10 --rtt 0 50 150)
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Browser, sync_playwright

from bench.browser import quiet_chromium
from bench.call_pages import CREATE_SENT, PAGES, one_call, open_page
from bench.common import summary, table, write
from bench.lab import Lab, lab
from sandbox.speech import parse_wav
from sandbox.stt_pocketsphinx import TURN_AUDIO_DIR
from tests.e2e.harness import CHROMIUM, chromium_args, ensure_built_assets, spoken_wav

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What are your opening hours?"  # in Ava's script (sandbox/agents.toml)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def first_audio(browser: Browser, net: Lab, rtt: int, calls: int) -> dict[str, list[dict[str, float]]]:
    net.rtt(rtt)
    context = browser.new_context(permissions=["microphone"])
    context.add_init_script(CREATE_SENT)
    page = context.new_page()
    times: dict[str, list[dict[str, float]]] = {"ours": [], "minimal": []}
    for path, script, _ in PAGES.values():  # one unmeasured call each warms the caches alike
        one_call(page, net.url + path, script)
    for _ in range(calls):  # alternate, so drift hits both pages alike
        for name, (path, script, _) in PAGES.items():
            times[name].append(one_call(page, net.url + path, script))
    context.close()
    return times


# Who speaks when: the two pages with the question at click + 0.3 s, and our page once the call is
# up (after the greeting, about 6 s), the reference for what the recogniser makes of the question
# when nothing is lost at the start (it mangles some words of espeak's speech anyway).
HEARD_RUNS = {"minimal": ("minimal", 0.3), "ours": ("ours", 0.3), "ours, mid-call": ("ours", 7.0)}


def heard(pw: Any, net: Lab, calls: int, turns_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Each call gets a fresh browser: Chromium plays the WAV once per process (`%noloop`).
    `turns_dir`: where the sandbox's recogniser keeps each turn it got (TURN_AUDIO_DIR)."""
    net.rtt(0)
    folder = Path(tempfile.mkdtemp(prefix="bench-heard-"))
    wavs = {
        lead: spoken_wav(QUESTION, folder / str(lead), lead_seconds=lead, tail_seconds=8)
        for lead in {lead for _, lead in HEARD_RUNS.values()}
    }
    results: dict[str, list[dict[str, Any]]] = {run: [] for run in HEARD_RUNS}
    for _ in range(calls):
        for run, (name, lead) in HEARD_RUNS.items():
            path, _, script = PAGES[name]
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=chromium_args(wavs[lead])
            )
            page = browser.new_context(permissions=["microphone"]).new_page()
            open_page(page, net.url + path)  # loaded before the click (the WAV starts when the mic opens)
            turns_before = set(turns_dir.glob("*.wav"))
            result = page.evaluate(script)
            browser.close()
            said = words(QUESTION)
            got = set(words(result["text"]))
            turns = sorted(set(turns_dir.glob("*.wav")) - turns_before)
            received = sum(voiced_seconds(*parse_wav(t.read_bytes())) for t in turns)
            spoken = voiced_seconds(*parse_wav(wavs[lead].read_bytes()))
            results[run].append(
                {**result, "lost": sum(1 for w in said if w not in got), "speech_received": received / spoken}
            )
    return results


def voiced_seconds(pcm: np.ndarray, rate: int) -> float:
    """Seconds of 10 ms frames louder than -20 dB below the loudest one: the speech in a clip, apart
    from its level (the browser's gain control) and its silences."""
    frame = rate // 100
    n = len(pcm) // frame
    if n == 0:
        return 0.0
    rms = np.sqrt((pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1))
    return float((rms > 0.1 * rms.max()).sum()) / 100 if rms.max() > 0 else 0.0


def ms(value: float) -> str:
    return f"{value:.0f}"


def print_heard(hears: dict[str, list[dict[str, Any]]], calls: int) -> None:
    said_words = words(QUESTION)
    said = len(said_words)
    heard_rows = []
    labels = {
        "minimal": "baseline: minimal sequential page",
        "ours": "our page (pre-connect buffer)",
        "ours, mid-call": "reference: our page, said after the greeting",
    }
    for name, label in labels.items():
        got = [r for r in hears[name] if r["ms"] is not None]
        median = summary([r["ms"] for r in got])["median"] if got else None
        heard_rows.append(
            [
                label,
                f"{len(got)}/{len(hears[name])}",
                ms(median) if median is not None else "never",
                f"{sum(r['lost'] for r in hears[name]) / len(hears[name]):.1f} of {said}",
                " ".join(f"{r['speech_received']:.2f}" for r in hears[name]),
                *(
                    f"{sum(w in words(r['text']) for r in hears[name])}/{len(hears[name])}"
                    for w in said_words
                ),
                " / ".join(repr(r["text"]) for r in hears[name]),
            ]
        )
    print()
    print(
        table(
            f'Click → the agent hears you: "{QUESTION}", loopback ({calls} calls each)',
            [
                "page",
                "heard",
                "median (ms)",
                "words lost (mean)",
                "speech received / said",
                *said_words,
                "what the agent heard",
            ],
            heard_rows,
        )
    )


def column(calls: list[dict[str, float]], key: str) -> list[float]:
    return [float(c[key]) for c in calls]


def print_first_audio(audio: dict[int, dict[str, list[dict[str, float]]]], calls: int) -> None:
    rows = []
    for rtt, times in audio.items():
        label = "loopback" if rtt == 0 else f"+{rtt} ms RTT"
        base, mine = summary(column(times["minimal"], "ms")), summary(column(times["ours"], "ms"))
        ready = [summary(column(times[name], "ready"))["median"] for name in ("minimal", "ours")]
        create = [summary(column(times[name], "create"))["median"] for name in ("minimal", "ours")]
        # create sent → first audio: the agent's dispatch, join and greeting, which no page shortens
        agent = [
            summary([c["ms"] - c["create"] for c in times[name]])["median"] for name in ("minimal", "ours")
        ]
        for stat in ("median", "p95"):
            rows.append(
                [
                    f"{label}, {stat}",
                    ms(base[stat]),
                    ms(mine[stat]),
                    f"{mine[stat] / base[stat]:.2f}x",
                    f"{ms(create[0])} / {ms(create[1])}" if stat == "median" else "",
                    f"{ms(ready[0])} / {ms(ready[1])}" if stat == "median" else "",
                    f"{ms(agent[0])} / {ms(agent[1])}" if stat == "median" else "",
                ]
            )
    print(
        table(
            f"Click → first agent audio ({calls} calls each, alternating)",
            [
                "round trip added",
                "baseline: minimal sequential page (ms)",
                "our page (ms)",
                "ratio",
                "create sent (baseline / ours)",
                "page ready",
                "create sent → first audio",
            ],
            rows,
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10, help="calls per page and round trip (>= 3)")
    parser.add_argument("--heard-calls", type=int, default=5, help="calls per page for 'the agent hears you'")
    parser.add_argument(
        "--rtt", type=int, nargs="*", default=[0, 50, 150], help="added round trips (ms); none: skip"
    )
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("webcall").setLevel(logging.WARNING)
    ensure_built_assets()
    turns_dir = Path(tempfile.mkdtemp(prefix="bench-turns-"))
    os.environ[TURN_AUDIO_DIR] = str(turns_dir)  # the agent workers started by lab() inherit it
    audio: dict[int, dict[str, list[dict[str, float]]]] = {}
    with lab() as net, sync_playwright() as pw:
        browser = quiet_chromium(pw)
        for rtt in args.rtt if args.calls else []:
            audio[rtt] = first_audio(browser, net, rtt, args.calls)
        browser.close()
        hears = heard(pw, net, args.heard_calls, turns_dir) if args.heard_calls else {}

    if audio:
        print_first_audio(audio, args.calls)
    if hears:
        print_heard(hears, args.heard_calls)
    path = write(
        "click_to_audio",
        {
            "first_audio_ms": {
                str(rtt): {k: summary(column(v, "ms")) | {"raw": v} for k, v in t.items()}
                for rtt, t in audio.items()
            },
            "ratio_median": {
                str(rtt): summary(column(t["ours"], "ms"))["median"]
                / summary(column(t["minimal"], "ms"))["median"]
                for rtt, t in audio.items()
            },
            "heard": hears,
        },
    )
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
