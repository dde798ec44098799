"""Logo uploads in the demo editor: the type comes from the bytes, lying names and types, unsafe
SVGs and oversized files are refused next to the logo field with everything else kept, and an
accepted logo is served by the app with its type and protective headers."""

from __future__ import annotations

import hashlib

import pytest

from webcall import logos
from webcall.demo_schema import BrandModel

from .demo_editor_helpers import VALID, field_error, input_value, post_form
from .logo_files import JPEG, SVG, WEBP, png, svg_with


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def stored_logo(client, slug: str) -> str | None:
    table = client.application.extensions["webcall"].demos.tables().get(slug) or {}
    return (table.get("brand") or {}).get("logo")


@pytest.mark.parametrize(
    ("content", "name", "declared", "kind", "ext"),
    [
        (png(), "logo.png", "image/png", "image/png", "png"),
        (JPEG, "logo.jpeg", "image/jpeg", "image/jpeg", "jpg"),
        (WEBP, "logo.webp", "image/webp", "image/webp", "webp"),
        (SVG, "logo.svg", "image/svg+xml", "image/svg+xml", "svg"),
        (png(), "logo.png", "application/octet-stream", "image/png", "png"),  # an undeclared type is no lie
    ],
)
def test_accepted_logo_is_stored_and_served_with_its_type_and_headers(
    rep, content, name, declared, kind, ext
):
    r = post_form(rep, fields={**VALID, "slug": "acme"}, logo=(content, name, declared))
    assert r.status_code == 302, field_error(r.get_data(as_text=True), "brand.logo")
    path = stored_logo(rep, "acme")
    assert path == f"/logos/{hashlib.sha256(content).hexdigest()}.{ext}"
    served = rep.get(path)
    assert served.status_code == 200
    assert served.data == content
    assert served.headers["Content-Type"] == kind
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        served.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    again = rep.get(path, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    # The public demo page shows it.
    assert f'src="{path}"' in rep.get("/demo/acme").get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "name", "declared", "message"),
    [
        (png(), "logo.svg", "image/svg+xml", "is a PNG image but is named .svg"),
        (png(), "logo.png", "image/svg+xml", "is a PNG image but was sent as image/svg+xml"),
        (
            b"<!doctype html><html><script>alert(1)</script></html>",
            "logo.png",
            "image/png",
            "not a PNG, JPEG",
        ),
        (b"GIF89a\x01\x00\x01\x00", "logo.gif", "image/gif", "not a PNG, JPEG"),
        (svg_with(b"<script>alert(1)</script>"), "logo.svg", "image/svg+xml", "<script>"),
        (svg_with(root_attrs=b'onload="alert(1)"'), "logo.svg", "image/svg+xml", "'onload'"),
        (svg_with(b'<rect onclick="alert(1)"/>'), "logo.svg", "image/svg+xml", "'onclick'"),
        (
            svg_with(b"<foreignObject><p>hi</p></foreignObject>"),
            "logo.svg",
            "image/svg+xml",
            "<foreignObject>",
        ),
        (svg_with(b'<use xlink:href="https://evil.example/x.svg#a"/>'), "logo.svg", "image/svg+xml", "link"),
        (svg_with(b'<image href="https://evil.example/x.png"/>'), "logo.svg", "image/svg+xml", "<image>"),
        (svg_with(b'<a href="javascript:alert(1)"><rect/></a>'), "logo.svg", "image/svg+xml", "<a>"),
        (svg_with(b'<rect fill="url(https://evil.example/p)"/>'), "logo.svg", "image/svg+xml", "outside"),
        (
            svg_with(b"<style>@import url(https://evil.example/x.css);</style>"),
            "logo.svg",
            "image/svg+xml",
            "<style>",
        ),
        (
            b'<?xml-stylesheet href="https://evil.example/x.css"?>' + svg_with(),
            "logo.svg",
            "image/svg+xml",
            "processing instruction",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY x "xx">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "logo.svg",
            "image/svg+xml",
            "DTD",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect", "logo.svg", "image/svg+xml", "not well-formed"),
        # The studio reads one byte past the limit, so the message cannot name the file's size.
        (
            png() + b"\x00" * (600 * 1024),
            "big.png",
            "image/png",
            "The file is too large: a logo may be at most 512 KB.",
        ),
        (b"", "empty.png", "image/png", "The file is empty"),
    ],
)
def test_refused_upload_says_why_next_to_the_logo_and_keeps_the_form(rep, content, name, declared, message):
    fields = {**VALID, "slug": "acme", "description": "Keep this text", "suggestions": "One\nTwo"}
    r = post_form(rep, fields=fields, logo=(content, name, declared))
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert message in (field_error(page, "brand.logo") or ""), field_error(page, "brand.logo")
    assert input_value(page, "description") == "Keep this text"
    assert input_value(page, "suggestions") == "One\nTwo"
    assert input_value(page, "slug") == "acme"
    assert "acme" not in rep.application.extensions["webcall"].demos.tables()


def test_a_body_over_the_form_limit_is_a_clear_page_not_a_crash(rep):
    r = post_form(
        rep, fields={**VALID, "slug": "acme"}, logo=(png() + b"\x00" * (1024 * 1024), "big.png", "image/png")
    )
    assert r.status_code == 413
    assert "a logo may be at most 512 KB" in r.get_data(as_text=True)


def test_a_kept_logo_survives_a_save_with_a_mistake_and_can_be_removed(rep):
    r = post_form(rep, fields={**VALID, "slug": "acme", "title": ""}, logo=(png(), "logo.png", "image/png"))
    assert r.status_code == 400
    kept = input_value(r.get_data(as_text=True), "brand.logo")
    assert kept and kept.startswith("/logos/")
    r = post_form(rep, fields={**VALID, "slug": "acme", "brand.logo": kept})
    assert r.status_code == 302 and stored_logo(rep, "acme") == kept
    r = post_form(rep, "/demos/acme/edit", fields={**VALID, "brand.logo": kept, "logo_remove": "1"})
    assert r.status_code == 302 and stored_logo(rep, "acme") is None


def test_unknown_or_malformed_logo_urls_are_404(rep):
    assert rep.get("/logos/" + "0" * 64 + ".png").status_code == 404
    assert rep.get("/logos/../../etc/passwd").status_code == 404
    post_form(rep, fields={**VALID, "slug": "acme"}, logo=(png(), "logo.png", "image/png"))
    path = stored_logo(rep, "acme")
    assert rep.get(path.replace(".png", ".svg")).status_code == 404  # the type is the stored one


def test_the_demo_rules_accept_served_logo_paths_only():
    good = "/logos/" + "a" * 64 + ".svg"
    assert BrandModel(company="A", logo=good).logo == good
    for bad in ("/logos/" + "a" * 63 + ".svg", "/logos/" + "a" * 64 + ".html", "/logos/x/../../a.png"):
        with pytest.raises(ValueError):
            BrandModel(company="A", logo=bad)


@pytest.mark.parametrize(
    ("content", "name", "declared", "code"),
    [
        (b"", "a.png", "image/png", "logo_empty"),
        (png() + b"\x00" * logos.MAX_BYTES, "a.png", "image/png", "logo_too_large"),
        (b"<html></html>", "a.png", "image/png", "logo_not_image"),
        (png(), "a.svg", "", "logo_name_mismatch"),
        (png(), "a.png", "text/html", "logo_type_mismatch"),
        (svg_with(b"<script/>"), "a.svg", "image/svg+xml", "logo_unsafe_svg"),
    ],
)
def test_each_refusal_has_a_code(content, name, declared, code):
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check_upload(content, name, declared)
    assert refused.value.code == code and str(refused.value)


def test_the_studio_shows_why_a_logo_of_unreadable_size_is_refused(rep):
    # A JPEG with no frame header: its pixel size cannot be read, so nothing bounds what browsers decode.
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    no_frame = b"\xff\xd8" + app0 + b"\x00" * 64 + b"\xff\xd9"
    r = post_form(rep, fields={**VALID, "slug": "acme"}, logo=(no_frame, "logo.jpg", "image/jpeg"))
    assert r.status_code == 400
    said = field_error(r.get_data(as_text=True), "brand.logo") or ""
    assert "size cannot be read" in said and "Export it again" in said, said
    assert "acme" not in rep.application.extensions["webcall"].demos.tables()
