"""The preview frame's banner names the field of each mistake, as the editor labels it: it read
"Must not be empty | At most 8 lines | Must be at most 120 | white text on #ffcc00 …", and the rep
could not tell which field each was about. The labels have one home (webcall/demo_form_words.py LABELS),
which the editor's own <label>s are drawn from."""

from __future__ import annotations

import html
import re

import pytest

from webcall.demo_form_words import LABELS

from .conftest import csrf
from .demo_editor_helpers import preview_problems

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def preview(rep, **fields):
    token = csrf(rep.get("/demos/new").get_data(as_text=True))
    r = rep.post("/demos/preview", data={"csrf": token, **fields})
    assert r.status_code == 200
    return preview_problems(r.get_data(as_text=True))


def test_each_mistake_in_the_preview_banner_names_its_field(rep):
    problems = preview(
        rep,
        slug="acme",
        title="Acme Dental",
        **{"brand.company": "", "brand.accent": "#ffcc00"},
        suggestions="\n".join(f"q{i}" for i in range(9)),
        max_call_minutes="500",
        var_name="name",
        var_max="501",
    )
    assert problems == [
        "Variables: name: must be at most 500",  # a row's mistake starts with the row's name
        "Company: a company name is needed with a logo, colour or theme",
        "Suggested questions: at most 8 lines",
        "Longest call (minutes): must be at most 120",
        "Accent colour: white text on #ffcc00 has a contrast of 1.5:1; it needs at least 4.5:1 (WCAG AA)."
        " Pick a darker colour.",
    ]


def test_the_banner_uses_the_labels_the_editor_shows(rep):
    page = rep.get("/demos/new").get_data(as_text=True)
    shown = {
        name.replace("-", ".", 1) if name.startswith(("brand-", "widget-")) else name: html.unescape(text)
        for name, text in re.findall(r'<label for="f-([\w-]+)">(.*?)</label>', page)
    }
    assert shown, "no labels found"
    for name, text in shown.items():
        if name in LABELS:
            assert LABELS[name] == text, name
    # every field of the form that can have a mistake has a label (the rows tables by their legend)
    assert {"slug", "title", "brand.company", "brand.accent", "suggestions", "variables"} <= set(LABELS)
    assert set(shown) <= set(LABELS)
