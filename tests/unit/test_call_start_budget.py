"""What a visitor downloads when a call starts, from the minified build (WEBCALL_ASSETS=built): ≤ 180 KB gzip.

The build is made fresh from the current sources into a temporary directory (scripts/build-assets.mjs
--out, a few seconds), so the figure is never yesterday's. A call start is an entry point the pages load
(the element, the widget's lazy panel, the embed page's module and stylesheet), every module it imports
statically, what those modules load from `new URL('…', import.meta.url)` when a call starts:
livekit-client (a file of its own, static/js/livekit-client.js, imported lazily) and the element's
stylesheet, and one language's catalogue (static/js/i18n.js fetches the visitor's language, English
included): the worst case over the languages, which is the largest catalogue. Each file counts as the
app sends it to a browser that takes gzip: the build's `<file>.gz` (webcall/pages.py), else the file itself.
bench/widget_bytes.py measures the same thing as Chromium fetches it.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import pytest

from webcall import ROOT, pages

pytestmark = pytest.mark.unit

BUDGET = 180_000  # gzip bytes (KB = 1000 bytes: the stricter reading, as docs/performance.md counts)
ENTRIES = ["itellico-call.js", "widget-panel.js", "embed-frame.js"]
# What a page links besides the entry's own module graph (templates/embed.html).
LINKED = {"embed-frame.js": ["css/widget-embed.css"]}
SOURCE_LIVEKIT = ROOT / "node_modules" / "livekit-client" / "dist" / "livekit-client.esm.mjs"

# Static imports in minified output: `import{a as b}from"./chunk-X.js"`, `import"./chunk-Y.js"`, re-exports.
STATIC_IMPORT = re.compile(
    r"""(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']"""
)
ASSET_URL = re.compile(r"""new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url\s*\)""")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "web"
    subprocess.run(
        ["node", str(ROOT / "scripts" / "build-assets.mjs"), "--out", str(out)], cwd=ROOT, check=True
    )
    return out


def with_static_imports(paths: set[Path]) -> set[Path]:
    seen: set[Path] = set()
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            if path.suffix == ".js":
                todo.extend((path.parent / s).resolve() for s in STATIC_IMPORT.findall(path.read_text()))
    return seen


def call_start_files(entry: Path) -> tuple[set[Path], set[Path]]:
    """(the entry and its static imports, transitively; what those load by import.meta.url, with theirs)."""
    eager = with_static_imports({entry})
    urls = {(p.parent / url).resolve() for p in eager for url in ASSET_URL.findall(p.read_text())}
    return eager, with_static_imports(urls) - eager


def served(path: Path) -> bytes:
    """The bytes a browser that takes gzip gets for `path` (webcall/pages.py)."""
    twin = path.with_name(path.name + ".gz")
    return twin.read_bytes() if twin.is_file() else path.read_bytes()


def served_size(paths: set[Path]) -> int:
    return sum(len(served(p)) for p in paths)


def catalogues(built: Path) -> dict[str, Path]:
    """Each language's catalogue in the build: a file of its own, which a page fetches for its language."""
    return {p.stem: p for p in sorted((built / "static" / "js" / "i18n").glob("*.js"))}


def largest_catalogue(built: Path) -> set[Path]:
    """The worst case over the languages: a visitor fetches one catalogue, at most the largest."""
    return {max(catalogues(built).values(), key=lambda p: len(served(p)))}


def call_start(built: Path, entry: str) -> tuple[set[Path], set[Path]]:
    """(what the page loads eagerly: the entry, its static imports, what it links; what the call start
    adds: livekit-client, the element's stylesheet, the largest catalogue)."""
    eager, on_call = call_start_files(built / "static" / "js" / entry)
    linked = {built / "static" / css for css in LINKED.get(entry, [])}
    return eager | linked, on_call | largest_catalogue(built)


def catalogue_words(path: Path) -> set[str]:
    """A catalogue's longer plain-ASCII texts, as they appear in minified code (esbuild escapes the rest)."""
    values = re.findall(r"""^\s*'[^']+':\s*'((?:[^'\\]|\\.)*)',?$""", path.read_text(), re.MULTILINE)
    return {v for v in values if len(v) >= 12 and v.isascii() and "\\" not in v}


def test_the_pages_link_what_the_budget_counts():
    for entry, sheets in LINKED.items():
        template = next(t for t in (ROOT / "templates").glob("*.html") if f"js/{entry}" in t.read_text())
        for sheet in sheets:
            assert f"'{sheet}'" in template.read_text(), (template.name, sheet)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_call_start_downloads_at_most_180_kb_gzip(built, entry):
    eager, on_call = call_start(built, entry)
    livekit = built / "static" / "js" / "livekit-client.js"
    names = sorted(str(p.relative_to(built)) for p in eager | on_call)
    # What the element needs at call start is all there: livekit-client, lazily, and the stylesheet.
    assert livekit in on_call and livekit not in eager, names
    if entry != "embed-frame.js":  # the embed page links its own stylesheet
        assert built / "static" / "css" / "itellico-call.css" in on_call, names
    assert all(p.is_file() for p in eager | on_call), names
    size = served_size(eager | on_call)
    assert size <= BUDGET, f"{size:,} bytes gzip when a call starts (budget {BUDGET:,}): {names}"


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_visitor_downloads_one_catalogue_their_own(built, entry):
    """No catalogue travels with the code (English did: a German visitor paid for two), so each
    visitor's call start is the code plus their language's file, and the budget's worst case holds."""
    found = catalogues(built)
    assert {"en", "de"} <= found.keys(), sorted(found)
    eager, on_call = call_start_files(built / "static" / "js" / entry)
    code = "\n".join(p.read_text() for p in eager | on_call if p.suffix == ".js")
    for lang, path in found.items():
        assert path not in eager | on_call, (entry, lang)
        words = catalogue_words(ROOT / "static" / "js" / "i18n" / path.name)
        carried = sorted(w for w in words if w in code)
        # Only static/js/i18n.js's CORE, a few English words for a page that gets no catalogue (offline).
        assert len(words) > 50 and len(carried) < len(words) // 5, (entry, lang, len(carried), carried[:5])


def test_the_budget_fails_with_livekit_client_unminified(built):
    """The check can fail: with livekit-client's unminified npm bundle (as served in source mode) in place
    of the minified one, a call start is far past the budget."""
    eager, on_call = call_start(built, "itellico-call.js")
    livekit = built / "static" / "js" / "livekit-client.js"
    assert livekit in on_call
    unminified = len(gzip.compress(SOURCE_LIVEKIT.read_bytes(), 9))
    assert served_size(eager | on_call) <= BUDGET < served_size(eager | on_call - {livekit}) + unminified


def test_scripts_and_stylesheets_are_built_compressed_too(built):
    """Each twin decompresses to its file; only a file that gzip cannot make smaller has none."""
    files = [p for p in built.rglob("*") if p.suffix in (".js", ".css")]
    for path in files:
        twin = path.with_name(path.name + ".gz")
        if twin.is_file():
            assert gzip.decompress(twin.read_bytes()) == path.read_bytes(), path
            assert twin.stat().st_size < len(gzip.compress(path.read_bytes(), 9)) * 1.01, path
        else:
            assert len(gzip.compress(path.read_bytes(), 9)) >= path.stat().st_size, path
    assert sum(p.with_name(p.name + ".gz").is_file() for p in files) >= len(files) // 2


def test_built_scripts_have_source_maps_and_no_eval(built):
    scripts = [p for p in built.rglob("*") if p.suffix in (".js", ".mjs")]
    assert len(scripts) >= len(ENTRIES) + 1
    for script in scripts:
        text = script.read_text()
        mapping = re.search(r"//# sourceMappingURL=(\S+)\s*$", text)
        assert mapping and (script.parent / mapping.group(1)).is_file(), script
        # CSP script-src 'self': nothing may need eval.
        assert not re.search(r"\beval\(|new Function\(", text), script


def test_the_build_keeps_relative_urls_at_the_depth_of_the_sources(built):
    """Modules resolve ../css/… and ./livekit-client.js from import.meta.url: the output mirrors the URLs."""
    found = 0
    for script in (built / "static" / "js").rglob("*.js"):
        for url in ASSET_URL.findall(script.read_text()):
            target = (script.parent / url).resolve()
            assert target.is_file(), (script.name, url)
            # The same URL serves the plain file in source mode.
            assert (ROOT / target.relative_to(built)).is_file(), (script.name, url)
            found += 1
    assert found >= 2  # the element's stylesheet and livekit-client


def test_every_livekit_name_the_app_reads_is_exported_by_livekit_client_js():
    """static/js/livekit-client.js lists the exports a call uses (the build keeps only those): every
    `lk.Name` the modules read must be there, and must be a real export of the pinned npm bundle."""
    listed = re.search(r"export \{([^}]*)\}", (ROOT / "static" / "js" / "livekit-client.js").read_text())
    assert listed
    exported = {name.strip() for name in listed.group(1).split(",")}
    read = {
        name
        for path in (ROOT / "static" / "js").rglob("*.js")
        for name in re.findall(r"\blk\.([A-Z]\w*)", path.read_text())
    }
    assert read and read <= exported, sorted(read - exported)
    bundle_exports = re.search(
        r"export\s*\{([^}]*)\};?\s*(?://# sourceMappingURL=\S+)?\s*$", SOURCE_LIVEKIT.read_text()
    )
    assert bundle_exports
    assert exported <= {n.split(" as ")[-1].strip() for n in bundle_exports.group(1).split(",")}


def test_every_shared_chunk_is_named_by_its_bytes(built: Path):
    """webcall/pages.py lets browsers keep files of the chunks' name form for good: the build must
    still name them so (a renamed pattern would leave them revalidated, a hashless one stale)."""
    chunks = sorted((built / "static" / "js").glob("chunk-*.js"))
    assert chunks, "the build has no shared chunks"
    for chunk in chunks:
        assert pages.HASHED.fullmatch(chunk.relative_to(built / "static").as_posix()), chunk.name


def test_the_elements_markup_is_built_without_its_indentation(built: Path):
    """Every visitor downloads the element's markup (static/js/element-markup.js); its indentation is for
    readers of the source, and the build drops it (a line break renders as the same one space)."""
    source = (ROOT / "static" / "js" / "element-markup.js").read_text()
    assert '\n    <button type="button" class="btn toggle" part="mute-button"' in source
    code = "\n".join(p.read_text() for p in (built / "static" / "js").glob("*.js"))
    assert '\n<button type="button" class="btn toggle" part="mute-button"' in code
    assert not re.search(r"\n +<(?:div|p|button|span)\b", code)
