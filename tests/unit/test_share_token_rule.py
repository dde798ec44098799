"""The share-link token clean-up, one rule in two languages: the server's `clean_token`
(webcall/links.py) and the page's `cleanToken` (static/js/share-link.js) must agree on every input,
as the page-variable rule's two copies do (tests/unit/test_page_variables.py). They had drifted (an
audit): Python's `unquote` turned invalid UTF-8 into U+FFFD and its `\\s` took `\\x1c`-`\\x1f`, while
the page kept `%FF` and the `\\x1c`, so the page's length check and fragment followed another rule."""

from __future__ import annotations

import json

import pytest

from tests.node_eval import needs_node, node_json
from webcall import ROOT
from webcall.links import clean_token

pytestmark = pytest.mark.unit

T = "eyJkIjoiYWNtZSJ9.Zm9v-_Ba9"  # a token's shape: base64url, a dot, base64url
CASES = [
    T,
    f"{T}.",
    f"{T}).",
    f"{T}>",
    f"{T}%20",
    f" {T} ",
    f"{T[:9]}%20{T[9:]}",
    f"{T[:9]}\n{T[9:]}",
    f"{T}%2E",
    f"{T}%2E%",
    f"{T[:9]}%2520{T[9:]}",  # a link encoded twice: a `%20` is left after one decoding
    f"{T[:9]}%%2020{T[9:]}",
    f"{T[:9]}%25%32%30{T[9:]}",
    # The drift: invalid UTF-8 after the token, a control character before it.
    f"{T}%FF",
    f"{T}%E2%82",
    f"\x1c{T}",
    f"{T}\x1f",
    f"{T[:5]}%41%FF{T[5:]}",
    # Spaces Python and JavaScript call whitespace differently, and what is not a token character.
    f"\ufeff{T}",
    f"{T}\x85",
    f"{T[:5]}\u00a0{T[5:]}",
    f"{T[:5]}\u2028{T[5:]}",
    f"{T[:9]}=\n{T[9:]}",  # a quoted-printable soft line break in a mail
    f"{T[:9]}<br>{T[9:]}",
    f"{T}%E2%82%AC",
    f"{T}%zz",
    f"{T}%",
    "...",
    "",
    "%",
    "%25",
    "%2541",
]

NODE_SCRIPT = """
const { cleanToken } = await import(process.argv[1]);
console.log(JSON.stringify(JSON.parse(process.argv[2]).map(cleanToken)));
"""


@needs_node
def test_the_server_and_the_page_clean_every_token_the_same():
    page = node_json(NODE_SCRIPT, (ROOT / "static" / "js" / "share-link.js").as_uri(), json.dumps(CASES))
    differ = [
        (case, server, seen)
        for case, seen in zip(CASES, page, strict=True)
        if (server := clean_token(case)) != seen
    ]
    assert not differ, differ


WHOLE = [c for c in CASES[:10] if c.strip()] + [f"{T}%FF", f"\x1c{T}", f"{T[:9]}=\n{T[9:]}", f"\ufeff{T}"]
WHOLE += [f"{T[:9]}%2520{T[9:]}"]


@pytest.mark.parametrize("case", WHOLE)
def test_a_glued_or_wrapped_token_comes_back_whole(case):
    assert clean_token(case) == T
