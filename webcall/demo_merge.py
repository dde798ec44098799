"""Two people editing one demo (or one rep in two tabs): what the editor's form was opened on, and a
save made on an out-of-date form merged with the change saved meanwhile, field by field.

The form carries `base`: a short hash of each field's value as it was opened (hashes, not values: an
admin's overrides never reach a rep's page, not even as a hash). When a save arrives and the demo was
changed since, nothing is stored; the editor comes back with
- a field only the other person changed: their value, marked "changed meanwhile";
- a field both changed: the rep's value, with theirs beside it;
- a field only the rep changed: the rep's value.
The rep looks and saves again. Fields are compared in one canonical form (the settings table shown as
a form: webcall/demo_form.py), so a browser's CRLF line breaks or a blank line are no change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .demo_form import TEXT_FIELDS, DemoForm

FIELDS = (*(name for name in TEXT_FIELDS if name != "slug"), "variables", "test_variables")
NOTHING_STORED = "0"  # the base of a form opened when no demo was stored under its slug
_PREFIX = "1."  # the format of a base; a base in another one is "unknown"
_UNKNOWN = "?"  # a field whose opened value is not known: a change in it counts as the rep's too
_SHOWN = 160  # characters of the other person's value shown beside a field both changed


def _text(form: DemoForm, name: str) -> str:
    if name in ("variables", "test_variables"):
        return "\n".join(f"{a} = {b}" for a, b in getattr(form, name))
    return form.get(name)


def _hash(name: str, text: str) -> str:
    return hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()[:12]


def base_of(form: DemoForm | None, *, with_overrides: bool) -> str:
    """The `base` of a form showing `form` (None: nothing stored)."""
    if form is None:
        return NOTHING_STORED
    hashes = [
        _hash(name, _text(form, name)) if with_overrides or name != "overrides" else _UNKNOWN
        for name in FIELDS
    ]
    return _PREFIX + ".".join(hashes)


def _parsed(base: str) -> Sequence[str]:
    hashes = base.removeprefix(_PREFIX).split(".") if base.startswith(_PREFIX) else []
    return hashes if len(hashes) == len(FIELDS) else [_UNKNOWN] * len(FIELDS)


@dataclass(frozen=True)
class Conflict:
    """What the editor says about a save that was not stored: who changed the demo, when; or that it
    was deleted (no `at`)."""

    by: str | None = None
    at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.at is None


def out_of_date(base: str, now: DemoForm | None, *, with_overrides: bool) -> bool:
    """Whether the demo is no longer what the form was opened on."""
    return base != base_of(now, with_overrides=with_overrides)


def merge(posted: DemoForm, canonical: DemoForm, base: str, now: DemoForm, *, with_overrides: bool) -> None:
    """Bring the change saved meanwhile (`now`) into the posted form, with a note on each field it
    touched. `canonical` is the posted form as it would be stored (the comparison's form of it)."""
    for name, opened in zip(FIELDS, _parsed(base), strict=True):
        if name == "overrides" and not with_overrides:
            continue  # a rep's save keeps the stored overrides whatever it posts
        theirs, yours = _text(now, name), _text(canonical, name)
        if _hash(name, theirs) == opened or theirs == yours:
            continue
        if _hash(name, yours) == opened:  # only they changed it
            if name in ("variables", "test_variables"):
                setattr(posted, name, list(getattr(now, name)))
            else:
                posted.values[name] = now.get(name)
            posted.note(name, "Changed meanwhile: this is the saved value now.")
        else:
            posted.note(name, f"Saved meanwhile as {_shown(name, theirs)}. Save keeps yours, as shown here.")


def _shown(name: str, text: str) -> str:
    if name == "brand.logo":
        return "another logo" if text else "no logo"
    if not text.strip():
        return "empty"
    if name == "overrides":  # shown indented in its field; one line here
        text = json.dumps(json.loads(text), ensure_ascii=False)
    text = " · ".join(line for line in text.splitlines() if line.strip())
    return f"“{text[:_SHOWN]}…”" if len(text) > _SHOWN else f"“{text}”"
