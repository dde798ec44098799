"""The demo editor's form: its values to a demo's settings table and back (the words it shows, and
the store's mistakes mapped to its fields: webcall/demo_form_words.py).

The rules are the demo store's (webcall/demo_schema.py, the same as demos.toml): this module only turns
text inputs into the table's types (a number that is not one is passed on as text so that the model
names the mistake) and rewords a few of pydantic's messages for people. The one rule of its own is
the accent's contrast (webcall/contrast.py), which a demos.toml file is not held to.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from .contrast import accent_problem
from .demo_schema import DemoModel
from .demos import ACCENT_PATTERN, DEFAULT_ACCENT

EMPTY_ROWS = 3  # blank rows for variables: enough to add a few without JavaScript
# Overrides are a few settings, not a tree. Far deeper JSON made json.loads raise RecursionError and
# the store's model_dump refuse it (a few hundred levels), both a 500: it is refused before parsing.
MAX_OVERRIDES_DEPTH = 32
# A JSON string ("…", escapes included) or one bracket: brackets inside strings are text.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')

TEXT_FIELDS = (
    "slug",
    "title",
    "description",
    "agent_id",
    "display_name",
    "language",
    "default_mode",
    "initial_text",
    "skip_greeting_on_initial_text",
    "brand.company",
    "brand.logo",
    "brand.accent",
    "brand.theme",
    "suggestions",
    "consent_text",
    "max_call_minutes",
    "allowed_origins",
    "access",
    "overrides",
    "widget.label",
    "widget.position",
)
# Keys of the table that are plain text, copied when not blank.
PLAIN = ("title", "description", "display_name", "initial_text", "consent_text")
CHOICES = ("language", "default_mode", "access")


@dataclass
class DemoForm:
    """What the editor shows: every field's text as entered, the variable rows, the mistakes."""

    values: dict[str, str] = field(default_factory=dict)
    variables: list[tuple[str, str]] = field(default_factory=list)  # (name, max length)
    test_variables: list[tuple[str, str]] = field(default_factory=list)  # (name, value)
    errors: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # not mistakes: a change saved meanwhile

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def note(self, name: str, message: str) -> None:
        self.notes[name] = message

    def rows(self, name: str) -> list[tuple[str, str]]:
        """The rows to show: the entered ones, then blank ones to fill in."""
        return [*getattr(self, name), *[("", "")] * EMPTY_ROWS]


def from_table(slug: str, table: Mapping[str, Any]) -> DemoForm:
    """The form showing a stored demo."""
    brand = table.get("brand") or {}
    widget = table.get("widget") or {}
    skip = table.get("skip_greeting_on_initial_text")
    values = {key: str(table.get(key) or "") for key in PLAIN}
    # A choice left out of the table is its default: shown (and compared, webcall/demo_merge.py) as such.
    values |= {key: str(table.get(key) or DemoModel.model_fields[key].default) for key in CHOICES}
    values |= {
        "slug": slug,
        "agent_id": table.get("agent_id") or "",
        "skip_greeting_on_initial_text": "" if skip is None else ("true" if skip else "false"),
        "brand.company": brand.get("company", ""),
        "brand.logo": brand.get("logo") or "",
        "brand.accent": brand.get("accent", DEFAULT_ACCENT),
        "brand.theme": brand.get("theme", "auto"),
        "suggestions": "\n".join(table.get("suggestions", [])),
        "max_call_minutes": str(table.get("max_call_minutes") or ""),
        "allowed_origins": "\n".join(table.get("allowed_origins", [])),
        "overrides": json.dumps(table["overrides"], indent=2) if table.get("overrides") else "",
        "widget.label": widget.get("label") or "",
        "widget.position": widget.get("position", "bottom-right"),
    }
    return DemoForm(
        values=values,
        variables=[(name, str(n)) for name, n in table.get("variables", {}).items()],
        test_variables=[(name, str(v)) for name, v in table.get("test_variables", {}).items()],
    )


def blank() -> DemoForm:
    return from_table("", {})


def from_request(form: MultiDict[str, str]) -> DemoForm:
    """The form as posted: text kept exactly as entered (it is shown again on a mistake)."""
    values = {name: form.get(name, "") for name in TEXT_FIELDS}
    values["agent_id"] = form.get("agent_id_text", "").strip() or values["agent_id"]

    def rows(first: str, second: str) -> list[tuple[str, str]]:
        pairs = zip(form.getlist(first), form.getlist(second), strict=False)
        return [(a.strip(), b) for a, b in pairs if a.strip() or b.strip()]

    return DemoForm(
        values=values, variables=rows("var_name", "var_max"), test_variables=rows("tv_name", "tv_value")
    )


def _number(text: str) -> int | str:
    """An int when the text is one; else the text, so the model says what is wrong with it."""
    text = text.strip()
    return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class _NotJsonNumber(ValueError):
    """NaN, Infinity or -Infinity, or a number too large for a float (1e400): Python's json reads
    them (the last as inf), JSON has no such numbers, and the store would write them as null."""


def _refuse_constant(name: str) -> Any:
    raise _NotJsonNumber(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJsonNumber(text)
    return value


def _json_depth(text: str) -> int:
    """How deep the brackets of `text` nest, counted without parsing it (so without recursing)."""
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in ("]", "}"):
            depth -= 1
    return deepest


def _parsed_overrides(text: str) -> Any:
    """The overrides JSON as typed; a ValueError says what is wrong with it, for the field."""
    if _json_depth(text) > MAX_OVERRIDES_DEPTH:
        raise ValueError(f"nested too deeply: at most {MAX_OVERRIDES_DEPTH} levels of {{ }} and [ ]")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except _NotJsonNumber as error:
        raise ValueError(f"{error} is not a number JSON allows: write a number or null") from None
    except ValueError as error:
        raise ValueError(f"not valid JSON: {error}") from None


def to_table(form: DemoForm, *, stored_overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The demo's settings table from the form. `stored_overrides` is not None for a rep: the stored
    overrides are kept whatever was posted (only an admin's form carries them)."""
    v = form.get
    table: dict[str, Any] = {key: v(key) for key in PLAIN if v(key).strip()}
    table |= {key: v(key) for key in CHOICES if v(key)}
    if v("agent_id").strip():
        table["agent_id"] = v("agent_id").strip()
    if v("skip_greeting_on_initial_text") in ("true", "false"):
        table["skip_greeting_on_initial_text"] = v("skip_greeting_on_initial_text") == "true"
    for name, rows in (("test_variables", form.test_variables), ("variables", form.variables)):
        # A name in two rows: a table keeps one, and the other was gone without a word.
        for twice in sorted(key for key, count in Counter(key for key, _ in rows).items() if count > 1):
            form.error(name, f"{twice}: listed twice; keep one row for it")
    if form.test_variables:
        table["test_variables"] = dict(form.test_variables)
    if form.variables:
        table["variables"] = {name: _number(limit) for name, limit in form.variables}
    accent, theme = v("brand.accent").strip() or DEFAULT_ACCENT, v("brand.theme") or "auto"
    if v("brand.company").strip() or v("brand.logo") or accent.lower() != DEFAULT_ACCENT or theme != "auto":
        brand: dict[str, Any] = {"company": v("brand.company"), "accent": accent, "theme": theme}
        if v("brand.logo"):
            brand["logo"] = v("brand.logo")
        table["brand"] = brand
    if _lines(v("suggestions")):
        table["suggestions"] = _lines(v("suggestions"))
    if v("max_call_minutes").strip():
        table["max_call_minutes"] = _number(v("max_call_minutes"))
    if v("allowed_origins").split():
        table["allowed_origins"] = v("allowed_origins").split()
    if stored_overrides is not None:
        if stored_overrides:
            table["overrides"] = dict(stored_overrides)
    elif v("overrides").strip():
        try:
            table["overrides"] = _parsed_overrides(v("overrides"))
        except ValueError as error:
            form.error("overrides", str(error))
    position = v("widget.position") or "bottom-right"
    if v("widget.label").strip() or position != "bottom-right":
        table["widget"] = {"position": position} | (
            {"label": v("widget.label")} if v("widget.label").strip() else {}
        )
    return table


def check_contrast(form: DemoForm, table: Mapping[str, Any]) -> None:
    accent = (table.get("brand") or {}).get("accent", "")
    if re.fullmatch(ACCENT_PATTERN, accent):
        problem = accent_problem(accent)
        if problem:
            form.error("brand.accent", problem)
