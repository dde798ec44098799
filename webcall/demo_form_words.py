"""How the demo editor words things: each field's label, the store's mistakes (pydantic's messages,
reworded for people) placed next to their fields, and a mistake led by its field's label where it is
shown away from the field (the preview's banner). The form itself is webcall/demo_form.py.
"""

from __future__ import annotations

import re

from .demo_form import TEXT_FIELDS, DemoForm

# Each field's label, as the editor shows it (templates/demo_edit.html draws its <label>s from here)
# and as the preview's banner names a field's mistakes (webcall/studio_preview.py). The variable
# tables are labelled by what their hint calls them.
LABELS = {
    "slug": "Slug (the address /demo/<slug>)",
    "title": "Title",
    "description": "Description",
    "language": "Language",
    "default_mode": "Starts in",
    "access": "Access",
    "agent_id": "Agent",
    "display_name": "Agent's name on the page",
    # Not a greeting: itellico sends it as the visitor's first message and the agent answers it.
    "initial_text": "First message (sent for the visitor)",
    "skip_greeting_on_initial_text": "Skip the agent's own greeting when there is a first message",
    "brand.company": "Company",
    "brand.logo": "Logo",
    "brand.accent": "Accent colour",
    "brand.theme": "Theme",
    "suggestions": "Suggested questions",
    "consent_text": "Consent text",
    "max_call_minutes": "Longest call (minutes)",
    "variables": "Variables",
    "test_variables": "Test variables",
    "allowed_origins": "Websites that may embed it",
    "widget.label": "Launcher label",
    "widget.position": "Launcher position",
    "overrides": "Server-side overrides (JSON object)",
}

PROBLEM = re.compile(r"^demo '(?P<slug>[^']*)': (?P<rest>.*)$", re.DOTALL)
FRIENDLY = (
    (re.compile(r"^is required$"), "required: fill this in"),
    (re.compile(r"^String should have at least 1 character$"), "must not be empty"),
    (re.compile(r"^String should have at most (\d+) characters?$"), r"must be at most \1 characters"),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"^Input should be greater than or equal to (\d+)$"), r"must be at least \1"),
    (re.compile(r"^Input should be less than or equal to (\d+)$"), r"must be at most \1"),
    (re.compile(r"^List should have at most (\d+) items.*$"), r"at most \1 lines"),
    (re.compile(r"^Input should be a valid dictionary.*$"), "must be a JSON object { … }"),
)
# The form makes a brand as soon as a logo, an accent other than the default or a theme other than auto
# is set (to_table), and a brand names its company (the page's header, the logo's alt text, the tab's
# title, a link preview's site name): so an empty company is said as what it is missing for.
COMPANY_NEEDED = "A company name is needed with a logo, colour or theme"
PATTERNS = {
    "brand.accent": "must be a colour like #2563eb (# and 3 or 6 hex digits)",
    "variables": "a name starts with a letter or _ and has only letters, digits and _ (at most 64)",
    "test_variables": "a name starts with a letter or _ and has only letters, digits and _ (at most 64)",
}


# A mistake's first word, when it is a plain word (not a name or a value as typed): its capital is
# only there for the mistake to stand alone beside its field.
_PLAIN_FIRST_WORD = re.compile(r"[A-Z][a-z]*(?=[ :])")
# Fields whose mistakes can start with what was typed (a row's name; NaN in JSON; a file's name).
_AS_TYPED = ("variables", "test_variables", "overrides", "brand.logo")


def _lowered(name: str, message: str) -> str:
    """A field's mistake to follow its label ("Company: must not be empty")."""
    if name in _AS_TYPED or not _PLAIN_FIRST_WORD.match(message):
        return message
    return message[0].lower() + message[1:]


def field_label(name: str) -> str:
    """The editor's label of form field `name` (a template global: templates/demo_edit.html)."""
    return LABELS[name]


def labelled_errors(form: DemoForm) -> list[str]:
    """Every mistake led by its field's label ("Company: must not be empty"), for a list that is not
    next to the fields (the preview's banner); a mistake of the whole form as it is."""
    return [
        message if name not in LABELS else f"{LABELS[name]}: {_lowered(name, message)}"
        for name, messages in form.errors.items()
        for message in messages
    ]


def _field_of(path: list[str]) -> tuple[str, list[str]]:
    """The form field a dotted path belongs to, and the rest of the path (a row, a line)."""
    if path[0] in ("brand", "widget") and len(path) > 1:
        return ".".join(path[:2]), path[2:]
    return path[0], path[1:]


def _reworded(key: str, rest: list[str], message: str) -> str:
    if message.startswith("String should match pattern"):
        message = PATTERNS.get(key, "is not in the expected form")
    for pattern, replacement in FRIENDLY:
        if pattern.match(message):
            message = pattern.sub(replacement, message)
            break
    rest = [part for part in rest if part != "[key]"]
    if rest and key in ("suggestions", "allowed_origins"):
        return f"line {int(rest[0]) + 1}: {message}" if rest[0].isdigit() else message
    if rest and key == "brand":
        return message
    return f"{'.'.join(rest)}: {message}" if rest else message


def add_problems(form: DemoForm, problems: list[str]) -> None:
    """Each of the store's problem lines ("demo 'x': brand.accent: <message>") next to its field."""
    for line in problems:
        match = PROBLEM.match(line)
        rest = match.group("rest") if match else line
        if rest.startswith("the slug"):
            form.error("slug", rest[0].upper() + rest[1:])
            continue
        where, sep, message = rest.partition(": ")
        if not sep or where == "(table)":
            form.error("_form", rest)
            continue
        key, tail = _field_of(where.split("."))
        if key == "brand" and not tail and "required" in message:
            key = "brand.company"
        if key not in TEXT_FIELDS and key not in ("variables", "test_variables"):
            form.error("_form", rest)
            continue
        text = _reworded(key, tail, message)
        if key == "brand.company" and text == "must not be empty":
            text = COMPANY_NEEDED
        form.error(key, text if tail else text[0].upper() + text[1:])
