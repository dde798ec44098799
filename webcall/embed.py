"""What the embeddable widget needs: the loader, its public per-demo config, and the framed page.

- `GET /widget.js`: the loader a host page includes with `<script src=… data-demo=slug async>`
  (the same file as `/static/widget.js`: in built mode the build's minified copy, whose source map
  `/widget.js.map` names). It is tiny; the element and livekit-client load on intent.
- `GET /api/demos/<slug>/widget`: the launcher's defaults (title, language, mode, colours, label,
  position, consent text) and the variables a page may pass, each with its maximum length. Only the
  demo's allowed origins (and same-origin pages) get it; any other origin gets `403 origin_not_allowed`
  in a form the browser can read (`Access-Control-Allow-Origin: *`, no config), so the widget can say
  clearly why it cannot call, and no call is ever created.
- `GET /embed/<slug>`: a page made to be framed, with `Content-Security-Policy: frame-ancestors`
  listing only the demo's origins (none: it cannot be framed anywhere). A share link rides in the
  fragment (`/embed/<slug>#link=…`), never the query; `?link=` is redirected to that form. Its options
  are query parameters (`mode`, `theme`, `lang`, `privacy_url`: the website owner's privacy policy, shown
  at the call); a value that is not one of them is ignored.
  A slug that names no demo gets a 404 that any site may frame (it says only "There is no such demo"),
  so a mistyped slug shows as one.
- `POST /api/demos/<slug>/link` `{"link": token}`: same-origin only (our demo and embed pages); for a
  valid link, what a link-only page may show (title, brand, suggestions), else `link_invalid` /
  `link_expired` / `link_revoked`; a genuinely signed link's answer also names its rep (`contact`,
  webcall/link_contact.py). A link-only demo names nothing (title, company) anywhere without it.
- Our static scripts and styles, and livekit-client, answer `Access-Control-Allow-Origin: *`: a host page
  on another origin loads them as ES modules, which browsers fetch in CORS mode. They are public files and
  are fetched without credentials, so this exposes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from .db_wait import UNAVAILABLE
from .demo_page import fragment_redirect, language_of_tag, link_content, private_headers
from .demos import DemoProfile
from .errors import ApiError, ErrorCode
from .link_contact import link_contact
from .link_opens import note_refused_open
from .links import LinkStatus
from .pages import send_built
from .ratelimit import breached, client_ip, limiter
from .security import content_security_policy, demo_origins, origin_allowed
from .services import services
from .setting_values import web_page
from .studio_unavailable import database_down_error
from .validation import json_body

bp = Blueprint("embed", __name__)
log = logging.getLogger("webcall.links")

WIDGET_CONFIG_MAX_AGE = 60
# Link checks per client IP: a page load makes one; tokens are signed, so this only bounds work.
LINK_CHECK_LIMIT = "30/minute"
# Public, credential-free assets a host page on another origin loads as modules or stylesheets.
SHARED_ASSET_PREFIXES = ("/static/js/", "/static/css/", "/static/widget.js", "/vendor/", "/widget.js")
# Who may frame the embed page's 404 ("There is no such demo"): anyone, see embed_page.
NOT_FOUND_FRAME_ANCESTORS = "*"
# The longest `?privacy_url=` the embed page takes (a policy's address, not a document).
PRIVACY_URL_MAX_CHARS = 2048


def frame_ancestors(demo: DemoProfile) -> str:
    return " ".join(demo_origins(demo)) or "'none'"


def owner_privacy_url(raw: str | None) -> str | None:
    """The embed page's `?privacy_url=`: the website owner's privacy policy, for the element's `privacy-url`,
    by the rule of our pages' own links (`web_page`). Anything else is None: no link, as a bad `?mode=`
    is the demo's mode."""
    if not raw or len(raw) > PRIVACY_URL_MAX_CHARS or web_page(raw) is None:
        return None
    return raw


def settable_variables(demo: DemoProfile) -> dict[str, int]:
    """The variables a page may pass, each with its maximum length: none named for a link-only demo
    (their names may name the prospect; its link carries its variables)."""
    return {} if demo.link_only else dict(demo.allowed_variables)


def widget_config(demo: DemoProfile) -> dict[str, Any]:
    brand = demo.brand
    # A link-only demo is private to the prospects it was sent to: no title, company, label or variable
    # names here (a company's name goes there too). Its consent text stays: the launcher has no link
    # check to get it from, and a call must not start without its consent step (docs/security.md).
    private = demo.link_only
    return {
        "demo": demo.slug,
        "title": None if private else demo.display_name or demo.title,
        "agent_name": None if private else demo.display_name,  # the element's agent-name: heading, labels
        "language": demo.language,
        "mode": demo.default_mode,
        "theme": brand.theme if brand else "auto",
        "accent": brand.accent if brand else None,
        "company": brand.company if brand and not private else None,
        "label": None if private else demo.widget.label,
        "position": demo.widget.position,
        "consent_text": demo.consent_text,
        "max_call_seconds": demo.max_call_seconds,
        "link_only": demo.link_only,
        "variables": settable_variables(demo),
    }


def _readable_error(error: ApiError) -> tuple[Response, int]:
    response = jsonify(error.body())
    # Any page may read *why* it cannot call (nothing else is in the body), so the widget can say so.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response, error.status


@bp.get("/api/demos/<slug>/widget")
def widget_settings(slug: str) -> Response | tuple[Response, int]:
    demo = services().demos.get(slug)
    if demo is None or demo.slug != slug:
        return _readable_error(ApiError(ErrorCode.UNKNOWN_DEMO))
    if not origin_allowed(demo_origins(demo)):
        return _readable_error(ApiError(ErrorCode.ORIGIN_NOT_ALLOWED))
    response = jsonify(widget_config(demo))
    response.headers["Cache-Control"] = f"public, max-age={WIDGET_CONFIG_MAX_AGE}"
    return response  # security.py adds Access-Control-Allow-Origin for this origin and Vary: Origin


@bp.get("/widget.js")
def widget_loader() -> Response:
    # Short cache: a fixed URL that host pages never change, so updates must reach them soon.
    return send_built("widget.js", max_age=300) or send_from_directory(
        current_app.static_folder or "static", "widget.js", mimetype="text/javascript", max_age=300
    )


@bp.get("/widget.js.map")
def widget_loader_map() -> Response:
    # The built loader names its map relatively (scripts/build-assets.mjs): from /widget.js, this URL.
    return send_built("widget.js.map") or abort(404)


@bp.before_request
def refuse_other_sites_link_checks() -> tuple[Response, int] | None:
    """Only our own pages check a link: another site's form post or no-cors fetch is refused before the
    link check's limit counts it (it spent the visitor's checks: an audit; webcall/api.py says more)."""
    if request.endpoint == "embed.check_link" and not origin_allowed(()):
        return _error(ApiError(ErrorCode.ORIGIN_NOT_ALLOWED))
    return None


@bp.post("/api/demos/<slug>/link")
@limiter.limit(LINK_CHECK_LIMIT, key_func=client_ip, scope="link-check", on_breach=breached)
def check_link(slug: str) -> Response | tuple[Response, int]:
    svc = services()
    try:
        if not origin_allowed(()):  # only our own pages ask
            raise ApiError(ErrorCode.ORIGIN_NOT_ALLOWED)
        body = json_body()
        demo = svc.demos.get(slug)
        if demo is None or demo.slug != slug:
            raise ApiError(ErrorCode.UNKNOWN_DEMO)
        token = body.get("link") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise ApiError(ErrorCode.INVALID_REQUEST, "link: a share-link token is required")
    except ApiError as error:
        return _error(error)
    try:
        checked = svc.links.check(token, demo.slug)
    except UNAVAILABLE as error:  # its row (revocation, expiry) cannot be read: 503, the page says so
        return _error(database_down_error(log, "share link not checked", error))
    # An expired or revoked link that a page opened: its rep sees it on /demos (webcall/link_opens.py).
    note_refused_open(svc.calllog.engine, checked, request.headers)
    # A genuinely signed link's rep, whom its holder may ask (only the signature decides: link_contact.py).
    contact = link_contact(checked, demo, svc.accounts)
    named = {"contact": contact} if contact else {}
    if checked.status is LinkStatus.REVOKED:
        return _error(ApiError(ErrorCode.LINK_REVOKED), named)
    if checked.status is LinkStatus.EXPIRED:
        return _error(ApiError(ErrorCode.LINK_EXPIRED), named)
    if not checked.valid:
        return _error(ApiError(ErrorCode.LINK_INVALID))
    response = jsonify(link_content(demo) | named)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(error: ApiError, extra: dict[str, Any] | None = None) -> tuple[Response, int]:
    response = jsonify(error.body() | (extra or {}))
    response.headers["Cache-Control"] = "no-store"
    return response, error.status


@bp.get("/embed/<slug>")
def embed_page(slug: str) -> Response | tuple[str, int] | str:
    svc = services()
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        # `/embed/<slug>%23link=…` (a redirector encoded the `#`): the page, its token in the fragment.
        moved = fragment_redirect("embed.embed_page", slug=slug) if "#" in slug else None
        if moved is not None:
            return moved
        # Any site may frame this page: it says only "There is no such demo" (no script, no link, no
        # control to trick a click onto), so an iframe with a mistyped slug shows that, not the browser's
        # "refused to connect", which the docs explain as a demo without origins.
        g.csp = content_security_policy(NOT_FOUND_FRAME_ANCESTORS)
        return render_template("embed.html", demo=None), 404
    moved = fragment_redirect("embed.embed_page", slug=slug)
    if moved is not None:
        return moved
    g.csp = content_security_policy(frame_ancestors(demo))
    mode = request.args.get("mode")
    theme = request.args.get("theme")
    lang = request.args.get("lang")
    brand = demo.brand
    return render_template(
        "embed.html",
        demo=demo,
        mode=mode if mode in ("voice", "text") else demo.default_mode,
        theme=theme if theme in ("light", "dark", "auto") else (brand.theme if brand else "auto"),
        lang=language_of_tag(lang) or demo.language,  # a tag, as the element's `lang` takes: de-AT is German
        # Only in a frame (a site the demo allows, by frame-ancestors): opened in a tab, the address would
        # be whoever wrote the URL's. Browsers without fetch metadata send no Sec-Fetch-Dest.
        privacy_url=owner_privacy_url(request.args.get("privacy_url"))
        if request.headers.get("Sec-Fetch-Dest", "iframe") == "iframe"
        else None,
        private=demo.link_only,
        brand_css=url_for("demo.brand_css", slug=demo.slug) if brand else None,
        parent_origins=json.dumps(list(demo_origins(demo))),
        allowed_variables=json.dumps(settable_variables(demo)),
    )


@bp.after_request
def _embed_headers(response: Response) -> Response:
    # The embed page's URL may carry a share link (in its fragment, or an old `?link=` query).
    return private_headers(response) if request.path.startswith("/embed/") else response


@bp.after_app_request
def shared_assets(response: Response) -> Response:
    if request.method in ("GET", "HEAD") and request.path.startswith(SHARED_ASSET_PREFIXES):
        response.headers["Access-Control-Allow-Origin"] = "*"
        # Stops another site from reading them as anything but what they are.
        response.headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
    return response
