"""Logos uploaded in the demo editor: checked, kept in the database, served by the app.

The type of an upload is decided from its bytes (PNG, JPEG, WebP signatures; SVG by parsing it, see
webcall/svg_check.py), never from its name or its declared Content-Type; a name or a declared type
that says otherwise is a lying upload and is refused, as is anything over MAX_BYTES. A logo is kept
under its SHA-256 and served at `/logos/<sha256>.<ext>`: the URL changes with the content, so it is
cached for a year, and the same file uploaded twice is stored once. Every logo is served with
nosniff and a CSP that lets it run nothing (an SVG opened directly is a document).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from flask import Blueprint, Response, abort, request
from sqlalchemy import Column, DateTime, Engine, LargeBinary, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from .db import metadata
from .db_wait import UNAVAILABLE
from .image_size import MAX_SIDE, pixel_size
from .pages import FOREVER
from .services import services
from .studio_unavailable import answered_503
from .svg_check import SvgRefused, check_svg

log = logging.getLogger("webcall.logos")

MAX_BYTES = 512 * 1024
# type -> (file extension, the names' extensions that may carry it)
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "image/png": ("png", ("png",)),
    "image/jpeg": ("jpg", ("jpg", "jpeg")),
    "image/webp": ("webp", ("webp",)),
    "image/svg+xml": ("svg", ("svg",)),
}
NAMES = {"image/png": "a PNG", "image/jpeg": "a JPEG", "image/webp": "a WebP", "image/svg+xml": "an SVG"}
# What a browser may declare for a file it does not know: says nothing, so it is no lie.
UNDECLARED = ("", "application/octet-stream")
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

logos = Table(
    "webcall_logos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254), nullable=False),
)


class LogoRefused(ValueError):
    """Why an upload is not a logo we keep: a code (`logo_empty`, `logo_too_large`, `logo_not_image`,
    `logo_name_mismatch`, `logo_type_mismatch`, `logo_unreadable`, `logo_too_many_pixels`,
    `logo_unsafe_svg`) and the message shown next to the logo field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sniff(data: bytes) -> str | None:
    """The image type the bytes are, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")):
        return "image/svg+xml"  # a candidate: check_svg decides
    return None


def check_upload(data: bytes, filename: str, declared: str) -> str:
    """The upload's content type, or LogoRefused saying why not."""
    if not data:
        raise LogoRefused("logo_empty", "The file is empty.")
    if len(data) > MAX_BYTES:
        # Callers read at most one byte past the limit, so the real size is not known here.
        raise LogoRefused(
            "logo_too_large", f"The file is too large: a logo may be at most {MAX_BYTES // 1024} KB."
        )
    kind = sniff(data)
    if kind is None:
        raise LogoRefused("logo_not_image", "The file is not a PNG, JPEG, WebP or SVG image.")
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    if suffix and suffix not in TYPES[kind][1]:
        raise LogoRefused(
            "logo_name_mismatch",
            f"The file is {NAMES[kind]} image but is named .{suffix[:10]}; rename it and try again.",
        )
    declared = (declared or "").split(";")[0].strip().lower()
    if (
        declared not in UNDECLARED
        and declared != kind
        and not (kind == "image/jpeg" and declared == "image/jpg")
    ):
        raise LogoRefused(
            "logo_type_mismatch", f"The file is {NAMES[kind]} image but was sent as {declared[:40]}."
        )
    size = pixel_size(data, kind)
    if size is None and kind != "image/svg+xml":
        # Nothing would bound what a browser decodes: an unread size is no proof of a small one.
        raise LogoRefused(
            "logo_unreadable",
            "The image's size cannot be read from its header: the file may be damaged or cut short."
            " Export it again (or as a PNG) and try again.",
        )
    if size is not None and max(size) > MAX_SIDE:
        raise LogoRefused(
            "logo_too_many_pixels",
            f"The image is {size[0]:,} by {size[1]:,} pixels: a logo may be at most {MAX_SIDE:,} pixels on"
            " a side (it is shown 40 pixels high). Scale it down and try again.",
        )
    if kind == "image/svg+xml":
        try:
            check_svg(data)
        except SvgRefused as error:
            raise LogoRefused("logo_unsafe_svg", f"This SVG cannot be a logo: {error}.") from None
    return kind


@dataclass(frozen=True)
class Logo:
    sha256: str
    content_type: str
    data: bytes

    @property
    def path(self) -> str:
        return f"/logos/{self.sha256}.{TYPES[self.content_type][0]}"


class LogoStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, data: bytes, filename: str, declared: str, by: str) -> Logo:
        """Check and keep an upload; raises LogoRefused."""
        kind = check_upload(data, filename, declared)
        logo = Logo(hashlib.sha256(data).hexdigest(), kind, data)
        row = {
            "sha256": logo.sha256,
            "content_type": kind,
            "data": data,
            "created_at": datetime.now(UTC),
            "created_by": by[:254],
        }
        try:
            with self.engine.begin() as db:
                if db.execute(select(logos.c.sha256).where(logos.c.sha256 == logo.sha256)).first() is None:
                    db.execute(insert(logos), [row])
        except IntegrityError:
            pass  # the same file, stored by another request at the same moment
        return logo

    def get(self, sha256: str) -> Logo | None:
        with self.engine.connect() as db:
            row = db.execute(
                select(logos.c.content_type, logos.c.data).where(logos.c.sha256 == sha256)
            ).first()
        return None if row is None else Logo(sha256, row.content_type, bytes(row.data))


def store() -> LogoStore:
    return LogoStore(services().calllog.engine)


bp = Blueprint("logos", __name__)


@bp.get("/logos/<name>")
def serve(name: str) -> Response:
    sha256, _, ext = name.partition(".")
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        abort(404)
    try:
        logo = store().get(sha256)
    except UNAVAILABLE as error:
        # The database down: one line, not a traceback per logo; the page around it draws without it.
        answered_503(log, "logo not served", error)
        return Response(status=503, headers={"Cache-Control": "no-store"})
    if logo is None or TYPES[logo.content_type][0] != ext:
        abort(404)
    etag = f'"{sha256}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
    else:
        response = Response(logo.data, content_type=logo.content_type)
    response.headers["ETag"] = etag
    # Named by its bytes, as the build's shared chunks are: kept for good.
    response.headers["Cache-Control"] = f"public, max-age={FOREVER}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = LOGO_CSP
    return response
