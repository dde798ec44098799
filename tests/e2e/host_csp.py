"""A website owner's Content-Security-Policy, exactly as docs/widget.md tells them to write it.

The rule lives in one place, the docs' table under "Content-Security-Policy on the host page": each row
is a directive and the sources to add for the widget, with `APP` (the app's origin), `LIVEKIT` (the
LiveKit URL calls use) and `LIVEKIT_HTTPS` (that URL with `https://`, or `http://` for a local `ws://`
server) standing for addresses. This module reads the table and fills them in; the sample host pages
add only what the page itself needs (its own files, `'self'`). A policy line the docs show whole (the
nonce-based one) is read from the docs the same way.
"""

from __future__ import annotations

import re

from webcall import ROOT

DOCS = ROOT / "docs" / "widget.md"
SECTION = "### Content-Security-Policy on the host page"
# What the docs write for the addresses (their examples), and what the table's placeholders are.
DOCS_APP = "https://call.example.com"
DOCS_LIVEKIT = "wss://your-project.livekit.cloud"
PLACEHOLDERS = ("LIVEKIT_HTTPS", "LIVEKIT", "APP")  # longest first: LIVEKIT is part of LIVEKIT_HTTPS

Policy = dict[str, list[str]]


def section() -> str:
    text = DOCS.read_text()
    assert SECTION in text, f"docs/widget.md has no '{SECTION}'"
    return text.split(SECTION, 1)[1].split("\n#", 1)[0]


def https_twin(livekit_url: str) -> str:
    """The http(s):// twin of a ws(s):// LiveKit URL, as the docs define LIVEKIT_HTTPS."""
    return re.sub(r"^ws(s?)://", r"http\1://", livekit_url)


def fill(text: str, app: str, livekit_url: str) -> str:
    values = {"LIVEKIT_HTTPS": https_twin(livekit_url), "LIVEKIT": livekit_url, "APP": app}
    return re.sub("|".join(PLACEHOLDERS), lambda m: values[m.group(0)], text)


def documented_sources(app: str, livekit_url: str) -> Policy:
    """The table's rows: directive → the sources the widget needs there, addresses filled in."""
    rows = re.findall(r"^\| `([a-z-]+)` \| `([^`]+)` \|", section(), re.MULTILINE)
    assert rows, "no directive rows in the docs' CSP table"
    return {directive: fill(sources, app, livekit_url).split() for directive, sources in rows}


def merge(*policies: Policy) -> Policy:
    merged: Policy = {}
    for policy in policies:
        for directive, sources in policy.items():
            merged.setdefault(directive, [])
            merged[directive] += [s for s in sources if s not in merged[directive]]
    return merged


def header(policy: Policy) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def parse(line: str) -> Policy:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in line.split(";")) if d}


def documented_line(starts: str) -> str:
    """A whole policy the docs show (`Content-Security-Policy: …` in a code block), by how it starts."""
    found = [
        line.removeprefix("Content-Security-Policy:").strip()
        for line in section().splitlines()
        if line.startswith("Content-Security-Policy:") and starts in line
    ]
    assert len(found) == 1, f"the docs show {len(found)} policies with {starts!r}"
    return found[0]
