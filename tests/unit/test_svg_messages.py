"""What a rep reads when an SVG logo is refused (webcall/svg_check.py through webcall/logos.py): why in
plain words, what to do (export a plain SVG from Illustrator or Inkscape, or upload a PNG), and the
technical detail short at the end. The files are shaped like those programs' own exports; the rules
themselves are tests/unit/test_logos.py's."""

from __future__ import annotations

import pytest

from webcall import logos
from webcall.svg_check import SvgRefused, check_svg

from .logo_files import svg_with

# Illustrator's "Save As" SVG: a style attribute on the root, ids and xml:space.
ILLUSTRATOR = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<!-- Generator: Adobe Illustrator 27.0.0, SVG Export Plug-In -->\n"
    b'<svg version="1.1" id="Layer_1" xmlns="http://www.w3.org/2000/svg" x="0px" y="0px"'
    b' viewBox="0 0 120 40" style="enable-background:new 0 0 120 40;" xml:space="preserve">'
    b'<path d="M0 0h120v40H0z" fill="#0f766e"/></svg>'
)
# Illustrator's "Export As" SVG with "Styling: Internal CSS": <style> and class attributes.
ILLUSTRATOR_CSS = svg_with(
    b'<defs><style>.cls-1{fill:#0f766e;}</style></defs><path class="cls-1" d="M0 0h9v9H0z"/>'
)
# Inkscape's own SVG: its namedview and its attributes in their namespaces.
INKSCAPE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"'
    b' xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" viewBox="0 0 120 40">'
    b'<sodipodi:namedview id="namedview1" pagecolor="#ffffff" inkscape:zoom="1"/>'
    b'<g inkscape:label="Layer 1" inkscape:groupmode="layer"><rect width="120" height="40"/></g></svg>'
)


def refused(data: bytes) -> str:
    with pytest.raises(logos.LogoRefused) as error:
        logos.check_upload(data, "logo.svg", "image/svg+xml")
    assert error.value.code == "logo_unsafe_svg"
    return str(error.value)


def what_to_do(message: str) -> None:
    assert "Illustrator: File > Export > Export As > SVG, Styling: Presentation Attributes" in message
    assert "Inkscape: File > Save As > Optimized SVG" in message
    assert "or upload a PNG instead" in message


@pytest.mark.parametrize(
    ("data", "why", "detail"),
    [
        (ILLUSTRATOR, "it is styled with CSS", "<svg> has the attribute 'style'"),
        (ILLUSTRATOR_CSS, "it is styled with CSS", "the SVG contains <style>"),
        (svg_with(b'<rect class="a" width="1" height="1"/>'), "it is styled with CSS", "'class'"),
        (INKSCAPE, "it holds its drawing program's own data", "the SVG contains <namedview>"),
        (
            svg_with(
                b'<rect width="1" height="1" xmlns:i="http://ns.adobe.com/AdobeIllustrator/10.0/" i:k="1"/>'
            ),
            "it holds its drawing program's own data",
            "<rect> has the attribute 'k'",
        ),
        (svg_with(b"<script>alert(1)</script>"), "it holds more than a drawing", "the SVG contains <script>"),
        (svg_with(b'<rect data-name="Layer 1"/>'), "it uses something a logo may not", "'data-name'"),
    ],
)
def test_a_refused_svg_says_why_then_what_to_do_then_the_detail(data, why, detail):
    # An Illustrator export read "<svg> has the attribute 'style', which a logo may not", an Inkscape one
    # "contains <namedview>": true, and nothing a rep could act on.
    message = refused(data)
    assert message.startswith(f"This SVG cannot be a logo: {why}"), message
    what_to_do(message)
    assert message.index("upload a PNG") < message.index("Detail: ")
    tail = message[message.index("Detail: ") + len("Detail: ") :]
    assert detail in tail and len(tail) < 80, tail


def test_an_unreadable_file_says_so_with_the_same_way_out():
    message = refused(b"<svg xmlns='http://www.w3.org/2000/svg'><rect")
    assert message.startswith("This SVG cannot be a logo: the file is not a readable SVG image.")
    what_to_do(message)
    assert "Detail: the SVG is not well-formed XML" in message


def test_the_rules_are_unchanged_a_plain_export_passes():
    # What the advice produces: presentation attributes, no styles, no editor data.
    check_svg(svg_with(b'<path d="M0 0h9v9H0z" fill="#0f766e" stroke="#000" stroke-width="2"/>'))
    with pytest.raises(SvgRefused):
        check_svg(svg_with(b'<rect style="fill:#0f766e" width="1" height="1"/>'))


def nested_uses(levels: int, copies: int = 10) -> bytes:
    """`levels` of <use>, each drawing the level before it `copies` times: copies**levels shapes."""
    parts = [b'<defs><g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, levels):
        uses = b"".join(b'<use href="#l%d"/>' % (level - 1) for _ in range(copies))
        parts.append(b'<g id="l%d">%s</g>' % (level, uses))
    parts.append(b"</defs>" + b"".join(b'<use href="#l%d"/>' % (levels - 1) for _ in range(copies)))
    return svg_with(b"".join(parts))


def test_copies_of_copies_are_refused_one_level_of_copies_passes():
    # A 2.6 KB logo of 10 levels of 10 <use> each is 10^10 shapes to draw: the demo page (and every
    # rep's editor with it) never finished loading (a studio audit). A <use> of a plain shape passes.
    check_svg(nested_uses(1))
    message = refused(nested_uses(10))
    assert message.startswith("This SVG cannot be a logo: it uses something a logo may not"), message
    assert "Detail: a <use> draws" in message
    with pytest.raises(SvgRefused):
        check_svg(nested_uses(2))
