"""Posting the demo editor's form from the Flask test client (tests/unit/test_demo_editor*.py,
tests/unit/test_logos.py)."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from typing import Any

from .conftest import csrf

VALID = {"title": "Acme Dental", "brand.company": "Acme", "brand.accent": "#0f766e"}


def page_token(client: Any, url: str = "/demos/new") -> str:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return csrf(r.get_data(as_text=True))


def post_form(
    client: Any,
    url: str = "/demos/new",
    fields: dict[str, Any] | None = None,
    *,
    logo: tuple[bytes, str, str] | None = None,
    token: str | None = None,
) -> Any:
    """POST the editor form: `fields` as the form posts them (lists for repeated rows), an optional
    logo upload (bytes, file name, declared type)."""
    data: dict[str, Any] = {"csrf": token if token is not None else page_token(client, "/demos/new")}
    data.update(fields or {})
    if logo is not None:
        content, name, declared = logo
        data["logo_file"] = (io.BytesIO(content), name, declared)
    return client.post(url, data=data, content_type="multipart/form-data")


def field_error(page: str, name: str) -> str | None:
    """The mistake shown next to field `name`, or None."""
    match = re.search(
        rf'<p class="form-error" id="[^"]+" role="alert" data-error-for="{re.escape(name)}">(.*?)</p>', page
    )
    return html.unescape(match.group(1)) if match else None


def field_note(page: str, name: str) -> str | None:
    """The note next to field `name` about a change saved meanwhile, or None."""
    match = re.search(rf'<p class="form-note" id="[^"]+" data-note-for="{re.escape(name)}">(.*?)</p>', page)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, name: str) -> str | None:
    """The value an <input> or <textarea> named `name` shows."""
    match = re.search(rf'<input[^>]* name="{re.escape(name)}"[^>]* value="([^"]*)"', page)
    if match:
        return html.unescape(match.group(1))
    match = re.search(rf'<textarea[^>]* name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


def selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]* name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.DOTALL)
    if not select:
        return None
    option = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return html.unescape(option.group(1)) if option else None


def nested_json(levels: int, kind: str = "object") -> str:
    """A JSON object nested `levels` deep (the outermost object counts), its innermost value 1:
    {"a": {"a": 1}} is 2 levels; kind "array" nests lists inside the outer object instead."""
    if kind == "array":
        return '{"a": ' + "[" * (levels - 1) + "1" + "]" * (levels - 1) + "}"
    return '{"a": ' * levels + "1" + "}" * levels


def preview_problems(page: str) -> list[str]:
    """The mistakes the preview frame lists above the page."""
    listed = re.search(r'<ul class="preview-problems">(.*?)</ul>', page, re.DOTALL)
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", listed.group(1))] if listed else []


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.found.append(dict(attrs))


def input_attrs(page: str, name: str) -> dict[str, str | None]:
    """The attributes of the visible <input> named `name` as a browser reads them (values unescaped)."""
    parser = _Inputs()
    parser.feed(page)
    inputs = [a for a in parser.found if a.get("name") == name and a.get("type") != "hidden"]
    assert len(inputs) == 1, (name, inputs)
    return inputs[0]


class _Form(HTMLParser):
    """The fields of the editor's form (#demo-form) as a browser submits them untouched."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("id") == "demo-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea is not None:
            # A browser sends a textarea's line breaks as CRLF.
            self.fields.append((self._textarea, "".join(self._text).replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None


def form_fields(page: str) -> list[tuple[str, str]]:
    """What the editor page's form posts when nothing is changed (the CSRF token and `base` included)."""
    parser = _Form()
    parser.feed(page)
    return parser.fields


def changed(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """`fields` with the named single fields set (a name with a dot is written with __: brand__company)."""
    wanted = {name.replace("__", "."): value for name, value in values.items()}
    return [(name, wanted.get(name, value)) for name, value in fields]
