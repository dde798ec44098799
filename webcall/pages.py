"""HTML pages and the livekit-client bundle they load."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_from_directory

from .services import services

bp = Blueprint("pages", __name__)

LIVEKIT_BUNDLE = Path("livekit-client") / "dist" / "livekit-client.esm.mjs"


@bp.get("/")
def index() -> str:
    demo = services().demos.get(None)
    # `?mode=text` opens the page ready to type: a person without a microphone needs no detour.
    mode = request.args.get("mode") if request.args.get("mode") in ("voice", "text") else None
    return render_template("index.html", demo=demo, mode=mode or demo.default_mode)


@bp.get("/vendor/livekit-client.esm.mjs")
def livekit_client() -> Response:
    # Served from the pinned npm package (package.json), never from a CDN.
    bundle_dir = Path(services().settings.node_modules_dir).resolve() / LIVEKIT_BUNDLE.parent
    if not (bundle_dir / LIVEKIT_BUNDLE.name).is_file():
        abort(404)
    response = send_from_directory(bundle_dir, LIVEKIT_BUNDLE.name, mimetype="text/javascript", max_age=3600)
    return response
