"""Small image files for the logo tests (unit and e2e), made here rather than checked in."""

from __future__ import annotations

import base64
import os
import struct
import zlib


def png(
    width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (15, 118, 110), *, noise: bool = False
) -> bytes:
    """A real PNG (browsers draw it); with `noise` its pixels are random, so it does not compress and
    its size is about width x height x 3 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + (os.urandom(3 * width) if noise else bytes(rgb) * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# A real 16 x 8 JPEG of one teal (ffmpeg's mjpeg encoder through PyAV, which decodes it back): the upload
# check reads its frame header's size, and refuses a JPEG whose size cannot be read (webcall/logos.py).
JPEG = base64.b64decode(
    "/9j//gAQTGF2YzYyLjI4LjEwMgD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgHBwcGBgcHCAgICAkJCQgICAgJCQoKCgwM"
    "CwsODg4RERT/xABMAAEBAAAAAAAAAAAAAAAAAAAABgEBAQAAAAAAAAAAAAAAAAAABAYQAQAAAAAAAAAAAAAAAAAAAAARAQAAAAAAAAAAAAAA"
    "AAAAAAD/wAARCAAIABADASIAAhEAAxEA/9oADAMBAAIRAxEAPwCVANRj/9k="
)
# A WebP's opening bytes: a lossless header of 1 x 1 (the upload check reads the signature and the size).
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8L" + struct.pack("<I", 10) + b"\x2f" + b"\x00" * 13

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 120 40"'
    b' width="120" height="40"><title>Acme</title>'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#0f766e"/>'
    b'<stop offset="1" stop-color="#134e4a"/>'
    b'</linearGradient><path id="p" d="M0 0h10v10z"/></defs>'
    b'<rect width="120" height="40" rx="6" fill="url(#g)"/><use xlink:href="#p" x="5" y="5"/>'
    b'<text x="60" y="26" font-size="16" text-anchor="middle" fill="#fff">ACME</text></svg>'
)


def svg_with(inner: bytes = b"", root_attrs: bytes = b"") -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        + root_attrs
        + b' viewBox="0 0 10 10"><rect width="10" height="10"/>'
        + inner
        + b"</svg>"
    )
