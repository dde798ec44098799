"""Response headers that make the app safe to put on a public website.

- CORS on `/api/*` for the allowed origins only (settings plus each demo's widget origins),
  preflight included, always with `Vary: Origin`.
- A Content-Security-Policy every page really passes (no inline script or style), nosniff,
  a referrer policy, HSTS over HTTPS. `frame-ancestors` is 'none' except on embed pages. The studio's
  pages may connect to the app only; the call pages also to LiveKit (`wss:`/`https:`).
- ProxyFix for a configured number of trusted proxy hops, never a raw header.
- A body limit (MAX_CONTENT_LENGTH): a larger request is refused (413) before it is read.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .bodies import MAX_BODY_BYTES
from .demos import DemoProfile
from .errors import ApiError, ErrorCode
from .services import EXTENSION, services
from .setting_values import web_origin
from .studio_unavailable import on_studio_page

log = logging.getLogger("webcall.security")

PREFLIGHT_MAX_AGE = "600"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def init_app(app: Flask) -> None:
    settings = app.extensions[EXTENSION].settings
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if settings.environment == "production" and not settings.public_url:
        log.warning(
            "OPERATOR: WEBCALL_PUBLIC_URL is not set, so same-origin API calls are judged by the Host "
            "header and rep notifications carry no link to the call; set it to the address visitors use "
            "(e.g. https://demo.example.com)"
        )
    if settings.trusted_proxy_hops:
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    elif settings.environment == "production":
        app.before_request(_UntrustedProxyNotice().check)
    app.before_request(_preflight)
    app.after_request(_headers)


class _UntrustedProxyNotice:
    """With no trusted hops, requests that carry X-Forwarded-* suggest a proxy in front that the app
    ignores (every visitor then shares its IP for rate limits). Start-up refuses the shape it can see
    (an https WEBCALL_PUBLIC_URL); this says the rest once per process, at the first such request.
    Anyone can send the headers, so it is a hint for the operator, never a change in behaviour."""

    def __init__(self) -> None:
        self._told = False

    def check(self) -> None:
        if self._told or not ("X-Forwarded-For" in request.headers or "X-Forwarded-Proto" in request.headers):
            return
        self._told = True
        log.warning(
            "OPERATOR: requests arrive with X-Forwarded-For/-Proto but WEBCALL_TRUSTED_PROXY_HOPS is 0, so "
            "the app ignores them: behind a reverse proxy, set it to the number of proxies (usually 1)"
        )


def allowed_api_origins() -> tuple[str, ...]:
    svc = services()
    return svc.settings.allowed_origins + svc.demos.all_origins()


def demo_origins(demo: DemoProfile) -> tuple[str, ...]:
    """Where this demo may be embedded and called from: the global list plus the demo's own."""
    return tuple(dict.fromkeys(services().settings.allowed_origins + demo.allowed_origins))


def origin_allowed(allowed: tuple[str, ...]) -> bool:
    """Same-origin requests (and those without an Origin) always; others only from `allowed`."""
    origin = _cross_origin()
    return origin is None or origin in allowed


def own_origins() -> tuple[str, ...]:
    """The origins of our own pages. In production, the configured public address only: the Host
    header (and the scheme Flask sees behind a TLS proxy) is not ours to trust, and a DNS-rebound
    name would otherwise pass as same-origin. In development, the address asked for when it is a
    loopback name (`make run` answers on 127.0.0.1 and localhost), plus the public URL if set."""
    settings = services().settings
    public = (_origin_of(settings.public_url),) if settings.public_url else ()
    if settings.environment == "production" and public:
        return public
    if settings.environment == "production" or urlsplit(request.host_url).hostname in LOOPBACK_HOSTS:
        return (*public, request.host_url.rstrip("/"))
    return public


def _origin_of(url: str) -> str:
    """The origin of an address as a browser writes it (WEBCALL_PUBLIC_URL "https://Demo.Example.com:443"
    is https://demo.example.com: as typed, it matched no Origin header and refused our own pages).
    setting_checks.check_public_url refuses a public URL that has none, so there always is one."""
    parts = urlsplit(url)
    origin = web_origin(f"{parts.scheme}://{parts.netloc}")
    assert origin is not None, "WEBCALL_PUBLIC_URL passed setting_checks.check_public_url"
    return origin


def _cross_origin() -> str | None:
    origin = request.headers.get("Origin")
    if origin is None or origin in own_origins():
        return None
    return origin


def _preflight() -> Response | tuple[Response, int] | None:
    if request.method != "OPTIONS" or not request.path.startswith("/api/"):
        return None
    origin = _cross_origin()
    if origin is None:
        return Response(status=204)
    if origin not in allowed_api_origins():
        error = ApiError(ErrorCode.ORIGIN_NOT_ALLOWED)
        return jsonify(error.body()), error.status
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, X-Call-Handle"
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def content_security_policy(frame_ancestors: str = "'none'", *, calls: bool = True) -> str:
    """The pages' one Content-Security-Policy. `calls=False`: the studio's pages (/demos…), which show
    share-link tokens, prospects' names and transcripts and connect to nothing but the app (no call, no
    recording played: templates/studio_base.html, static/js/pages/), so none of the call pages'
    `wss:`/`https:` connections, media or workers. Images stay: a demo's logo may be an https URL."""
    connect = ("'self'", "wss:", "https:", *services().settings.extra_connect_src) if calls else ("'self'",)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            *(("media-src 'self' blob: mediastream:",) if calls else ()),
            f"connect-src {' '.join(connect)}",
            *(("worker-src 'self' blob:",) if calls else ()),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def _headers(response: Response) -> Response:
    headers = response.headers
    if request.path.startswith("/api/"):
        headers.add("Vary", "Origin")
        origin = _cross_origin()
        if origin is not None and origin in allowed_api_origins():
            headers["Access-Control-Allow-Origin"] = origin
            # X-Request-ID: a widget on another site can show the reference of a failed request.
            headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-ID"
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        # An embed page sets its own frame-ancestors (the demo's origins) before this runs.
        policy = content_security_policy(calls=not on_studio_page())
        headers.setdefault("Content-Security-Policy", g.get("csp") or policy)
    return response
