"""Whether an uploaded SVG logo is only a drawing.

An SVG is a document that can run script (`<script>`, `onload=`), embed HTML (`<foreignObject>`) and
fetch other resources (`href`, `url(...)`, `@import`). Served from our origin, any of that would run
or load with our origin's rights, so an SVG is accepted only when every element and attribute is on
an allowlist of drawing ones; anything else refuses the file (it is never rewritten: what is stored
is exactly what was checked). Parsing is defusedxml's, which refuses DTDs and entities (billion
laughs, external entities) outright.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset(
    """svg g path rect circle ellipse line polyline polygon text tspan title desc defs symbol use
    linearGradient radialGradient stop clipPath mask""".split()
)
ATTRIBUTES = frozenset(
    """id viewBox width height x y x1 y1 x2 y2 cx cy r rx ry fx fy d points transform version
    preserveAspectRatio fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin
    stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity offset stop-color
    stop-opacity gradientUnits gradientTransform spreadMethod clip-path clip-rule clipPathUnits mask
    maskUnits maskContentUnits font-family font-size font-weight font-style text-anchor
    dominant-baseline letter-spacing dx dy role aria-label aria-hidden focusable""".split()
)
# Attributes whose value may only point inside the same document.
LOCAL_REFERENCE = re.compile(r"^#[A-Za-z_][\w.-]*$")
# Processing instructions other than the XML declaration (e.g. <?xml-stylesheet href=...?>) load
# things; the parser drops them silently, so they are looked for in the bytes.
PROCESSING_INSTRUCTION = re.compile(rb"<\?(?!xml[\s?])", re.IGNORECASE)
URL_FUNCTION = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)


# What a rep can do about any refused SVG. Most refusals are a design program's export, not an attack
# (Illustrator writes CSS styles, Inkscape its own <sodipodi:namedview> and style="…"): both can save a
# plain drawing, and a PNG always works. Illustrator's "Export As" SVG writes no styles with "Styling:
# Presentation Attributes"; Inkscape's "Plain SVG" keeps its style="…" attributes, its "Optimized SVG"
# (Scour) turns them into attributes and leaves out its own data, and drops <metadata> when asked to.
ADVICE = (
    "Save it as a plain SVG (Illustrator: File > Export > Export As > SVG, Styling: Presentation"
    " Attributes; Inkscape: File > Save As > Optimized SVG, Remove metadata ticked) or upload a PNG instead"
)
# Why, in words, before the detail; by what the detail is about.
STYLED = "it is styled with CSS (a style or class attribute, or <style>)"
EDITOR_DATA = "it holds its drawing program's own data"
NOT_DRAWING = "it holds more than a drawing (a script, a link, or an embedded page or image)"
FEATURE = "it uses something a logo may not (only shapes, paths, text, gradients, clip paths and masks)"
# What runs, loads or links: said as NOT_DRAWING; any other element or attribute off the lists is FEATURE.
ACTIVE_ELEMENTS = frozenset(
    "script foreignObject image a iframe embed object audio video animate set animateMotion feImage".split()
)
UNREADABLE = "the file is not a readable SVG image"
# Elements and attributes that drawing programs write for themselves (Inkscape's <sodipodi:namedview>,
# <metadata>, Illustrator's i:/x: data): their namespaces, and <metadata> itself.
EDITOR_NAMESPACES = (
    "inkscape",
    "sodipodi",
    "adobe",
    "purl.org/dc",
    "creativecommons",
    "w3.org/1999/02/22-rdf",
)


class SvgRefused(ValueError):
    """Why the SVG is refused, in words a rep can act on: why, what to do, then the technical detail
    (what the check found) short at the end."""

    def __init__(self, detail: str, why: str = NOT_DRAWING) -> None:
        super().__init__(f"{why}. {ADVICE}. Detail: {detail}")
        self.detail = detail


def _why(tag: str) -> str:
    """Whether an element or attribute not allowed is a styling, an editor's own data or anything else."""
    namespace = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    name = tag.rpartition("}")[2]
    if name in ("style", "class"):
        return STYLED
    if name == "metadata" or any(part in namespace for part in EDITOR_NAMESPACES):
        return EDITOR_DATA
    if name in ACTIVE_ELEMENTS or name.lower().startswith("on"):
        return NOT_DRAWING
    return FEATURE


def _local_name(tag: str, allowed_ns: tuple[str, ...]) -> str | None:
    """The name without its namespace, or None when the namespace is not one we allow."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns in allowed_ns else None
    return tag


def _check_value(element: str, name: str, value: str) -> None:
    for _quote, target in URL_FUNCTION.findall(value):
        if not LOCAL_REFERENCE.match(target.strip()):
            raise SvgRefused(f"<{element}> {name} points outside the file ({target[:60]!r})")
    lowered = value.lower()
    if "javascript:" in lowered or "@import" in lowered or "expression(" in lowered:
        raise SvgRefused(f"<{element}> {name} has a value that is not a drawing")


def _check_element(node: Element) -> None:
    element = _local_name(node.tag, (SVG_NS,)) if isinstance(node.tag, str) else None
    if element is None or element not in ELEMENTS:
        shown = node.tag.rpartition("}")[2] if isinstance(node.tag, str) else "?"
        why = _why(node.tag) if isinstance(node.tag, str) else NOT_DRAWING
        raise SvgRefused(f"the SVG contains <{shown}>", why)
    for raw, value in node.attrib.items():
        name = _local_name(raw, (XLINK_NS, XML_NS))
        if raw in ("href", f"{{{XLINK_NS}}}href"):
            if element != "use" or not LOCAL_REFERENCE.match(value.strip()):
                raise SvgRefused(f"<{element}> has a link ({value[:60]!r})")
            continue
        if raw == f"{{{XML_NS}}}space":
            continue
        if name is None or name not in ATTRIBUTES:
            raise SvgRefused(f"<{element}> has the attribute {raw.rpartition('}')[2]!r}", _why(raw))
        _check_value(element, name, value)


def check_svg(data: bytes) -> None:
    """Raise SvgRefused unless `data` is an SVG document of drawing elements only."""
    if PROCESSING_INSTRUCTION.search(data):
        raise SvgRefused("the SVG contains a processing instruction (<?...?>)")
    try:
        root = fromstring(data)
    except DefusedXmlException:
        raise SvgRefused("the SVG declares a DTD or entities") from None
    except (ParseError, ValueError) as error:
        raise SvgRefused(f"the SVG is not well-formed XML ({error})", UNREADABLE) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgRefused("its root element is not <svg>", UNREADABLE)
    for node in root.iter():
        _check_element(node)
    _check_uses(root)


def _check_uses(root: Element) -> None:
    """A <use> may copy only what holds no <use> itself: copies of copies multiply (10 levels of 10
    are 10^10 shapes, and the page drawing the logo never finishes), one level is a plain drawing's."""
    use = f"{{{SVG_NS}}}use"
    by_id = {node.get("id"): node for node in root.iter() if node.get("id")}
    for node in root.iter(use):
        target = by_id.get((node.get("href") or node.get(f"{{{XLINK_NS}}}href") or "").strip()[1:])
        if target is not None and any(inner.tag == use for inner in target.iter()):
            drawn = target.get("id", "")[:40]
            raise SvgRefused(f"a <use> draws #{drawn}, which holds a <use> itself", FEATURE)
