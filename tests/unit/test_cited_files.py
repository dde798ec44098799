"""A comment (or doc) that cites a Markdown file cites one in the repository: a reader must be able to
open it. 28 comments cited notes kept beside the repository (`../shared/reference/<topic>.md §…`), which
a clone does not have; they now state the fact they rely on and name the upstream source (or the test
that pins it)."""

from __future__ import annotations

import posixpath
import re
import subprocess

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

# A Markdown file named in text: `docs/widget.md`, `sales.md#…`, `../<folder>/<name>.md` once named.
CITED = re.compile(r"(?<![\w./:-])((?:\.{1,2}/|[\w-]+/)*[\w.-]*\w\.md)\b")
URL_BEFORE = re.compile(r"https?://\S*$")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def untracked_citations(name: str, text: str, tracked: set[str]) -> list[str]:
    """Each `*.md` that `text` (the file `name`) cites and that is not a tracked file, as `name:line: cited`:
    a path from the repository's root or from the citing file's folder, or a bare name of a tracked one."""
    basenames = {posixpath.basename(path) for path in tracked if path.endswith(".md")}
    found = []
    for match in CITED.finditer(text):
        cited = match.group(1)
        line_start = text.rfind("\n", 0, match.start()) + 1
        if URL_BEFORE.search(text[line_start : match.start()]):
            continue  # a web address, not a file of ours
        here = posixpath.dirname(name)
        paths = {posixpath.normpath(cited), posixpath.normpath(posixpath.join(here, cited))}
        if paths & tracked or ("/" not in cited and cited in basenames):
            continue
        found.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {cited}")
    return found


def test_every_cited_markdown_file_is_in_the_repository():
    names = tracked_files()
    tracked = set(names)
    found = []
    for name in names:
        path = ROOT / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary (images, fonts), or removed in this working tree
        found += untracked_citations(name, text, tracked)
    assert found == []


def test_the_check_tells_ours_from_others():
    tracked = {"README.md", "docs/widget.md", "static/js/call-room.js"}
    md = ".md"  # written apart, so that this file cites nothing itself
    text = (
        f"// see docs/widget{md}, widget{md} and ../README{md}; https://example.com/guide{md} is a web page\n"
        f"// (livekit{md} §1.6, ../shared/reference/itellico-api{md} §10)\n"
    )
    assert untracked_citations("static/js/call-room.js", text, tracked) == [
        f"static/js/call-room.js:1: ../README{md}",
        f"static/js/call-room.js:2: livekit{md}",
        f"static/js/call-room.js:2: ../shared/reference/itellico-api{md}",
    ]
