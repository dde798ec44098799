"""WEBCALL_ASSETS: which browser files the app serves (webcall/pages.py), on a small stand-in build."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT, SettingsError, create_app, pages
from webcall.settings import Settings

pytestmark = pytest.mark.unit

JS = "/static/js/"  # where the build's scripts are served
ENV = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID}


def settings(**env: str) -> Settings:
    return Settings.from_env({**ENV, **env})


@pytest.mark.parametrize(
    ("env", "assets"),
    [
        ({}, "source"),
        ({"WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "s" * 32}, "built"),
        ({"WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "s" * 32, "WEBCALL_ASSETS": "source"}, "source"),
        ({"WEBCALL_ASSETS": "built"}, "built"),
    ],
)
def test_built_in_production_source_in_development_unless_set(env, assets):
    assert settings(**env).assets == assets


def test_a_bad_value_names_the_setting():
    with pytest.raises(SettingsError, match="WEBCALL_ASSETS"):
        settings(WEBCALL_ASSETS="minified")


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "web"
    (out / "static" / "js").mkdir(parents=True)
    (out / "static" / "js" / "itellico-call.js").write_text('import"./chunk-A.js";\n//# sourceMappingURL=x')
    (out / "static" / "js" / "itellico-call.js.map").write_text('{"version":3}')
    (out / pages.BUILD_STAMP).write_text("hash\n")
    monkeypatch.setattr(pages, "BUILD_DIR", out)
    return out


def test_built_serves_the_build_at_the_same_urls_with_source_maps_and_static_for_the_rest(build):
    client = create_app({"settings": settings(WEBCALL_ASSETS="built")}).test_client()
    entry = client.get("/static/js/itellico-call.js")
    assert entry.status_code == 200 and entry.mimetype == "text/javascript"
    assert entry.data.startswith(b'import"./chunk-A.js"')
    assert entry.headers["Access-Control-Allow-Origin"] == "*"  # host pages load it cross-origin
    source_map = client.get("/static/js/itellico-call.js.map")
    assert source_map.status_code == 200 and source_map.mimetype == "application/json"
    # What the build does not make comes from static/: the favicon; the widget loader of a build without it.
    assert client.get("/static/widget.js").data == (ROOT / "static" / "widget.js").read_bytes()
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/static/js/../../../pyproject.toml").status_code == 404
    assert client.get("/vendor/livekit-client.esm.mjs").status_code == 200


def test_built_scripts_go_gzip_compressed_to_browsers_that_take_it(build):
    """The build's `<file>.gz` twin, as Content-Encoding: gzip (nothing on the way compresses scripts:
    docs/deployment.md); the plain file to a client that does not take gzip; a cache keeps both apart."""
    url = "/static/js/itellico-call.js"
    plain_bytes = (build / "static" / "js" / "itellico-call.js").read_bytes()
    (build / "static" / "js" / "itellico-call.js.gz").write_bytes(gzip.compress(plain_bytes))
    client = create_app({"settings": settings(WEBCALL_ASSETS="built")}).test_client()

    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.mimetype == "text/javascript" and gzip.decompress(zipped.data) == plain_bytes
    assert zipped.headers["Access-Control-Allow-Origin"] == "*"
    assert ".gz" not in zipped.headers.get("Content-Disposition", "")  # the script's own name
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "br, gzip;q=0"}):
        plain = client.get(url, headers=headers)
        assert "Content-Encoding" not in plain.headers and plain.data == plain_bytes, headers
    for response in (zipped, plain):
        assert "accept-encoding" in response.headers["Vary"].lower()
    # A file with no twin (the source map) goes as it is.
    source_map = client.get(url + ".map", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in source_map.headers and source_map.data == b'{"version":3}'


def test_the_widget_loader_goes_compressed_from_the_build_with_its_short_cache(build):
    """Every host page loads /widget.js before any click; the build minifies it (a gz twin and a source
    map beside it), and both of its URLs send that, the map where its relative name points from each."""
    loader = b'(function(){"use strict";var a=1})();\n//# sourceMappingURL=widget.js.map\n'
    (build / "static" / "widget.js").write_bytes(loader)
    (build / "static" / "widget.js.gz").write_bytes(gzip.compress(loader))
    (build / "static" / "widget.js.map").write_text('{"version":3}')
    client = create_app({"settings": settings(WEBCALL_ASSETS="built")}).test_client()
    for url in ("/widget.js", "/static/widget.js"):
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == loader, url
        assert zipped.mimetype == "text/javascript", url
        assert zipped.headers["Access-Control-Allow-Origin"] == "*", url  # host pages on other origins
        plain = client.get(url)
        assert "Content-Encoding" not in plain.headers and plain.data == loader, url
        source_map = client.get(url + ".map", headers={"Accept-Encoding": "gzip"})
        assert source_map.status_code == 200 and source_map.mimetype == "application/json", url
        assert source_map.data == b'{"version":3}', url
    cache = client.get("/widget.js", headers={"Accept-Encoding": "gzip"}).headers["Cache-Control"]
    assert "max-age=300" in cache
    # Served as source, the loader is static/widget.js, which names no map: there is none.
    source = create_app({"settings": settings(WEBCALL_ASSETS="source")}).test_client()
    assert source.get("/widget.js").data == (ROOT / "static" / "widget.js").read_bytes()
    assert source.get("/widget.js.map").status_code == 404


def test_source_serves_the_plain_modules(build):
    client = create_app({"settings": settings(WEBCALL_ASSETS="source")}).test_client()
    entry = client.get("/static/js/itellico-call.js")
    assert entry.data == (ROOT / "static" / "js" / "itellico-call.js").read_bytes()
    assert client.get("/static/js/itellico-call.js.map").status_code == 404
    assert client.get("/vendor/livekit-client.esm.mjs.map").status_code == 200
    assert client.get("/vendor/livekit-client.e2ee.worker.mjs").status_code == 404  # only the bundle


def test_built_without_a_build_refuses_to_start(build):
    (build / pages.BUILD_STAMP).unlink()  # an interrupted or missing build
    with pytest.raises(SettingsError, match=r"WEBCALL_ASSETS.*make assets"):
        create_app({"settings": settings(WEBCALL_ASSETS="built")})


def test_every_module_a_page_loads_is_built():
    """A page's module missing from the build's entries is served unminified, with all its imports
    one by one, in built mode (the demo editor's was, once)."""
    build_script = (ROOT / "scripts" / "build-assets.mjs").read_text()
    entries = set(re.findall(r"'static/(js/[\w/.-]+\.js)'", build_script.split("const ENTRIES", 1)[1]))
    loaded = {
        path
        for template in (ROOT / "templates").glob("*.html")
        for path in re.findall(
            r"<script type=\"module\" src=\"\{\{ url_for\('static', filename='(js/[\w/.-]+\.js)'\) \}\}\"",
            template.read_text(),
        )
    }
    assert loaded, "no page loads a module: the pattern above no longer matches the templates"
    assert loaded <= entries, sorted(loaded - entries)


def test_shared_chunks_are_cached_for_good_and_the_rest_asked_again(build):
    """A chunk's name is a hash of its bytes (scripts/build-assets.mjs `chunkNames`): a browser may keep
    it without asking again. An entry, a stylesheet or a catalogue keeps its name across releases, so
    each use asks whether it changed (ETag), as before."""
    chunk = build / "static" / "js" / "chunk-XQCZ3QY4.js"  # esbuild's hash form
    chunk.write_text("export const a=1;")
    chunk.with_name(chunk.name + ".gz").write_bytes(gzip.compress(chunk.read_bytes()))
    (build / "static" / "js" / "chunk-notahash.js").write_text("export const b=2;")
    client = create_app({"settings": settings(WEBCALL_ASSETS="built")}).test_client()
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        kept = client.get(JS + chunk.name, headers=headers)
        assert kept.status_code == 200, headers
        assert kept.cache_control.immutable and kept.cache_control.max_age == pages.FOREVER, headers
        assert kept.cache_control.public and not kept.cache_control.no_cache, headers
    for url in (JS + "itellico-call.js", JS + "chunk-notahash.js"):
        asked = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert asked.status_code == 200 and asked.headers["ETag"], url
        assert asked.cache_control.no_cache and not asked.cache_control.immutable, url
        assert asked.cache_control.max_age is None, url
    # The plain modules of development mode are never kept: they change with every edit.
    source = create_app({"settings": settings(WEBCALL_ASSETS="source")}).test_client()
    assert not source.get("/static/js/itellico-call.js").cache_control.immutable
