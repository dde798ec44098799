"""Rules the server and the browser (or two forms) both apply come from one place, or are held to it
here (a code audit found them written two to four times): the expiry a rep types (parse_expiry, and
the studio forms' own check), the share-link token's length, the slug."""

from __future__ import annotations

import json
import re

import pytest

from tests.node_eval import needs_node, node_json
from webcall import ROOT
from webcall.demos import SLUG_MAX_LENGTH, SLUG_PATTERN
from webcall.links import EXPIRY_INPUT_PATTERN, LinkError, parse_expiry
from webcall.validation import MAX_LINK_TOKEN

from .conftest import sign_in

pytestmark = pytest.mark.unit

TYPED = ["7d", " 7d ", "7 d", "30m", "12h", "2w", "999h", "2026-12-31", " 2026-12-31", "7", "7x", "d7",
         "12345d", "2026-1-1", "", "7d7d", "\uff17d", "tomorrow", "2026-12-31x"]  # fmt: skip
FORM_CHECK = """
const [pattern, cases] = [process.argv[1], JSON.parse(process.argv[2])];
const whole = new RegExp(`^(?:${pattern})$`, 'v');  // how a browser applies an input's pattern
console.log(JSON.stringify(cases.map((c) => whole.test(c))));
"""


def server_takes(typed: str) -> bool:
    try:
        parse_expiry(typed, now=1_796_083_200)  # 1 Dec 2026: every date typed here is to come
    except LinkError:
        return False
    return True


@needs_node
def test_the_forms_expiry_check_takes_what_the_server_takes():
    # " 7d" was refused by the form although the server strips it; the two patterns were written twice.
    form = node_json(FORM_CHECK, EXPIRY_INPUT_PATTERN, json.dumps(TYPED))
    assert dict(zip(TYPED, form, strict=True)) == {typed: server_takes(typed) for typed in TYPED}


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_the_studio_forms_carry_the_one_expiry_rule(client):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    inputs = re.findall(r'<input name="expires"[^>]*>', html)
    assert inputs, "no expiry field on /demos"
    for tag in inputs:
        assert f'pattern="{EXPIRY_INPUT_PATTERN}"' in tag, tag


def test_the_page_and_the_server_take_tokens_of_one_length():
    source = (ROOT / "static" / "js" / "share-link.js").read_text()
    assert re.search(rf"^const MAX_TOKEN = {MAX_LINK_TOKEN};$", source, re.M)


def test_the_editors_slug_field_is_as_long_as_the_rule():
    assert re.fullmatch(SLUG_PATTERN.strip("^$"), "a" * SLUG_MAX_LENGTH)
    assert not re.fullmatch(SLUG_PATTERN.strip("^$"), "a" * (SLUG_MAX_LENGTH + 1))
    editor = (ROOT / "templates" / "demo_edit.html").read_text()
    assert '"maxlength": slug_max_length' in editor
