"""A logo's pixels are bounded, read from its header (webcall/image_size.py): a 389 KB PNG declaring
20000 x 20000 pixels was accepted, 1.6 GB for the browser to decode on the demo page and in every rep's
editor (a studio audit). Small images of each kind pass; one past MAX_SIDE on a side is refused."""

from __future__ import annotations

import struct

import pytest

from webcall import logos
from webcall.image_size import MAX_SIDE, pixel_size

from .logo_files import JPEG, WEBP, png

pytestmark = pytest.mark.unit


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR declaring `width` x `height` (what is read; its data need not follow)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00" * 4 + b"\x00" * 64


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x01\x22\x00" * 3
    return b"\xff\xd8" + app0 + sof0 + b"\x00" * 32 + b"\xff\xd9"


def webp_vp8x(width: int, height: int) -> bytes:
    payload = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(payload)) + b"WEBPVP8X" + struct.pack("<I", 10) + payload


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 8
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(body)) + b"WEBPVP8L" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [
        (png(3, 2), "image/png", (3, 2)),
        (png_header(20000, 20000), "image/png", (20000, 20000)),
        (jpeg(640, 480), "image/jpeg", (640, 480)),
        (webp_vp8x(800, 600), "image/webp", (800, 600)),
        (webp_vp8l(120, 40), "image/webp", (120, 40)),
        (JPEG, "image/jpeg", (16, 8)),
        (WEBP, "image/webp", (1, 1)),
    ],
)
def test_the_header_says_the_size(data, kind, size):
    assert pixel_size(data, kind) == size


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (png_header(20000, 20000), "logo.png"),
        (png_header(MAX_SIDE + 1, 10), "logo.png"),
        (jpeg(10, MAX_SIDE + 1), "logo.jpg"),
        (webp_vp8x(16384, 16384), "logo.webp"),
    ],
)
def test_an_image_past_the_side_limit_is_refused_saying_its_size(data, name):
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check_upload(data, name, "")
    assert refused.value.code == "logo_too_many_pixels"
    assert f"at most {MAX_SIDE:,} pixels" in str(refused.value)


def test_an_image_at_the_limit_passes():
    assert logos.check_upload(png_header(MAX_SIDE, 40), "logo.png", "image/png") == "image/png"
    assert logos.check_upload(png(120, 40), "logo.png", "image/png") == "image/png"


def sof0(width: int, height: int) -> bytes:
    return b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x01\x22\x00" * 3


APP0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


# What a decoder (libjpeg's next_marker) steps over between segments, where the check read a length or
# stopped: RST0-7 and TEM have no length, bytes that are not 0xFF are skipped, 0xFF 0x00 is no marker.
# An audit uploaded `FFD8 FFD0` + a frame header of 16000 x 16000: accepted, and Chromium read the size.
BETWEEN = {
    "RST0": b"\xff\xd0",
    "RST7": b"\xff\xd7",
    "TEM": b"\xff\x01",
    "fill bytes": b"\xff\xff\xff",
    "a stray byte": b"\x00",
    "stray bytes and a stuffed zero": b"\x12\x34\xff\x00\x56",
}


@pytest.mark.parametrize("between", BETWEEN.values(), ids=BETWEEN.keys())
def test_a_jpeg_size_is_read_past_what_decoders_skip(between):
    assert pixel_size(b"\xff\xd8" + between + sof0(16000, 6000) + b"\xff\xd9", "image/jpeg") == (16000, 6000)
    after_app0 = b"\xff\xd8" + APP0 + between + sof0(640, 480) + b"\xff\xd9"
    assert pixel_size(after_app0, "image/jpeg") == (640, 480)


@pytest.mark.parametrize("between", BETWEEN.values(), ids=BETWEEN.keys())
def test_a_jpeg_hiding_its_size_behind_what_decoders_skip_is_refused(between):
    hidden = b"\xff\xd8" + APP0 + between + sof0(16000, 16000) + b"\xff\xd9"
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check_upload(hidden, "l.jpg", "image/jpeg")
    assert refused.value.code == "logo_too_many_pixels"


def test_the_audits_jpeg_is_refused():
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check_upload(b"\xff\xd8\xff\xd0" + sof0(6000, 6000) + b"\xff\xd9", "l.jpg", "image/jpeg")
    assert refused.value.code == "logo_too_many_pixels" and "6,000 by 6,000 pixels" in str(refused.value)


def test_a_jpeg_that_ends_before_its_frame_has_no_size():
    # EOI has no length either: a decoder stops there with no image, and draws nothing.
    assert pixel_size(b"\xff\xd8\xff\xd9" + sof0(16000, 16000), "image/jpeg") is None


# A raster logo whose size its header does not say was accepted unchecked (an audit): nothing then bounded
# what the browser decodes. A header that cannot be read is refused, saying so next to the logo field.
NO_FRAME_JPEG = b"\xff\xd8" + APP0 + b"\x00" * 64 + b"\xff\xd9"
UNREADABLE = {
    "a JPEG without a frame header": (NO_FRAME_JPEG, "logo.jpg"),
    "a JPEG cut inside its frame header": (b"\xff\xd8" + APP0 + sof0(640, 480)[:6], "logo.jpg"),
    "a PNG without IHDR": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "logo.png"),
    "a PNG cut inside IHDR": (png_header(640, 480)[:20], "logo.png"),
    "a WebP of an unknown chunk": (b"RIFF" + struct.pack("<I", 20) + b"WEBPVP8Z" + b"\x00" * 16, "logo.webp"),
}


@pytest.mark.parametrize(("data", "name"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_raster_logo_whose_size_cannot_be_read_is_refused(data, name):
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check_upload(data, name, "")
    assert refused.value.code == "logo_unreadable"
    assert "size cannot be read" in str(refused.value)
