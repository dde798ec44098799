"""Light until clicked: what a host page pays for the widget before the first intent, from the real files.

The loader (static/widget.js) plus everything it imports statically (followed transitively, as a browser
would) must fit in 10 KB gzip, and must not contain the element or livekit-client: those come only through
the lazy module (static/js/widget-panel.js) that the loader imports on hover, focus or click. The e2e test
(tests/e2e/test_widget.py) checks the same thing in the browser's network log.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

STATIC = ROOT / "static"
LOADER = STATIC / "widget.js"
LAZY = STATIC / "js" / "widget-panel.js"
LIVEKIT = ROOT / "node_modules" / "livekit-client" / "dist" / "livekit-client.esm.mjs"
BUDGET = 10 * 1024
ELEMENT_FILES = {"itellico-call.js", "call-session.js"}

# Static imports and re-exports: `import x from '…'`, `import '…'`, `export … from '…'`.
STATIC_IMPORT = re.compile(
    r"""^\s*(?:import\s*(?:[\w*{}\s,$]+\s*from\s*)?|export\s+[\w*{}\s,$]+\s*from\s*)['"]([^'"]+)['"]""", re.M
)


def resolve(specifier: str, importer: Path) -> Path:
    """A module specifier as the app serves it: /static/… from static/, /vendor/livekit… from node_modules."""
    path = re.sub(r"^https?://[^/]+", "", specifier)
    if path.endswith("livekit-client.esm.mjs"):
        return LIVEKIT
    if path.startswith("/static/"):
        return STATIC / path.removeprefix("/static/")
    return (importer.parent / path).resolve()


def eager_files(entry: Path, text: str | None = None) -> set[Path]:
    """`entry` and every module it imports statically, transitively."""
    seen: set[Path] = set()
    todo = [(entry, text)]
    while todo:
        path, source = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        source = source if source is not None else path.read_text(encoding="utf-8")
        todo.extend((resolve(spec, path), None) for spec in STATIC_IMPORT.findall(source))
    return seen


def gzip_size(paths: set[Path], overrides: dict[Path, str] | None = None) -> int:
    overrides = overrides or {}
    return sum(
        len(gzip.compress(overrides[p].encode() if p in overrides else p.read_bytes(), 9)) for p in paths
    )


def test_before_intent_a_host_page_pays_at_most_10_kb_gzip_and_no_element_or_livekit():
    files = eager_files(LOADER)
    names = {p.name for p in files}
    assert not names & ELEMENT_FILES, f"the loader imports the element eagerly: {sorted(names)}"
    assert LIVEKIT not in files, "the loader imports livekit-client eagerly"
    size = gzip_size(files)
    assert size <= BUDGET, f"{size} bytes gzip before the first click (budget {BUDGET}): {sorted(names)}"


def test_the_loader_fetches_the_element_only_through_the_lazy_module():
    loader = re.sub(r"/\*.*?\*/|^\s*//[^\n]*", "", LOADER.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert "livekit" not in loader.lower()  # not even a preload (comments aside)
    assert "modulepreload" not in loader
    # The lazy module (it brings the element and livekit-client's loader), and the owner's hints, fetched
    # only when the loader has a mistake to name (static/js/widget-hints.js: it imports nothing).
    assert re.findall(r"import\(([^)]*)\)", loader) == [
        "loaderOrigin + '/static/js/widget-hints.js'",
        "this._apiBase + '/static/js/widget-panel.js'",
    ]
    hints = STATIC / "js" / "widget-hints.js"
    assert eager_files(hints) == {hints}
    lazy = {p.name for p in eager_files(LAZY)}
    assert ELEMENT_FILES <= lazy
    assert gzip_size(eager_files(LAZY)) > BUDGET  # which is why it must stay lazy


@pytest.mark.parametrize(
    "eager_line",
    [
        "import './js/itellico-call.js';",
        "import { Room } from '/vendor/livekit-client.esm.mjs';",
        "export { CallSession } from './js/call-session.js';",
    ],
)
def test_the_budget_check_fails_when_the_element_or_livekit_is_imported_eagerly(eager_line):
    text = eager_line + "\n" + LOADER.read_text(encoding="utf-8")
    files = eager_files(LOADER, text)
    assert {p.name for p in files} & (ELEMENT_FILES | {LIVEKIT.name})
    assert gzip_size(files, {LOADER: text}) > BUDGET
