"""HTML pages, the livekit-client bundle they load, which browser assets are served, and the language
of a notice that is a page of its own (`notice_language`).

WEBCALL_ASSETS=built serves the minified bundles of scripts/build-assets.mjs from build/web/static/ at
the same URLs as the plain modules (/static/…), so the URLs that modules compute from `import.meta.url`
hold in both modes; a file the build does not make (images) comes from static/ as always, and the
widget loader is the build's minified copy of static/widget.js (also at /widget.js, webcall/embed.py, its
source map at /widget.js.map).
Source maps are served next to the files. The built /static/js/livekit-client.js carries livekit-client
itself; /vendor/ serves the npm bundle that the plain modules import.

The build also writes each script and stylesheet compressed (`<file>.gz`, zopfli); a browser that
accepts gzip gets those bytes with `Content-Encoding: gzip`. Nothing else compresses them: nginx
(deploy/nginx/webcall.conf) passes responses through as they are, and Debian's nginx gzips only
text/html unless told otherwise, so without this a visitor fetched livekit-client uncompressed
(572 KB instead of 145 KB).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.security import safe_join

from . import ROOT, studio_unavailable
from .demo_page import (
    browser_language,
    language_of_tag,
    page_language,
    page_text,
    preview_image,
    public_base,
)
from .demos import DemoProfile
from .services import services
from .settings import Settings, SettingsError

bp = Blueprint("pages", __name__)

LIVEKIT_BUNDLE = Path("livekit-client") / "dist" / "livekit-client.esm.mjs"
BUILD_DIR = ROOT / "build" / "web"
BUILD_STAMP = "inputs.sha256"  # written last by scripts/build-assets.mjs: the build is complete
BUILT_STATIC = "webcall.built_static"  # app.extensions: the build's static/ in built mode, else absent
VENDOR_FILES = (LIVEKIT_BUNDLE.name, LIVEKIT_BUNDLE.name + ".map")
BY_BROWSER = "webcall.notice_by_browser"  # on flask.g: this answer's language came from Accept-Language
# A shared chunk of the build is named by a hash of its bytes (scripts/build-assets.mjs `chunkNames`):
# a browser may keep it for good and never ask again. Every other file keeps its name across releases.
HASHED = re.compile(r"js/chunk-[A-Z0-9]{8}\.js")
FOREVER = 365 * 24 * 3600  # seconds: HTTP's customary "never expires"
DEMO_ADDRESSES = ("demo", "embed")  # /demo/<slug>…, /embed/<slug>…: addresses that name a demo


def init_assets(app: Flask, settings: Settings) -> None:
    """In built mode, /static/<file> answers from the build when it has the file, else from static/."""
    if settings.assets != "built":
        return
    build_dir = BUILD_DIR
    if not (build_dir / BUILD_STAMP).is_file():
        raise SettingsError(
            "WEBCALL_ASSETS", f"is built but {build_dir} has no build: run `make assets` (make setup does)"
        )
    app.extensions[BUILT_STATIC] = build_dir / "static"
    plain_static = app.view_functions["static"]

    def static(filename: str) -> Response:
        return send_built(filename) or plain_static(filename=filename)

    app.view_functions["static"] = static


def send_built(filename: str, max_age: int | None = None) -> Response | None:
    """The build's `static/<filename>` (its gz twin to a browser that takes gzip), or None when the
    app serves the plain modules (`init_assets` decides) or the build has no such file. Without
    `max_age`, a shared chunk is kept for good and anything else is asked for again on each use (ETag)."""
    built_static: Path | None = current_app.extensions.get(BUILT_STATIC)
    if built_static is None or not _is_file(built_static, filename):
        return None
    kept = max_age is None and HASHED.fullmatch(filename) is not None
    if kept:
        max_age = FOREVER
    if filename.endswith(".map"):
        return send_from_directory(built_static, filename, mimetype="application/json")
    compressed = filename + ".gz"
    if request.accept_encodings["gzip"] and _is_file(built_static, compressed):
        mimetype = mimetypes.guess_type(filename)[0]
        name = Path(filename).name
        response = send_from_directory(
            built_static, compressed, mimetype=mimetype, download_name=name, max_age=max_age
        )
        response.content_encoding = "gzip"
    else:
        response = send_from_directory(built_static, filename, max_age=max_age)
    response.vary.add("Accept-Encoding")
    response.cache_control.immutable = kept
    return response


def _is_file(directory: Path, filename: str) -> bool:
    """Whether `filename` is a file inside `directory`. The name comes from the URL: one the file system
    cannot take (256 letters: OSError "File name too long") is no file, as is one that climbs out."""
    path = safe_join(str(directory), filename)
    try:
        return path is not None and Path(path).is_file()
    except (OSError, ValueError):
        return False


@bp.app_template_global()
def legal_urls(lang: str) -> list[tuple[str, str]]:
    """The imprint and privacy policy links of our own pages (templates/_legal.html), each labelled in
    `lang` (the page words' fallback: English); empty when neither setting is set."""
    settings, text = services().settings, page_text(lang)
    links = (("imprint", settings.imprint_url), ("privacy", settings.privacy_url))
    return [(text[key], url) for key, url in links if url]


@bp.app_template_global()
def notice_language() -> str:
    """The language of a notice that is a page of its own (templates/demo_unavailable.html: an unknown
    demo or address, a refused request, a fault on our side; the iframe page of an unknown demo).

    The studio (/demos…) is the reps' tool, in English. The iframe page takes the site owner's `?lang=`,
    as its call does (webcall/embed.py). An address that names a demo (`/`, `/demo/<slug>…`,
    `/embed/<slug>…`) takes that demo's, as its page does. Any other takes the browser's first language
    the pages are written in (Accept-Language), English by default; the answer then says it varies by it."""
    if studio_unavailable.on_studio_page():
        return "en"
    asked = language_of_tag(request.args.get("lang"))
    if request.path.startswith("/embed/") and asked:
        return asked
    demo = demo_of_address(request.path)
    if demo is not None:
        return page_language(demo.language)
    setattr(g, BY_BROWSER, True)
    return browser_language(request.accept_languages)


def demo_of_address(path: str) -> DemoProfile | None:
    """The demo whose page `path` is or lies under: `/` is the default demo's. A slug must be the demo's
    own, as its page requires (webcall/demo_page.py), or the address names none."""
    parts = path.split("/")  # "/demo/alpenblick/x": ["", "demo", "alpenblick", "x"]
    if path == "/":
        return services().demos.get(None)
    if len(parts) < 3 or parts[1] not in DEMO_ADDRESSES or not parts[2]:
        return None
    demo = services().demos.get(parts[2])
    return demo if demo is not None and demo.slug == parts[2] else None


@bp.after_app_request
def vary_by_browser_language(response: Response) -> Response:
    # A page whose words the browser's Accept-Language chose must not be handed to another browser.
    if g.get(BY_BROWSER, False):
        response.vary.add("Accept-Language")
    return response


@bp.get("/")
def index() -> str:
    demo = services().demos.get(None)
    # `?mode=text` opens the page ready to type: a person without a microphone needs no detour.
    mode = request.args.get("mode") if request.args.get("mode") in ("voice", "text") else None
    return render_template(
        "index.html",
        demo=demo,
        mode=mode or demo.default_mode,
        page_url=public_base() + url_for("pages.index"),
        preview_image=preview_image(demo),
        privacy_url=services().settings.privacy_url,  # also at the call: the element's privacy-url
    )


@bp.get("/vendor/<name>")
def livekit_client(name: str) -> Response:
    # Served from the pinned npm package (package.json), never from a CDN; with its source map.
    if name not in VENDOR_FILES:
        abort(404)
    bundle_dir = Path(services().settings.node_modules_dir).resolve() / LIVEKIT_BUNDLE.parent
    if not (bundle_dir / name).is_file():
        abort(404)
    mimetype = "application/json" if name.endswith(".map") else "text/javascript"
    return send_from_directory(bundle_dir, name, mimetype=mimetype, max_age=3600)
