"""How many pixels a PNG, JPEG or WebP says it has, read from its header (nothing is decoded).

A logo is drawn 40 pixels high, but the browser decodes the whole image first: a 389 KB PNG declaring
20000 x 20000 pixels is 1.6 GB to decode, on the demo page and in every rep's editor. The upload
check (webcall/logos.py) refuses an image larger than MAX_SIDE on a side, and one whose size cannot be
read here (a decoder may read more than this does: an audit hid a 16000 x 16000 JPEG frame that way).
"""

from __future__ import annotations

import struct

MAX_SIDE = 4096
# JPEG's start-of-frame markers (baseline, progressive, …): not DHT (C4), JPG (C8) or DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length: TEM, RST0-7, SOI; and 0x00 after 0xFF, a stuffed byte that is no marker.
_NO_LENGTH = frozenset({0x00, 0x01, *range(0xD0, 0xD9)})
# EOI, and SOS (scan data) before any frame header: a decoder gives up ("no image", "SOS before SOF").
_END = frozenset({0xD9, 0xDA})


def pixel_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) from the header of an image of `kind` (a content type), or None when the header
    cannot be read (the upload check refuses the file then)."""
    try:
        if kind == "image/png":
            return _png(data)
        if kind == "image/jpeg":
            return _jpeg(data)
        if kind == "image/webp":
            return _webp(data)
    except (struct.error, IndexError):
        return None
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg(data: bytes) -> tuple[int, int] | None:
    """The frame header's size, walking the markers as decoders do (libjpeg's next_marker): bytes that are
    not 0xFF, fill bytes and a stuffed 0xFF 0x00 are skipped, and SOI, RST0-7 and TEM have no length.
    Reading a length after RST0 (or stopping at a stray byte) let `FFD8 FFD0` hide a 16000 x 16000 frame
    header that Chromium read (an audit)."""
    at = 2  # after SOI
    while (at := data.find(b"\xff", at)) != -1:
        while data[at + 1] == 0xFF:  # fill bytes before a marker
            at += 1
        marker = data[at + 1]
        at += 2
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 3 : at + 7])
            return width, height
        if marker in _END:  # a decoder stops here without a frame: it draws nothing
            return None
        if marker not in _NO_LENGTH:
            (length,) = struct.unpack(">H", data[at : at + 2])
            at += length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: the canvas, 24-bit sizes less one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L":  # lossless: 14-bit sizes less one after the 0x2f signature
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # lossy: after the frame tag and its start code
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None
