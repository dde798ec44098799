"""Light until clicked: what a host page pays for the widget before the first intent, from the real files.

The loader as production host pages download it (WEBCALL_ASSETS=built: scripts/build-assets.mjs's
minified copy of static/widget.js, sent as its `.gz` twin, webcall/embed.py) must fit in 10 KB gzip. The
build is made fresh into a temporary directory (`--out`, as tests/unit/test_call_start_budget.py does),
so the figure is never yesterday's. The loader must not contain the element or livekit-client: those come
only through the lazy module (static/js/widget-panel.js) that the loader imports on hover, focus or click.
The e2e test (tests/e2e/test_widget.py) checks the same thing in the browser's network log.

static/widget.js itself has no cap: its comments are for its readers and cost a host page nothing, and
what its code costs is what the minified build measures here.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
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
# The same in minified code, where a statement may follow `;` or `}` on one line.
MINIFIED_STATIC_IMPORT = re.compile(
    r"""(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']"""
)
# Parses the file as a classic script, as a browser does for <script src> (async, defer or neither):
# import/export statements or a top-level await would be a SyntaxError here.
PARSE_AS_SCRIPT = "new (require('vm').Script)(require('fs').readFileSync(process.argv[1], 'utf8'))"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build's static/ directory, made now from the current sources."""
    out = tmp_path_factory.mktemp("build") / "web"
    subprocess.run(
        ["node", str(ROOT / "scripts" / "build-assets.mjs"), "--out", str(out)], cwd=ROOT, check=True
    )
    return out / "static"


def served(path: Path) -> bytes:
    """The bytes a browser that takes gzip gets for `path` (webcall/pages.py): its `.gz` twin, else it."""
    twin = path.with_name(path.name + ".gz")
    return twin.read_bytes() if twin.is_file() else path.read_bytes()


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


def test_before_intent_a_host_page_pays_at_most_10_kb_gzip_and_no_element_or_livekit(built):
    files = eager_files(LOADER)
    names = {p.name for p in files}
    assert not names & ELEMENT_FILES, f"the loader imports the element eagerly: {sorted(names)}"
    assert LIVEKIT not in files, "the loader imports livekit-client eagerly"
    assert files == {LOADER}, sorted(names)  # a classic script: nothing else loads with it
    loader = built / "widget.js"
    assert MINIFIED_STATIC_IMPORT.findall(loader.read_text()) == []
    size = len(served(loader))
    assert size <= BUDGET, f"{size} bytes gzip before the first click (budget {BUDGET})"


def test_the_built_loader_is_the_source_minified_with_its_source_map(built):
    """What host pages download is static/widget.js minified (well under its plain gzip size), with a
    source map next to it that holds the readable file (the browser's developer tools show that)."""
    loader = built / "widget.js"
    text = loader.read_text()
    assert len(served(loader)) < len(gzip.compress(LOADER.read_bytes(), 9)) * 0.7
    assert text.rstrip().endswith("//# sourceMappingURL=widget.js.map")
    source_map = json.loads((built / "widget.js.map").read_text())
    assert [Path(s).name for s in source_map["sources"]] == ["widget.js"]
    assert source_map["sourcesContent"] == [LOADER.read_text()]
    assert gzip.decompress((built / "widget.js.gz").read_bytes()) == loader.read_bytes()


def test_the_built_loader_is_still_a_classic_script(built):
    """No module syntax and no wrapper: `<script src>` with or without async/defer runs it as a script,
    and document.currentScript (its data-* options) is only set for a classic script."""
    text = (built / "widget.js").read_text()
    subprocess.run(["node", "-e", PARSE_AS_SCRIPT, str(built / "widget.js")], check=True)
    assert text.startswith("(function(){"), text[:80]  # the source's own IIFE, nothing before it
    assert "document.currentScript" in text


def test_the_classic_script_check_fails_for_a_module(tmp_path):
    module = tmp_path / "module.js"
    module.write_text("export const a = 1;\n")
    run = subprocess.run(["node", "-e", PARSE_AS_SCRIPT, str(module)], capture_output=True, text=True)
    assert run.returncode != 0 and "SyntaxError" in run.stderr


def test_the_loader_fetches_the_element_only_through_the_lazy_module(built):
    loader = re.sub(r"/\*.*?\*/|^\s*//[^\n]*", "", LOADER.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert "livekit" not in loader.lower()  # not even a preload (comments aside)
    assert "modulepreload" not in loader
    # The lazy module (it brings the element and livekit-client's loader), and the owner's hints, fetched
    # only when the loader has a mistake to name (static/js/widget-hints.js: it imports nothing).
    assert re.findall(r"import\(([^)]*)\)", loader) == [
        "loaderOrigin + '/static/js/widget-hints.js'",
        "this._apiBase + '/static/js/widget-panel.js'",
    ]
    minified = (built / "widget.js").read_text()
    assert "livekit" not in minified.lower()
    assert re.findall(r"import\([^)]*?\"([^\"]+)\"\)", minified) == [
        "/static/js/widget-hints.js",
        "/static/js/widget-panel.js",
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
    # Each of the first test's checks that do not depend on the build: the source's import graph, and
    # the build's own import statements (esbuild keeps a static import as it is, minified or not).
    text = eager_line + "\n" + LOADER.read_text(encoding="utf-8")
    files = eager_files(LOADER, text)
    assert {p.name for p in files} & (ELEMENT_FILES | {LIVEKIT.name})
    assert files != {LOADER}
    assert MINIFIED_STATIC_IMPORT.findall(eager_line.replace(" ", ""))
